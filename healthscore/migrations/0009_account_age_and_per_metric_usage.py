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


# The defaults as 0002 created them: (key, source, weight, window_days, poor, good, unit).
OLD_DEFAULTS = {
    ("usage", "usage_volume", 25.0, 30, None, None, "events"),
    ("revenue_trend", "revenue_trend", 15.0, 90, -20.0, 10.0, "%"),
    ("invoices", "invoice_overdue", 15.0, 365, 50.0, 0.0, "days overdue"),
    ("tickets", "open_tickets", 10.0, 365, 14.0, 0.0, "ticket-days open"),
    ("nps", "nps", 15.0, 180, 5.0, 10.0, ""),
    ("email", "email_open_rate", 10.0, 90, 10.0, 50.0, "% opened"),
    ("sentiment", "sentiment", 10.0, 90, 0.0, 100.0, "points"),
}
SIGNAL_FIELDS = ("label", "source", "metric", "method", "direction", "poor", "good",
                 "window_days", "weight", "critical", "enabled", "unit")


def new_defaults(apps, schema_editor):
    """An untuned default scorecard takes the new defaults (account age, usage per metric and
    per day, weights summing to 100) as a new published version; a tuned one is left as its
    admin made it, but a usage volume is now a rate per day whatever the scorecard, so its
    unit says so."""
    from django.utils import timezone

    from healthscore.defaults import DEFAULT_SIGNALS, FIELDS

    Scorecard = apps.get_model("healthscore", "Scorecard")
    SignalDefinition = apps.get_model("healthscore", "SignalDefinition")
    ScorecardVersion = apps.get_model("healthscore", "ScorecardVersion")
    SignalDefinition.objects.filter(source="usage_volume", unit="events").update(unit="a day")
    card = Scorecard.objects.filter(is_default=True, draft_of__isnull=True).first()
    if card is None:
        return
    signals = list(SignalDefinition.objects.filter(scorecard=card))
    current = {
        (s.key, s.source, s.weight, s.window_days, s.poor, s.good,
         "events" if s.key == "usage" and s.unit == "a day" else s.unit)
        for s in signals if s.enabled and not s.metric
    }
    untuned = (
        current == OLD_DEFAULTS and len(signals) == len(OLD_DEFAULTS)
        and (card.green_min, card.yellow_min, card.min_coverage) == (70.0, 40.0, 0.5)
    )
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
