"""Account age as a signal, usage scored per metric and per day: the new defaults."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('healthscore', '0008_outbox_schedule'),
    ]

    operations = [
        migrations.AlterField(
            model_name='signaldefinition',
            name='source',
            field=models.CharField(choices=[('usage_volume', 'Usage: volume per day (every metric on its own if none named)'), ('usage_frequency', 'Usage: days active'), ('usage_breadth', 'Usage: distinct metrics used'), ('licence_utilisation', 'Usage: latest active users ÷ licensed seats (%)'), ('days_since_activity', 'Usage: days since last activity'), ('revenue_trend', "Revenue: MRR change against the window's start (%)"), ('account_age', 'Account age: days since the first subscription day'), ('invoice_overdue', 'Invoices: days the oldest unpaid invoice is overdue'), ('open_tickets', 'Support: days open of open high/critical tickets'), ('nps', "NPS: mean of each contact's latest answer"), ('csat', 'CSAT: mean rating of tickets and surveys'), ('email_open_rate', 'E-mail: open rate (%)'), ('sentiment', 'CSM sentiment: latest entry')], max_length=32),
        ),
    ]


# The defaults as 0002 created them, every field: (key, label, source, metric, method,
# direction, poor, good, window_days, weight, critical, enabled, unit).
OLD_DEFAULTS = {
    ("usage", "Product usage", "usage_volume", "", "percentile", "higher_better", None, None,
     30, 25.0, False, True, "events"),
    ("revenue_trend", "Revenue trend", "revenue_trend", "", "threshold", "higher_better",
     -20.0, 10.0, 90, 15.0, False, True, "%"),
    ("invoices", "Invoices", "invoice_overdue", "", "threshold", "lower_better", 50.0, 0.0,
     365, 15.0, True, True, "days overdue"),
    ("tickets", "Support tickets", "open_tickets", "", "threshold", "lower_better", 14.0, 0.0,
     365, 10.0, False, True, "ticket-days open"),
    ("nps", "NPS", "nps", "", "threshold", "higher_better", 5.0, 10.0, 180, 15.0, False, True,
     ""),
    ("email", "E-mail engagement", "email_open_rate", "", "threshold", "higher_better", 10.0,
     50.0, 90, 10.0, False, True, "% opened"),
    ("sentiment", "CSM sentiment", "sentiment", "", "threshold", "higher_better", 0.0, 100.0,
     90, 10.0, False, True, "points"),
}
SIGNAL_FIELDS = ("label", "source", "metric", "method", "direction", "poor", "good",
                 "window_days", "weight", "critical", "enabled", "unit")


def new_defaults(apps, schema_editor):
    """A usage volume is now a rate per day whatever the scorecard: its unit says so, and the
    thresholds of a volume scored by thresholds become per day too (a tuned 300 → 3,000 events
    in 30 days is 10 → 100 a day), so a tuned scorecard scores as it did.

    An untuned default scorecard (every field as 0002 made it, no draft open) takes the new
    defaults — account age, usage per metric, weights summing to 100 — as a new version."""
    from django.utils import timezone

    from healthscore.defaults import DEFAULT_SIGNALS, FIELDS

    Scorecard = apps.get_model("healthscore", "Scorecard")
    SignalDefinition = apps.get_model("healthscore", "SignalDefinition")
    ScorecardVersion = apps.get_model("healthscore", "ScorecardVersion")
    for signal in SignalDefinition.objects.filter(source="usage_volume", method="threshold"):
        signal.poor = None if signal.poor is None else signal.poor / signal.window_days
        signal.good = None if signal.good is None else signal.good / signal.window_days
        signal.save(update_fields=["poor", "good"])
    card = Scorecard.objects.filter(is_default=True, draft_of__isnull=True).first()
    if card is None or Scorecard.objects.filter(draft_of=card).exists():
        SignalDefinition.objects.filter(source="usage_volume", unit="events").update(unit="a day")
        return
    current = {
        (s.key, *(getattr(s, f) for f in SIGNAL_FIELDS))
        for s in SignalDefinition.objects.filter(scorecard=card)
    }
    untuned = current == OLD_DEFAULTS and (
        card.green_min, card.yellow_min, card.min_coverage
    ) == (70.0, 40.0, 0.5)
    SignalDefinition.objects.filter(source="usage_volume", unit="events").update(unit="a day")
    if not untuned:
        return
    SignalDefinition.objects.filter(scorecard=card).delete()
    SignalDefinition.objects.bulk_create(
        SignalDefinition(scorecard=card, **dict(zip(FIELDS, row, strict=True)))
        for row in DEFAULT_SIGNALS
    )
    card.version += 1
    card.save(update_fields=["version"])
    ScorecardVersion.objects.get_or_create(
        scorecard=card, version=card.version,
        defaults={
            "published_at": timezone.now(),
            "config": {
                "green_min": card.green_min, "yellow_min": card.yellow_min,
                "min_coverage": card.min_coverage,
                "signals": {
                    s.key: {f: getattr(s, f) for f in SIGNAL_FIELDS}
                    for s in SignalDefinition.objects.filter(scorecard=card).order_by("key")
                },
            },
        },
    )


Migration.operations.append(migrations.RunPython(new_defaults, migrations.RunPython.noop))
