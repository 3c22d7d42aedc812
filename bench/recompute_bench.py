"""Scale benchmark of the daily recompute on PostgreSQL.

Builds a synthetic book (default 100,000 active accounts, 30 days of 3 usage metrics,
invoices, tickets, NPS answers, e-mails, sentiment) in a scratch database, then prints:
  1. seconds for `health_recompute` of one day (all accounts, snapshots written);
  2. the floor: one hand-written SQL statement computing the same figures into a table;
  3. the naive way: a per-account ORM loop on a 1,000-account sample, extrapolated;
and the ratios between them.

    .venv/bin/python bench/recompute_bench.py [--accounts 100000]
"""

import argparse
import time
from datetime import date

from common import drop_database, use_scratch_database

DB = "healthscore_bench_recompute"
DAY = date(2026, 6, 30)


def build_book(cursor, accounts: int) -> None:
    d = DAY.isoformat()
    cursor.execute("SELECT setseed(0.42)")
    cursor.execute(
        """
        INSERT INTO accounts_account (external_id, name, segment, lifecycle_stage,
            licensed_seats, churn_reason, created_at, updated_at)
        SELECT 'B-' || g, 'Bench ' || g, (ARRAY['smb','mid_market','enterprise'])[1 + g %% 3],
               'mature', 20 + g %% 80, '', now(), now()
        FROM generate_series(1, %s) g
        """,
        [accounts],
    )
    # One open line each; a third changed price 60 days ago, so the revenue trend varies.
    cursor.execute(
        """
        INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
            start_date, end_date, is_trial)
        SELECT id, 'sub-' || id, 'Core', 100 + (id %% 50) * 10, %s::date - 400,
               CASE WHEN id %% 3 = 0 THEN %s::date - 60 END, false
        FROM accounts_account
        """,
        [d, d],
    )
    cursor.execute(
        """
        INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
            start_date, end_date, is_trial)
        SELECT id, 'sub-' || id, 'Core', (100 + (id %% 50) * 10) * (0.6 + (id %% 7) * 0.15),
               %s::date - 60, NULL, false
        FROM accounts_account WHERE id %% 3 = 0
        """,
        [d],
    )
    cursor.execute(
        """
        INSERT INTO signals_usagerecord (account_id, date, metric, value)
        SELECT a.id, %s::date - n, m, floor(random() * (a.id %% 97 + 5))
        FROM accounts_account a, generate_series(0, 29) n,
             unnest(ARRAY['logins', 'active_users', 'reports_created']) m
        """,
        [d],
    )
    cursor.execute(
        """
        INSERT INTO signals_invoice (account_id, invoice_number, issued_on, due_on, paid_on, amount)
        SELECT a.id, 'INV-' || a.id || '-' || k, %s::date - 30 * k - 30, %s::date - 30 * k,
               CASE WHEN random() < 0.93 THEN %s::date - 30 * k - 5 END, 500
        FROM accounts_account a, generate_series(0, 2) k
        """,
        [d, d, d],
    )
    cursor.execute(
        """
        INSERT INTO signals_ticket (account_id, ticket_id, subject, priority, opened_at,
            first_response_at, resolved_at, csat)
        SELECT a.id, 'T-' || a.id, 'Problem',
               (ARRAY['low','normal','high','critical'])[1 + floor(random() * 4)::int],
               %s::timestamptz - (floor(random() * 40) || ' days')::interval, NULL,
               CASE WHEN random() < 0.6 THEN %s::timestamptz END, NULL
        FROM accounts_account a WHERE random() < 0.5
        """,
        [d, d],
    )
    cursor.execute(
        """
        INSERT INTO surveys_surveyresponse (account_id, survey_type, respondent, responded_on,
            score, comment)
        SELECT a.id, 'nps', 'c' || a.id || '@x.example', %s::date - floor(random() * 150)::int,
               floor(random() * 11), ''
        FROM accounts_account a WHERE random() < 0.4
        """,
        [d],
    )
    cursor.execute(
        """
        INSERT INTO signals_emailmessage (account_id, message_id, subject, sent_at, opened_at,
            clicked_at)
        SELECT a.id, 'm-' || a.id || '-' || k, 'News',
               %s::timestamptz - (k * 15 || ' days')::interval,
               CASE WHEN random() < 0.45 THEN %s::timestamptz - (k * 15 - 1 || ' days')::interval END,
               NULL
        FROM accounts_account a, generate_series(1, 5) k
        """,
        [d, d],
    )
    cursor.execute(
        """
        INSERT INTO signals_sentimententry (account_id, recorded_on, sentiment, note)
        SELECT a.id, %s::date - floor(random() * 60)::int,
               (ARRAY['green','yellow','red'])[1 + floor(random() * 3)::int], ''
        FROM accounts_account a WHERE random() < 0.25
        """,
        [d],
    )
    cursor.execute("ANALYZE")


# The default scorecard's figures in one statement: raw values, component scores, coverage
# and the weighted mean with renormalisation, materialised as a table (as snapshots are).
FLOOR_SQL = """
CREATE TABLE floor AS
WITH active AS (
  SELECT DISTINCT account_id AS id FROM signals_subscriptionline
  WHERE start_date <= %(d)s AND (end_date IS NULL OR end_date > %(d)s)
), usage AS (
  SELECT a.id, coalesce(sum(u.value), 0) AS v FROM active a
  LEFT JOIN signals_usagerecord u ON u.account_id = a.id AND u.date > %(d)s::date - 30 AND u.date <= %(d)s
  GROUP BY a.id
), usage_pct AS (
  SELECT id, v, CASE WHEN count(*) OVER () > 1
    THEN 100.0 * (rank() OVER (ORDER BY v) - 1 + 0.5 * (count(*) OVER (PARTITION BY v) - 1))
         / (count(*) OVER () - 1) ELSE 50 END AS s FROM usage
), mrr AS (
  SELECT a.id,
    sum(l.mrr) FILTER (WHERE l.start_date <= %(d)s AND (l.end_date IS NULL OR l.end_date > %(d)s)) AS now,
    sum(l.mrr) FILTER (WHERE l.start_date <= %(d)s::date - 90
                       AND (l.end_date IS NULL OR l.end_date > %(d)s::date - 90)) AS before
  FROM active a JOIN signals_subscriptionline l ON l.account_id = a.id GROUP BY a.id
), inv AS (
  SELECT account_id AS id, coalesce(%(d)s::date - min(due_on) FILTER (
    WHERE (paid_on IS NULL OR paid_on > %(d)s) AND due_on < %(d)s), 0) AS days
  FROM signals_invoice WHERE issued_on <= %(d)s GROUP BY account_id
), tix AS (
  SELECT account_id AS id, sum(extract(epoch FROM (%(end)s::timestamptz - opened_at)) / 86400) AS days
  FROM signals_ticket WHERE opened_at < %(end)s AND priority IN ('high', 'critical')
    AND (resolved_at IS NULL OR resolved_at >= %(end)s) GROUP BY account_id
), nps AS (
  SELECT account_id AS id, avg(score) AS v FROM (
    SELECT DISTINCT ON (account_id, respondent) account_id, score FROM surveys_surveyresponse
    WHERE survey_type = 'nps' AND responded_on > %(d)s::date - 180 AND responded_on <= %(d)s
    ORDER BY account_id, respondent, responded_on DESC) x GROUP BY account_id
), mail AS (
  SELECT account_id AS id, 100.0 * count(opened_at) FILTER (WHERE opened_at < %(end)s) / count(*) AS v
  FROM signals_emailmessage WHERE sent_at >= %(d)s::date - 89 AND sent_at < %(end)s GROUP BY account_id
), sent AS (
  SELECT DISTINCT ON (account_id) account_id AS id,
    CASE sentiment WHEN 'green' THEN 100 WHEN 'yellow' THEN 50 ELSE 0 END AS v
  FROM signals_sentimententry WHERE recorded_on > %(d)s::date - 90 AND recorded_on <= %(d)s
  ORDER BY account_id, recorded_on DESC
), comp AS (
  SELECT a.id, m.now AS mrr,
    u.s AS usage_s,
    CASE WHEN coalesce(m.before, 0) > 0 THEN greatest(0, least(100,
      ((m.now - m.before) / m.before * 100 + 20) / 30 * 100)) END AS rev_s,
    CASE WHEN i.id IS NOT NULL THEN greatest(0, least(100, (50 - i.days) / 50.0 * 100)) END AS inv_s,
    greatest(0, least(100, (14 - coalesce(t.days, 0)) / 14.0 * 100)) AS tix_s,
    CASE WHEN n.id IS NOT NULL THEN greatest(0, least(100, (n.v - 5) / 5.0 * 100)) END AS nps_s,
    CASE WHEN e.id IS NOT NULL THEN greatest(0, least(100, (e.v - 10) / 40.0 * 100)) END AS mail_s,
    s.v AS sent_s
  FROM active a JOIN usage_pct u ON u.id = a.id JOIN mrr m ON m.id = a.id
  LEFT JOIN inv i ON i.id = a.id LEFT JOIN tix t ON t.id = a.id LEFT JOIN nps n ON n.id = a.id
  LEFT JOIN mail e ON e.id = a.id LEFT JOIN sent s ON s.id = a.id
), weighted AS (
  SELECT *, (25 + CASE WHEN rev_s IS NULL THEN 0 ELSE 15 END + CASE WHEN inv_s IS NULL THEN 0 ELSE 15 END
     + 10 + CASE WHEN nps_s IS NULL THEN 0 ELSE 15 END + CASE WHEN mail_s IS NULL THEN 0 ELSE 10 END
     + CASE WHEN sent_s IS NULL THEN 0 ELSE 10 END) AS w_data,
    (25 * usage_s + 15 * coalesce(rev_s, 0) + 15 * coalesce(inv_s, 0) + 10 * tix_s
     + 15 * coalesce(nps_s, 0) + 10 * coalesce(mail_s, 0) + 10 * coalesce(sent_s, 0)) AS points
  FROM comp
)
SELECT id, %(d)s::date AS date, mrr, usage_s, rev_s, inv_s, tix_s, nps_s, mail_s, sent_s,
  w_data / 100.0 AS coverage,
  CASE WHEN w_data >= 50 THEN round((points / w_data)::numeric, 1) END AS score,
  CASE WHEN inv_s < 40 THEN 'red' WHEN w_data < 50 THEN 'grey'
       WHEN points / w_data >= 70 THEN 'green' WHEN points / w_data >= 40 THEN 'yellow'
       ELSE 'red' END AS colour
FROM weighted
"""


def naive_recompute(account_ids: list[int]) -> None:
    """What a first draft would do: per account, per signal, its own queries and a save."""
    from accounts.models import Account
    from healthscore.measures import measure
    from healthscore.models import HealthSnapshot, Scorecard
    from healthscore.recompute import health_to_json, population
    from healthscore.scoring import Component, Method, combine, component_score, percentile_against
    from signals.revenue import mrr_on

    card = Scorecard.objects.get(is_default=True)
    signals = list(card.signals.filter(enabled=True))
    pops = {
        s.pk: population(s, DAY, card.version) for s in signals if s.method == Method.PERCENTILE
    }
    for account in Account.objects.filter(pk__in=account_ids):
        components = []
        for s in signals:
            raw = measure(s, DAY, [account.pk], {"account_id": account.pk})[account.pk]
            if raw is None:
                score = None
            elif s.method == Method.PERCENTILE:
                score = percentile_against(raw, pops[s.pk])
            else:
                score = component_score(Method(s.method), raw, poor=s.poor, good=s.good)
            components.append(Component(s.key, s.label, raw, score, s.weight, s.critical))
        health = combine(components, bands=card.bands, min_coverage=card.min_coverage)
        HealthSnapshot.objects.update_or_create(
            account=account,
            date=DAY,
            defaults={
                "score": health.score,
                "colour": health.colour.value,
                "coverage": health.coverage,
                "components": health_to_json(health),
                "scorecard": card,
                "scorecard_version": card.version,
                "mrr": mrr_on(account.subscription_lines.all(), DAY),
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    use_scratch_database(DB)
    from django.db import connection

    from healthscore.measures import end_of
    from healthscore.models import HealthSnapshot
    from healthscore.recompute import health_recompute

    print(f"Building a book of {args.accounts:,} accounts in {DB} ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        build_book(cursor, args.accounts)
        cursor.execute("SELECT count(*) FROM signals_usagerecord")
        usage_rows = cursor.fetchone()[0]
    print(f"  built in {time.perf_counter() - started:.0f} s ({usage_rows:,} usage rows)")

    started = time.perf_counter()
    result = health_recompute(as_of=DAY)
    recompute_s = time.perf_counter() - started
    started = time.perf_counter()
    health_recompute(as_of=DAY)
    rerun_s = time.perf_counter() - started

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, {"d": DAY, "end": end_of(DAY)})
        floor_s = time.perf_counter() - started
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE colour = 'green') FROM floor")
        floor_rows, floor_green = cursor.fetchone()
        cursor.execute(
            """SELECT count(*) FROM floor f JOIN healthscore_healthsnapshot h
               ON h.account_id = f.id AND h.date = f.date
               WHERE h.colour <> f.colour OR abs(coalesce(h.score, -1) - coalesce(f.score, -1)) > 0.2"""
        )
        disagree = cursor.fetchone()[0]

    sample = list(
        HealthSnapshot.objects.filter(date=DAY)
        .order_by("?")
        .values_list("account_id", flat=True)[: args.sample]
    )
    started = time.perf_counter()
    naive_recompute(sample)
    naive_sample_s = time.perf_counter() - started
    naive_s = naive_sample_s * result.accounts / max(len(sample), 1)

    print()
    print(f"Recompute of one day, {result.accounts:,} active accounts, PostgreSQL, this machine")
    print(f"  {'health_recompute (set-based, snapshots written)':<52} {recompute_s:8.1f} s")
    print(f"  {'  the same day again (idempotent rerun)':<52} {rerun_s:8.1f} s")
    print(f"  {'hand-written SQL floor (one statement, table)':<52} {floor_s:8.1f} s")
    print(
        f"  {'naive per-account ORM loop (extrapolated)':<52} {naive_s:8.1f} s"
        f"   ({len(sample):,} accounts took {naive_sample_s:.1f} s)"
    )
    print(f"  ratio recompute / floor: {recompute_s / floor_s:5.2f}x")
    print(f"  ratio naive / recompute: {naive_s / recompute_s:5.1f}x")
    print(
        f"  colours: {dict(sorted(result.colours.items()))}; floor rows {floor_rows:,}, "
        f"green {floor_green:,}; snapshots disagreeing with the floor: {disagree:,}"
    )
    if not args.keep:
        drop_database(DB)


if __name__ == "__main__":
    main()
