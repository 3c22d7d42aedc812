"""Each report's tables: which columns, in which kind, with which rows. The same table is
shown on the page and written by the CSV export (`?format=csv&table=NAME`)."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from reports import retention
from reports.churn import ChurnReport
from reports.nps import NpsReport
from reports.portfolio import Mover, PortfolioReport
from reports.renewals import RenewalsReport
from reports.roi import RoiReport
from reports.support import SupportReport, SupportRow
from reports.tables import (
    COLOUR_ACCOUNTS,
    COLOUR_MRR,
    COLOURS,
    PRIORITY_NAMES,
    Column,
    Table,
    nps_cells,
    nps_columns,
    pct_or_none,
)

DIRECTIONS = {
    "better": gettext_lazy("better"),
    "worse": gettext_lazy("worse"),
    "same": gettext_lazy("same"),
}


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
    columns = [Column("date", gettext("Day"), "date")]
    columns += [Column(f"{c}_accounts", str(COLOUR_ACCOUNTS[c]), "int") for c in COLOURS]
    columns += [Column("accounts", gettext("All accounts"), "int")]
    columns += [Column(f"{c}_mrr", str(COLOUR_MRR[c]), "money") for c in COLOURS]
    columns += [Column("mrr", gettext("All MRR"), "money")]
    mover_columns = [
        Column("account", gettext("Account"), "account"),
        Column("external_id", gettext("External id"), on_page=False),
        Column("before", gettext("Score then"), "score"),
        Column("colour_before", gettext("Then"), "colour"),
        Column("after", gettext("Score now"), "score"),
        Column("colour_after", gettext("Now"), "colour"),
        Column("delta", gettext("Change"), "delta"),
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
        Table("daily", gettext("Accounts and MRR per colour, by day"), columns, daily, limit=14),
        Table("fallers", gettext("Biggest falls"), mover_columns, mover_rows(report.fallers)),
        Table("risers", gettext("Biggest rises"), mover_columns, mover_rows(report.risers)),
    ]


def churn_tables(report: ChurnReport) -> list[Table]:
    def retention_row(period, r: retention.Retention) -> dict:
        return {
            "period": period,
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
        Column("period", gettext("Month"), "label"),
        Column("start", gettext("From"), "date", on_page=False),
        Column("end", gettext("To (exclusive)"), "date", on_page=False),
        Column("active", gettext("Active at start"), "int"),
        Column("churned", gettext("Churned"), "int"),
        Column("logo_churn", gettext("Logo churn"), "pct"),
        Column("mrr_start", gettext("MRR at start"), "money"),
        Column("mrr_end_capped", gettext("MRR at end, capped"), "money"),
        Column("mrr_end", gettext("MRR at end"), "money"),
        Column("grr", gettext("GRR"), "pct"),
        Column("nrr", gettext("NRR"), "pct"),
    ]
    monthly = [retention_row(m, r) for m, r in report.months]
    if report.period is not None:
        monthly.append(retention_row(report.filters.whole, report.period))
    segment_columns = [Column("segment", gettext("Segment")), *columns[1:]]
    whole = report.filters.whole
    segments = [{**retention_row(whole, r), "segment": label} for label, r in report.by_segment]
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
            gettext("Logo churn, GRR and NRR by month"),
            columns,
            monthly,
            note=report.filters.partial_note(gettext("logo churn, GRR and NRR")),
        ),
        Table(
            "segments",
            gettext("By segment, %(period)s") % {"period": report.filters.period_label.lower()},
            segment_columns,
            segments,
        ),
        Table(
            "reasons",
            gettext("Churned accounts in the period by reason"),
            [
                Column("reason", gettext("Reason")),
                Column("accounts", gettext("Accounts"), "int"),
                Column("mrr_lost", gettext("MRR lost"), "money"),
            ],
            reasons,
        ),
        Table(
            "survival",
            gettext("Survival by months since the first subscription"),
            [
                Column("month", gettext("Whole months as a customer"), "int"),
                Column("at_risk", gettext("Customers that long or longer"), "int"),
                Column("churned", gettext("Left at this tenure"), "int"),
                Column("censored", gettext("Still customers at the cut-off"), "int"),
                Column("survival", gettext("Survival"), "pct"),
                Column("hazard", gettext("Share leaving"), "pct"),
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
            "window": ngettext("Next %(days)d day", "Next %(days)d days", w.days)
            % {"days": w.days},
            "lines": w.lines,
            "accounts": w.accounts,
            "arr": w.arr,
            "arr_at_risk": w.arr_at_risk,
            "share_at_risk": pct_or_none(retention.rate(w.arr_at_risk, w.arr)),
        }
        for w in report.windows
    ]
    rows = [(m, o) for m, o in report.history]
    if report.period is not None:
        rows.append((report.filters.whole, report.period))
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
            gettext("Renewal pipeline"),
            [
                Column("window", gettext("Window")),
                Column("lines", gettext("Lines due"), "int"),
                Column("accounts", gettext("Accounts"), "int"),
                Column("arr", gettext("ARR due"), "money"),
                Column("arr_at_risk", gettext("ARR at risk"), "money"),
                Column("share_at_risk", gettext("Share at risk"), "pct"),
            ],
            windows,
        ),
        Table(
            "upcoming",
            gettext("Subscription lines ending in the next 90 days, most ARR at risk first"),
            [
                Column("account", gettext("Account"), "account"),
                Column("external_id", gettext("External id"), on_page=False),
                Column("subscription_id", gettext("Subscription"), on_page=False),
                Column("product", gettext("Product")),
                Column("end_date", gettext("Ends"), "date"),
                Column("days_left", gettext("Days left"), "int"),
                Column("colour", gettext("Health"), "colour"),
                Column("mrr", gettext("MRR"), "money"),
                Column("arr", gettext("ARR"), "money"),
                Column("arr_at_risk", gettext("ARR at risk"), "money"),
                Column("renewal_booked", gettext("Renewal booked"), "flag", on_page=any_booked),
            ],
            upcoming,
            limit=100,
            note=""
            if any_booked or not upcoming
            else gettext(
                "No line due has its renewal booked yet (a paid line of the account starting "
                "on or after its end), so all their ARR counts as at risk unless the account "
                "is green; the CSV keeps the “renewal_booked” column."
            ),
        ),
        Table(
            "history",
            gettext("Renewal rate by month (lines due ÷ renewed)"),
            [
                Column("period", gettext("Month"), "label"),
                Column("due", gettext("Lines due"), "int"),
                Column("renewed", gettext("Renewed"), "int"),
                Column("pending", gettext("Not yet (in grace)"), "int"),
                Column("renewal_rate", gettext("Renewal rate"), "pct"),
            ],
            history,
            note=report.filters.partial_note(gettext("renewal rate (of the lines due by today)")),
        ),
    ]


def nps_tables(report: NpsReport) -> list[Table]:
    def row(period, n: retention.Nps) -> dict:
        return {
            "period": period,
            **nps_cells("responses", n),
            "promoters_pct": pct_or_none(retention.rate(n.promoters, n.responses)),
            "detractors_pct": pct_or_none(retention.rate(n.detractors, n.responses)),
        }

    rows = [row(m, n) for m, n in report.months]
    rows.append(row(report.filters.whole, report.period))
    return [
        Table(
            "monthly",
            gettext("NPS by month"),
            [
                Column("period", gettext("Month"), "label"),
                *nps_columns(
                    "responses",
                    Column("promoters_pct", gettext("Promoters, %"), "pct"),
                    Column("detractors_pct", gettext("Detractors, %"), "pct"),
                ),
            ],
            rows,
            note=report.filters.partial_note(gettext("answers and NPS")),
        ),
        Table(
            "comments",
            gettext("Latest comments"),
            [
                Column("responded_on", gettext("Answered"), "date"),
                Column("account", gettext("Account"), "account"),
                Column("score", gettext("Score"), "int"),
                Column("category", gettext("Category")),
                Column("comment", gettext("Comment")),
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
        Column("period", gettext("Opened in"), "label"),
        Column("priority", gettext("Priority"), words=PRIORITY_NAMES),
        Column("opened", gettext("Tickets"), "int"),
        Column("response_median_h", gettext("First response, median"), "hours"),
        Column("response_mean_h", gettext("First response, mean"), "hours"),
        Column("resolution_median_h", gettext("Resolution, median"), "hours"),
        Column("resolution_mean_h", gettext("Resolution, mean"), "hours"),
        Column("unanswered", gettext("Not answered yet"), "int"),
        Column("unresolved", gettext("Not resolved yet"), "int"),
    ]
    return [
        Table(
            "monthly",
            gettext("By month, all priorities"),
            columns,
            [row(r) for r in report.by_month],
            note=report.filters.partial_note(
                gettext(
                    "medians and means (recent tickets not answered or resolved yet have no time)"
                )
            ),
        ),
        Table(
            "priorities",
            gettext("By priority, %(period)s") % {"period": report.filters.period_label.lower()},
            columns,
            [row(r) for r in report.by_priority],
        ),
        Table(
            "detail",
            gettext("By month and priority"),
            columns,
            [row(r) for _, r in report.by_month_priority],
            note=report.filters.partial_note(gettext("medians and means")),
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
            "period": m,
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
                "period": report.filters.whole,
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
            "period": m,
            "trials_ended": o.due,
            "converted": o.followed,
            "pending": o.pending,
            "conversion": pct_or_none(o.rate),
        }
        for m, o in report.trials
    ]
    current, previous = report.current, report.previous
    measures_note = (
        gettext("This period: %(now)s. Previous period of the same length: %(before)s.")
        % {"now": current.label, "before": previous.label}
        if current and previous and report.measures
        else ""
    )
    if report.filters.partial:
        measures_note += " " + gettext(
            "The period runs to today, so the previous one ends on the same day of its month: "
            "a partial month is compared with a partial month."
        )
    return [
        Table(
            "measures",
            gettext("CS ROI: the eight measures against the previous period"),
            [
                Column("measure", gettext("Measure"), "link"),
                Column("key", gettext("Key"), on_page=False),
                Column("now_text", gettext("This period"), "figure"),
                Column("now_basis", gettext("Based on")),
                Column("before_text", gettext("Previous period"), "figure"),
                Column("before_basis", gettext("Based on (previous)")),
                Column("change_text", gettext("Change"), "figure"),
                Column("direction", gettext("Better or worse"), words=DIRECTIONS),
                Column("now", gettext("This period"), "ratio", on_page=False),
                Column("before", gettext("Previous period"), "ratio", on_page=False),
                Column("change", gettext("Change"), "ratio", on_page=False),
                Column("unit", gettext("Unit"), on_page=False),
            ],
            measure_rows(report),
            note=measures_note,
        ),
        Table(
            "movements",
            gettext("MRR movements by month"),
            [
                Column("period", gettext("Month"), "label"),
                Column("mrr_start", gettext("MRR at start"), "money"),
                Column("new", gettext("New"), "money"),
                Column("upsell", gettext("Upsell"), "money"),
                Column("cross_sell", gettext("Cross-sell"), "money"),
                Column("downsell", gettext("Downsell"), "money"),
                Column("churned", gettext("Churned"), "money"),
                Column("net", gettext("Net change"), "money"),
                Column("mrr_end", gettext("MRR at end"), "money"),
                Column("arr_end", gettext("ARR at end"), "money"),
                Column("accounts_upsell", gettext("Upsold accounts"), "int"),
                Column("accounts_cross_sell", gettext("Cross-sold accounts"), "int"),
            ],
            movements,
            note=report.filters.partial_note(gettext("MRR movements")),
        ),
        Table(
            "trials",
            gettext("Trial-to-paid conversion by month the trial ended"),
            [
                Column("period", gettext("Month"), "label"),
                Column("trials_ended", gettext("Trials ended"), "int"),
                Column("converted", gettext("Converted"), "int"),
                Column("pending", gettext("Not yet (in grace)"), "int"),
                Column("conversion", gettext("Conversion"), "pct"),
            ],
            trials,
            note=report.filters.partial_note(gettext("trial conversion")),
        ),
    ]
