"""Each report's tables: which columns, in which kind, with which rows. The same table is
shown on the page and written by the CSV export (`?format=csv&table=NAME`)."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from reports import retention
from reports.churn import ChurnReport
from reports.nps import NpsReport
from reports.portfolio import Mover, PortfolioReport
from reports.renewals import RenewalsReport
from reports.roi import RoiReport
from reports.support import SupportReport, SupportRow
from reports.tables import COLOURS, Column, Table, pct_or_none


def portfolio_tables(report: PortfolioReport) -> list[Table]:
    daily = [
        {
            "date": day,
            **{f"{c}_accounts": report.counts[c][i] for c in COLOURS},
            **{f"{c}_mrr": report.mrr[c][i] for c in COLOURS},
            "accounts": sum(report.counts[c][i] for c in COLOURS),
            "mrr": sum((report.mrr[c][i] for c in COLOURS), Decimal(0)),
        }
        for i, day in enumerate(report.days)
    ][::-1]
    columns = [Column("date", "Day", "date")]
    columns += [Column(f"{c}_accounts", f"{c.title()} accounts", "int") for c in COLOURS]
    columns += [Column("accounts", "All accounts", "int")]
    columns += [Column(f"{c}_mrr", f"{c.title()} MRR", "money") for c in COLOURS]
    columns += [Column("mrr", "All MRR", "money")]
    mover_columns = [
        Column("account", "Account", "account"),
        Column("external_id", "External id", on_page=False),
        Column("before", "Score then", "score"),
        Column("colour_before", "Then", "colour"),
        Column("after", "Score now", "score"),
        Column("colour_after", "Now", "colour"),
        Column("delta", "Change", "delta"),
    ]

    def mover_rows(movers: list[Mover]) -> list[dict]:
        return [
            {
                "account": m.name,
                "account_id": m.account_id,
                "external_id": m.external_id,
                "before": m.before,
                "after": m.after,
                "colour_before": m.colour_before,
                "colour_after": m.colour_after,
                "delta": m.delta,
            }
            for m in movers
        ]

    return [
        Table("daily", "Accounts and MRR per colour, by day", columns, daily, limit=14),
        Table("fallers", "Biggest falls", mover_columns, mover_rows(report.fallers)),
        Table("risers", "Biggest rises", mover_columns, mover_rows(report.risers)),
    ]


def churn_tables(report: ChurnReport) -> list[Table]:
    def retention_row(label: str, r: retention.Retention) -> dict:
        return {
            "period": label,
            "start": r.start,
            "end": r.end,
            "active": r.active,
            "churned": r.churned,
            "logo_churn": pct_or_none(r.logo_churn),
            "mrr_start": r.mrr_start,
            "mrr_end_capped": r.mrr_end_capped,
            "mrr_end": r.mrr_end,
            "grr": pct_or_none(r.grr),
            "nrr": pct_or_none(r.nrr),
        }

    columns = [
        Column("period", "Month"),
        Column("start", "From", "date", on_page=False),
        Column("end", "To (exclusive)", "date", on_page=False),
        Column("active", "Active at start", "int"),
        Column("churned", "Churned", "int"),
        Column("logo_churn", "Logo churn", "pct"),
        Column("mrr_start", "MRR at start", "money"),
        Column("mrr_end_capped", "MRR at end, capped", "money"),
        Column("mrr_end", "MRR at end", "money"),
        Column("grr", "GRR", "pct"),
        Column("nrr", "NRR", "pct"),
    ]
    monthly = [retention_row(m.label, r) for m, r in report.months]
    if report.period is not None:
        monthly.append(retention_row(report.filters.period_label, report.period))
    segment_columns = [Column("segment", "Segment"), *columns[1:]]
    segments = [{**retention_row(label, r), "segment": label} for label, r in report.by_segment]
    reasons = [
        {"reason": reason, "accounts": n, "mrr_lost": mrr} for reason, n, mrr in report.by_reason
    ]
    survival = [
        {
            "month": p.month,
            "at_risk": p.at_risk,
            "churned": p.churned,
            "censored": p.censored,
            "survival": round(p.survival * 100, 2),
            "hazard": pct_or_none(p.hazard),
        }
        for p in report.survival
    ]
    return [
        Table(
            "monthly",
            "Logo churn, GRR and NRR by month",
            columns,
            monthly,
            note=report.filters.partial_note("logo churn, GRR and NRR"),
        ),
        Table(
            "segments",
            f"By segment, {report.filters.period_label.lower()}",
            segment_columns,
            segments,
        ),
        Table(
            "reasons",
            "Churned accounts in the period by reason",
            [
                Column("reason", "Reason"),
                Column("accounts", "Accounts", "int"),
                Column("mrr_lost", "MRR lost", "money"),
            ],
            reasons,
        ),
        Table(
            "survival",
            "Survival by months since the first subscription",
            [
                Column("month", "Whole months as a customer", "int"),
                Column("at_risk", "Customers that long or longer", "int"),
                Column("churned", "Left at this tenure", "int"),
                Column("censored", "Still customers at the cut-off", "int"),
                Column("survival", "Survival", "pct"),
                Column("hazard", "Share leaving", "pct"),
            ],
            survival,
            limit=60,
        ),
    ]


def renewals_tables(report: RenewalsReport) -> list[Table]:
    upcoming = [
        {
            "account": d.name,
            "account_id": d.account_id,
            "external_id": d.external_id,
            "subscription_id": d.subscription_id,
            "product": d.product,
            "end_date": d.end,
            "days_left": d.days_left,
            "colour": d.colour,
            "overridden": d.overridden,
            "mrr": d.mrr,
            "arr": d.arr,
            "arr_at_risk": d.arr if d.at_risk else Decimal(0),
            "renewal_booked": d.booked,
        }
        for d in report.upcoming
    ]
    # A column that is empty on every row says nothing: with no renewal booked it stays in the
    # CSV only and the table says so.
    any_booked = any(d.booked for d in report.upcoming)
    windows = [
        {
            "window": f"Next {w.days} days",
            "lines": w.lines,
            "accounts": w.accounts,
            "arr": w.arr,
            "arr_at_risk": w.arr_at_risk,
            "share_at_risk": pct_or_none(retention.rate(w.arr_at_risk, w.arr)),
        }
        for w in report.windows
    ]
    rows = [(m.label, o) for m, o in report.history]
    if report.period is not None:
        rows.append((report.filters.period_label, report.period))
    history = [
        {
            "period": label,
            "due": o.due,
            "renewed": o.followed,
            "pending": o.pending,
            "renewal_rate": pct_or_none(o.rate),
        }
        for label, o in rows
    ]
    return [
        Table(
            "windows",
            "Renewal pipeline",
            [
                Column("window", "Window"),
                Column("lines", "Lines due", "int"),
                Column("accounts", "Accounts", "int"),
                Column("arr", "ARR due", "money"),
                Column("arr_at_risk", "ARR at risk", "money"),
                Column("share_at_risk", "Share at risk", "pct"),
            ],
            windows,
        ),
        Table(
            "upcoming",
            "Subscription lines ending in the next 90 days, most ARR at risk first",
            [
                Column("account", "Account", "account"),
                Column("external_id", "External id", on_page=False),
                Column("subscription_id", "Subscription", on_page=False),
                Column("product", "Product"),
                Column("end_date", "Ends", "date"),
                Column("days_left", "Days left", "int"),
                Column("colour", "Health", "colour"),
                Column("mrr", "MRR", "money"),
                Column("arr", "ARR", "money"),
                Column("arr_at_risk", "ARR at risk", "money"),
                Column("renewal_booked", "Renewal booked", "flag", on_page=any_booked),
            ],
            upcoming,
            limit=100,
            note=""
            if any_booked or not upcoming
            else "No line due has its renewal booked yet (a paid line of the account starting "
            "on or after its end), so all their ARR counts as at risk unless the account is "
            "green; the CSV keeps the “renewal_booked” column.",
        ),
        Table(
            "history",
            "Renewal rate by month (lines due ÷ renewed)",
            [
                Column("period", "Month"),
                Column("due", "Lines due", "int"),
                Column("renewed", "Renewed", "int"),
                Column("pending", "Not yet (in grace)", "int"),
                Column("renewal_rate", "Renewal rate", "pct"),
            ],
            history,
            note=report.filters.partial_note("renewal rate (of the lines due by today)"),
        ),
    ]


def nps_tables(report: NpsReport) -> list[Table]:
    def row(label: str, n: retention.Nps) -> dict:
        return {
            "period": label,
            "responses": n.responses,
            "promoters": n.promoters,
            "passives": n.passives,
            "detractors": n.detractors,
            "promoters_pct": pct_or_none(retention.rate(n.promoters, n.responses)),
            "detractors_pct": pct_or_none(retention.rate(n.detractors, n.responses)),
            "nps": pct_or_none(n.score),
            "small_sample": n.small_sample,
        }

    rows = [row(m.label, n) for m, n in report.months]
    rows.append(row(report.filters.period_label, report.period))
    return [
        Table(
            "monthly",
            "NPS by month",
            [
                Column("period", "Month"),
                Column("responses", "Answers", "int"),
                Column("promoters", "Promoters (9–10)", "int"),
                Column("passives", "Passives (7–8)", "int"),
                Column("detractors", "Detractors (0–6)", "int"),
                Column("promoters_pct", "% promoters", "pct"),
                Column("detractors_pct", "% detractors", "pct"),
                Column("nps", "NPS", "score"),
                Column("small_sample", f"Fewer than {retention.SMALL_SAMPLE} answers", "flag"),
            ],
            rows,
            note=report.filters.partial_note("answers and NPS"),
        ),
        Table(
            "comments",
            "Latest comments",
            [
                Column("responded_on", "Answered", "date"),
                Column("account", "Account", "account"),
                Column("score", "Score", "int"),
                Column("category", "Category"),
                Column("comment", "Comment"),
            ],
            [
                {
                    "responded_on": c.responded_on,
                    "account": c.name,
                    "account_id": c.account_id,
                    "score": c.score,
                    "category": c.category,
                    "comment": c.comment,
                }
                for c in report.comments
            ],
        ),
    ]


def support_tables(report: SupportReport) -> list[Table]:
    def row(r: SupportRow) -> dict:
        return {
            "period": r.label,
            "priority": r.priority,
            "opened": r.opened,
            "responded": r.response.n,
            "response_median_h": r.response.median,
            "response_mean_h": r.response.mean,
            "resolved": r.resolution.n,
            "resolution_median_h": r.resolution.median,
            "resolution_mean_h": r.resolution.mean,
            "unanswered": r.unanswered,
            "unresolved": r.unresolved,
        }

    columns = [
        Column("period", "Opened in"),
        Column("priority", "Priority"),
        Column("opened", "Tickets", "int"),
        Column("response_median_h", "First response, median", "hours"),
        Column("response_mean_h", "First response, mean", "hours"),
        Column("resolution_median_h", "Resolution, median", "hours"),
        Column("resolution_mean_h", "Resolution, mean", "hours"),
        Column("unanswered", "Not answered yet", "int"),
        Column("unresolved", "Not resolved yet", "int"),
    ]
    return [
        Table(
            "monthly",
            "By month, all priorities",
            columns,
            [row(r) for r in report.by_month],
            note=report.filters.partial_note(
                "medians and means (recent tickets not answered or resolved yet have no time)"
            ),
        ),
        Table(
            "priorities",
            f"By priority, {report.filters.period_label.lower()}",
            columns,
            [row(r) for r in report.by_priority],
        ),
        Table(
            "detail",
            "By month and priority",
            columns,
            [row(r) for _, r in report.by_month_priority],
            note=report.filters.partial_note("medians and means"),
        ),
    ]


def measure_rows(report: RoiReport) -> list[dict]:
    f = report.filters
    rows = []
    for m in report.measures or []:
        url = reverse(m.report)
        query = urlencode(f.query())
        rows.append(
            {
                "measure": m.label,
                "measure_url": f"{url}?{query}#{m.anchor}" if m.anchor else f"{url}?{query}",
                "key": m.key,
                "now_text": m.now_text,
                "now_basis": m.now_basis,
                "before_text": m.before_text,
                "before_basis": m.before_basis,
                "change_text": m.change_text,
                "direction": m.direction,
                "now": m.now,
                "before": m.before,
                "change": m.change,
                "unit": {"money": "MRR", "pct": "%", "nps": "NPS", "hours": "hours"}[m.kind],
            }
        )
    return rows


def roi_tables(report: RoiReport) -> list[Table]:
    movements = [
        {
            "period": m.label,
            "mrr_start": mv.mrr_start,
            "new": mv.new,
            "upsell": mv.upsell,
            "cross_sell": mv.cross_sell,
            "downsell": mv.downsell,
            "churned": mv.churned,
            "net": mv.mrr_end - mv.mrr_start,
            "mrr_end": mv.mrr_end,
            "arr_end": mv.arr_end,
            "accounts_new": mv.counts["new"],
            "accounts_upsell": mv.counts["upsell"],
            "accounts_cross_sell": mv.counts["cross_sell"],
            "accounts_downsell": mv.counts["downsell"],
            "accounts_churned": mv.counts["churned"],
        }
        for m, mv in report.months
    ]
    if report.months:
        totals = report.totals
        movements.append(
            {
                "period": report.filters.period_label,
                "mrr_start": report.months[0][1].mrr_start,
                **totals,
                "net": report.months[-1][1].mrr_end - report.months[0][1].mrr_start,
                "mrr_end": report.months[-1][1].mrr_end,
                "arr_end": report.months[-1][1].arr_end,
                **{
                    f"accounts_{k}": sum(mv.counts[k] for _, mv in report.months)
                    for k in retention.KINDS
                },
            }
        )
    trials = [
        {
            "period": m.label,
            "trials_ended": o.due,
            "converted": o.followed,
            "pending": o.pending,
            "conversion": pct_or_none(o.rate),
        }
        for m, o in report.trials
    ]
    current, previous = report.current, report.previous
    measures_note = (
        f"This period: {current.label}. Previous period of the same length: {previous.label}."
        if current and previous and report.measures
        else ""
    )
    if report.filters.partial:
        measures_note += (
            " The period runs to today, so the previous one ends on the same day of its month: "
            "a partial month is compared with a partial month."
        )
    return [
        Table(
            "measures",
            "CS ROI: the eight measures against the previous period",
            [
                Column("measure", "Measure", "link"),
                Column("key", "Key", on_page=False),
                Column("now_text", "This period", "figure"),
                Column("now_basis", "Based on"),
                Column("before_text", "Previous period", "figure"),
                Column("before_basis", "Based on (previous)"),
                Column("change_text", "Change", "figure"),
                Column("direction", "Better or worse"),
                Column("now", "This period", "ratio", on_page=False),
                Column("before", "Previous period", "ratio", on_page=False),
                Column("change", "Change", "ratio", on_page=False),
                Column("unit", "Unit", on_page=False),
            ],
            measure_rows(report),
            note=measures_note,
        ),
        Table(
            "movements",
            "MRR movements by month",
            [
                Column("period", "Month"),
                Column("mrr_start", "MRR at start", "money"),
                Column("new", "New", "money"),
                Column("upsell", "Upsell", "money"),
                Column("cross_sell", "Cross-sell", "money"),
                Column("downsell", "Downsell", "money"),
                Column("churned", "Churned", "money"),
                Column("net", "Net change", "money"),
                Column("mrr_end", "MRR at end", "money"),
                Column("arr_end", "ARR at end", "money"),
                Column("accounts_upsell", "Upsold accounts", "int"),
                Column("accounts_cross_sell", "Cross-sold accounts", "int"),
            ],
            movements,
            note=report.filters.partial_note("MRR movements"),
        ),
        Table(
            "trials",
            "Trial-to-paid conversion by month the trial ended",
            [
                Column("period", "Month"),
                Column("trials_ended", "Trials ended", "int"),
                Column("converted", "Converted", "int"),
                Column("pending", "Not yet (in grace)", "int"),
                Column("conversion", "Conversion", "pct"),
            ],
            trials,
            note=report.filters.partial_note("trial conversion"),
        ),
    ]
