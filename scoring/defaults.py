"""The default scorecard: a meaningful score on a new install with zero tuning.

Plain data, so the data migration and the tests build the same scorecard. The labels and
units are stored in English and marked for the catalogues: `SignalDefinition.shown_label` and
`shown_unit` show one that is still the default in the reader's language.
"""

from django.utils.translation import gettext_noop

# key, label, source, method, direction, poor, good, window days, weight, critical, unit.
# The weights sum to 100, so on a book with every source each reads as a percentage; sources a
# book lacks are not measured and the rest are renormalised (a usage-and-billing book scores
# usage 60 %, revenue trend 20 %, account age 20 %).
DEFAULT_SIGNALS = [
    # Each usage metric is ranked on its own against the whole book (no absolute threshold to
    # guess, a gauge never added to a count); the component is the mean of the metrics' ranks.
    # Per day, so a 10-day-old account is not ranked as if it had been idle for 20 days.
    (
        "usage",
        gettext_noop("Product usage"),
        "usage_volume",
        "percentile",
        "higher_better",
        None,
        None,
        30,
        30,
        False,
        gettext_noop("a day"),
    ),
    # New customers churn most: 0 on the first day, full marks once past six months.
    (
        "account_age",
        gettext_noop("Account age"),
        "account_age",
        "threshold",
        "higher_better",
        0,
        180,
        1,
        10,
        False,
        gettext_noop("days"),
    ),
    # Expansion is good, contraction bad: -20 % MRR over 90 days scores 0, +10 % scores 100.
    (
        "revenue_trend",
        gettext_noop("Revenue trend"),
        "revenue_trend",
        "threshold",
        "higher_better",
        -20,
        10,
        90,
        10,
        False,
        gettext_noop("%"),
    ),
    # More than 30 days overdue is red, 50 days scores 0; critical, so usage cannot offset it.
    (
        "invoices",
        gettext_noop("Invoices"),
        "invoice_overdue",
        "threshold",
        "lower_better",
        50,
        0,
        365,
        15,
        True,
        gettext_noop("days overdue"),
    ),
    (
        "tickets",
        gettext_noop("Support tickets"),
        "open_tickets",
        "threshold",
        "lower_better",
        14,
        0,
        365,
        10,
        False,
        gettext_noop("ticket-days open"),
    ),
    # 5 → 0 and 10 → 100 puts detractors (0–6) in red, passives (7–8) yellow, promoters green.
    ("nps", "NPS", "nps", "threshold", "higher_better", 5, 10, 180, 10, False, ""),
    (
        "email",
        gettext_noop("E-mail engagement"),
        "email_open_rate",
        "threshold",
        "higher_better",
        10,
        50,
        90,
        5,
        False,
        # xgettext:no-python-format
        gettext_noop("% opened"),
    ),
    (
        "sentiment",
        gettext_noop("CSM sentiment"),
        "sentiment",
        "threshold",
        "higher_better",
        0,
        100,
        90,
        10,
        False,
        gettext_noop("points"),
    ),
]
# Signals an admin may add to a scorecard (Signal definitions › Add, with these values), kept out
# of the default: the score-quality bench simulates usage and billing only, so nothing shows
# yet that they improve the default's accuracy, and a new install has no goals or referrals.
OPTIONAL_SIGNALS = [
    # Share of the goals counting on the day (open, or due in the last 90 days) on track or met.
    (
        "goals",
        "Goals on track",
        "goals_on_track",
        "threshold",
        "higher_better",
        0,
        100,
        90,
        10,
        False,
        "% on track",
    ),
    # Referrals given in the last year: one scores 50, two or more full marks.
    (
        "advocacy",
        "Advocacy",
        "advocacy",
        "threshold",
        "higher_better",
        0,
        2,
        365,
        5,
        False,
        "referrals",
    ),
]
FIELDS = (
    "key",
    gettext_noop("label"),
    "source",
    "method",
    "direction",
    "poor",
    "good",
    "window_days",
    "weight",
    "critical",
    "unit",
)


def create_default_scorecard(scorecard_model, signal_model):
    """Create the default scorecard unless there is one (models passed in for migrations)."""
    card, created = scorecard_model.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "min_coverage": 0.5}
    )
    if created:
        signal_model.objects.bulk_create(
            signal_model(scorecard=card, **dict(zip(FIELDS, row, strict=True)))
            for row in DEFAULT_SIGNALS
        )
    return card


def optional_signal(key: str) -> dict:
    """The field values of an optional signal (OPTIONAL_SIGNALS) by its key."""
    row = next(row for row in OPTIONAL_SIGNALS if row[0] == key)
    return dict(zip(FIELDS, row, strict=True))
