"""The product-feedback page's tables and charts (apart from the other reports' so that neither
module grows past a screenful of screens)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from reports.charts import ACCENT, FILL, INK, MUTED, _line, figure_json
from reports.feedback import FeedbackReport, TagNps
from reports.tables import Column, Table, nps_cells, nps_columns, pct_or_none

ITEMS_SHOWN = 50
CHARTED_TAGS = 8  # lines on the volume chart: the tags with most volume
PALETTE = [ACCENT, FILL["red"], FILL["green"], FILL["yellow"], INK, "#7b4fd4", "#0f8b8d", MUTED]


def _nps_row(row: TagNps, label: str) -> dict:
    return {
        "tag": label,
        **nps_cells("answers", row.nps),
        "detractor_share": pct_or_none(row.detractor_share),
    }


def feedback_tables(report: FeedbackReport) -> list[Table]:
    months = report.months
    volume_rows = [
        {
            "tag": tag,
            "month": m.label,
            "tickets": v.tickets,
            "answers": v.answers,
            "check_ins": v.check_ins,
            "total": v.total,
        }
        for tag in report.tags
        for m in months
        if (v := report.volume.get((tag, m.start))) is not None
    ]
    for tag in report.tags:
        total = report.tag_total(tag)
        volume_rows.append(
            {
                "tag": tag,
                "month": report.filters.period_label,
                "tickets": total.tickets,
                "answers": total.answers,
                "check_ins": total.check_ins,
                "total": total.total,
            }
        )
    release_rows = [
        {
            "tag": r.tag,
            "released_on": r.released_on,
            "nps_before": pct_or_none(r.before.nps.score),
            "answers_before": r.before.nps.responses,
            "nps_after": pct_or_none(r.after.nps.score),
            "answers_after": r.after.nps.responses,
            "nps_change": pct_or_none(r.nps_change),
            "tickets_before": r.before.tickets,
            "tickets_after": r.after.tickets,
            "tagged_after": r.after.tagged,
            "days_after": r.after.days,
        }
        for r in report.releases
    ]
    return [
        Table(
            "volume",
            _("Tag volume by month"),
            [
                Column("tag", _("Tag")),
                Column("month", _("Month")),
                Column("tickets", _("Tickets"), "int"),
                Column("answers", _("Survey answers"), "int"),
                Column("check_ins", _("Check-ins"), "int"),
                Column("total", _("Total"), "int"),
            ],
            volume_rows,
            note=report.filters.partial_note(_("counts")),
        ),
        Table(
            "detractors",
            _("Detractor share by tag (NPS answers carrying the tag)"),
            [
                Column("tag", _("Tag")),
                *nps_columns("answers", Column("detractor_share", _("Detractors (%)"), "pct")),
            ],
            [_nps_row(row, row.tag) for row in report.by_tag]
            + [_nps_row(report.overall, _("All NPS answers"))],
        ),
        Table(
            "releases",
            _("Releases: 30 days before and after"),
            [
                Column("tag", _("Release")),
                Column("released_on", _("Released"), "date"),
                Column("nps_before", _("NPS before"), "score"),
                Column("answers_before", _("Answers before"), "int"),
                Column("nps_after", _("NPS after"), "score"),
                Column("answers_after", _("Answers after"), "int"),
                Column("nps_change", _("NPS change"), "delta"),
                Column("tickets_before", _("Tickets before"), "int"),
                Column("tickets_after", _("Tickets after"), "int"),
                Column("tagged_after", _("Tickets tagged with it, after"), "int"),
                Column("days_after", _("Days after (to today)"), "int"),
            ],
            release_rows,
        ),
        Table(
            "items",
            _("Tagged feedback"),
            [
                Column("day", _("Date"), "date"),
                Column("source", _("Source")),
                Column("tag", _("Tag")),
                Column("account", _("Account"), "account"),
                Column("score", _("Score"), "int"),
                Column("text", _("Text")),
            ],
            [
                {
                    "day": i.day,
                    "source": i.source,
                    "tag": i.tag,
                    "account": i.account,
                    "account_id": i.account_id,
                    "score": i.score,
                    "text": i.text,
                }
                for i in report.items
            ],
            limit=ITEMS_SHOWN,
        ),
    ]


def feedback_volume(report: FeedbackReport) -> dict:
    """Items a month under each of the most used tags (every source together)."""
    months = report.months
    what = _("tickets, answers and check-ins")
    fig = go.Figure()
    for i, tag in enumerate(report.tags[:CHARTED_TAGS]):
        y = [v.total if (v := report.volume.get((tag, m.start))) is not None else 0 for m in months]
        for trace in _line(
            months,
            y,
            name=tag,
            colour=PALETTE[i % len(PALETTE)],
            hover=f"%{{x}}: %{{y}} ({what})<extra>%{{fullData.name}}</extra>",
        ):
            fig.add_trace(trace)
    fig.update_yaxes(title_text=_("Tagged items"))
    return figure_json(fig, months=months, height=320, hovermode="closest")


def feedback_detractors(report: FeedbackReport) -> dict:
    rows = [r for r in report.by_tag if r.nps.responses][::-1]  # the worst on top
    fig = go.Figure(
        go.Bar(
            x=[r.detractor_share for r in rows],
            y=[r.tag for r in rows],
            orientation="h",
            marker={"color": FILL["red"]},
            customdata=[[r.nps.detractors, r.nps.responses] for r in rows],
            hovertemplate="%{y}: %{x:.0f}% (%{customdata[0]} / %{customdata[1]})<extra></extra>",
        )
    )
    share = report.overall.detractor_share
    if share is not None:
        fig.add_vline(
            x=share,
            line={"color": INK, "dash": "dot"},
            annotation_text=_("all answers"),
            annotation_position="top",
        )
    fig.update_xaxes(title_text=_("Detractors (%)"), range=[0, 100])
    return figure_json(fig, height=max(220, 40 + 28 * len(rows)), hovermode="closest")


def feedback_releases(report: FeedbackReport) -> dict:
    releases = report.releases[::-1]  # oldest first, left to right
    x = [r.tag for r in releases]
    fig = go.Figure()
    for attr, name, colour in (
        ("before", _("NPS, 30 days before"), MUTED),
        ("after", _("NPS, 30 days after"), ACCENT),
    ):
        fig.add_trace(
            go.Bar(
                x=x,
                y=[getattr(r, attr).nps.score for r in releases],
                name=name,
                marker={"color": colour},
                customdata=[getattr(r, attr).nps.responses for r in releases],
                hovertemplate="%{x}: NPS %{y:.0f} (n=%{customdata})<extra></extra>",
            )
        )
    fig.update_yaxes(title_text=_("NPS"), range=[-100, 100], rangemode="normal")
    return figure_json(fig, height=300, barmode="group", hovermode="closest")
