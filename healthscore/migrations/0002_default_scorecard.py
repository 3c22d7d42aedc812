"""The default scorecard: a meaningful score on a new install with zero tuning."""

from django.db import migrations

# key, label, source, method, direction, poor, good, window, weight, critical, unit
DEFAULT_SIGNALS = [
    # Usage is ranked against the whole book, so no absolute threshold has to be guessed.
    ("usage", "Product usage", "usage_volume", "percentile", "higher_better", None, None, 30, 25, False, "events"),
    # Expansion is good, contraction bad: -20 % MRR scores 0, +10 % scores 100.
    ("revenue_trend", "Revenue trend", "revenue_trend", "threshold", "higher_better", -20, 10, 90, 15, False, "%"),
    # More than 30 days overdue is red; 50 days scores 0. Critical: not offset by heavy usage.
    ("invoices", "Invoices", "invoice_overdue", "threshold", "lower_better", 50, 0, 365, 15, True, "days overdue"),
    ("tickets", "Support tickets", "open_tickets", "threshold", "lower_better", 14, 0, 365, 10, False, "ticket-days open"),
    # 5 → 0 and 10 → 100 puts detractors (0–6) in red, passives (7–8) in yellow, promoters green.
    ("nps", "NPS", "nps", "threshold", "higher_better", 5, 10, 180, 15, False, "/10"),
    ("email", "E-mail engagement", "email_open_rate", "threshold", "higher_better", 10, 50, 90, 10, False, "% opened"),
    ("sentiment", "CSM sentiment", "sentiment", "threshold", "higher_better", 0, 100, 90, 10, False, "points"),
]


def create_default(apps, schema_editor):
    Scorecard = apps.get_model("healthscore", "Scorecard")
    SignalDefinition = apps.get_model("healthscore", "SignalDefinition")
    card, created = Scorecard.objects.get_or_create(
        name="Default", defaults={"is_default": True, "min_coverage": 0.5}
    )
    if not created:
        return
    for key, label, source, method, direction, poor, good, window, weight, critical, unit in DEFAULT_SIGNALS:
        SignalDefinition.objects.create(
            scorecard=card, key=key, label=label, source=source, method=method,
            direction=direction, poor=poor, good=good, window_days=window, weight=weight,
            critical=critical, unit=unit,
        )


class Migration(migrations.Migration):
    dependencies = [("healthscore", "0001_initial")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
