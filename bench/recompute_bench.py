"""Scale benchmark of the daily recompute on PostgreSQL.

Builds a synthetic book (default 100,000 active accounts, a tenth of them younger than a year
and some only days old; 30 days of 3 usage metrics, one of which a quarter of the accounts
never use; invoices, tickets, NPS answers, e-mails, sentiment) in a scratch database, then
prints:
  1. seconds for `health_recompute` of one day (all accounts, snapshots written);
  2. the floor: one hand-written SQL statement computing the default scorecard's figures into
     a table;
  3. the naive way: the service run for one account at a time (its own queries and a save) on
     a 1,000-account sample, extrapolated;
  4. a backfill of the 30 days up to the day (`health_backfill`), in seconds a day, beside a
     single-day recompute of a new day once the caches are warm (the nightly run's case);
and the ratios between them, and the bytes a snapshot row takes with its indexes. It then checks every snapshot against the floor and exits 1 if
any disagrees beyond float noise: a score more than 0.05 away, another colour, a coverage more
than 0.0001 away, or a snapshot on one side only (see `DISAGREEING`).

    .venv/bin/python bench/recompute_bench.py [--accounts 100000] [--lacking nps,email]
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta

from common import drop_database, use_scratch_database

DB = "healthscore_bench_recompute"
DAY = date(2026, 6, 30)
SOURCES = ("usage", "invoices", "tickets", "nps", "email", "sentiment")  # --lacking choices

# Each account's first subscription day, as days before DAY: most started 400 days ago, every
# tenth account (id ending in 7) 0 to 199 days ago, so the young-account rules are exercised
# (per-day usage, revenue trend against the first day's MRR, components too new to count).
AGE = "(CASE WHEN {id} %% 10 = 7 THEN ({id} / 10) %% 200 ELSE 400 END)::int"


def build_book(cursor, accounts: int, lacking: frozenset[str] = frozenset()) -> None:
    d = DAY.isoformat()
    age = AGE.format(id="a.id")
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
    # One open line each; a third changed price (60 days ago, or halfway through a young
    # account's life), so the revenue trend varies.
    change = f"CASE WHEN {age} = 400 THEN 60 ELSE {age} / 2 END"
    changed = f"a.id %% 3 = 0 AND {age} >= 2"
    cursor.execute(
        f"""
        INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
            start_date, end_date, is_trial)
        SELECT a.id, 'sub-' || a.id, 'Core', 100 + (a.id %% 50) * 10, %s::date - {age},
               CASE WHEN {changed} THEN %s::date - {change} END, false
        FROM accounts_account a
        """,
        [d, d],
    )
    cursor.execute(
        f"""
        INSERT INTO signals_subscriptionline (account_id, subscription_id, product, mrr,
            start_date, end_date, is_trial)
        SELECT a.id, 'sub-' || a.id, 'Core', (100 + (a.id %% 50) * 10) * (0.6 + (a.id %% 7) * 0.15),
               %s::date - {change}, NULL, false
        FROM accounts_account a WHERE {changed}
        """,
        [d],
    )
    # Facts start on the account's first day at the earliest.
    if "usage" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO signals_usagerecord (account_id, date, metric, value)
            SELECT a.id, %s::date - n, m, floor(random() * (a.id %% 97 + 5))
            FROM accounts_account a, generate_series(0, 29) n,
                 unnest(ARRAY['logins', 'active_users', 'reports_created']) m
            WHERE n <= {age} AND (m <> 'reports_created' OR a.id %% 4 <> 0)
            """,
            [d],
        )
    if "invoices" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO signals_invoice (account_id, invoice_number, issued_on, due_on, paid_on,
                amount)
            SELECT a.id, 'INV-' || a.id || '-' || k, %s::date - 30 * k - 30, %s::date - 30 * k,
                   CASE WHEN random() < 0.93 THEN %s::date - 30 * k - 5 END, 500
            FROM accounts_account a, generate_series(0, 2) k WHERE 30 * k + 30 <= {age}
            """,
            [d, d, d],
        )
    if "tickets" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO signals_ticket (account_id, ticket_id, subject, priority, opened_at,
                first_response_at, resolved_at, csat)
            SELECT a.id, 'T-' || a.id, 'Problem',
                   (ARRAY['low','normal','high','critical'])[1 + floor(random() * 4)::int],
                   %s::timestamptz
                       - (floor(random() * least(40, {age} + 1)) || ' days')::interval,
                   NULL, CASE WHEN random() < 0.6 THEN %s::timestamptz END, NULL
            FROM accounts_account a WHERE random() < 0.5
            """,
            [d, d],
        )
    if "nps" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO surveys_surveyresponse (account_id, survey_type, respondent,
                responded_on, score, comment)
            SELECT a.id, 'nps', 'c' || a.id || '@x.example',
                   %s::date - floor(random() * least(150, {age} + 1))::int,
                   floor(random() * 11), ''
            FROM accounts_account a WHERE random() < 0.4
            """,
            [d],
        )
    if "email" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO signals_emailmessage (account_id, message_id, subject, sent_at,
                opened_at, clicked_at)
            SELECT a.id, 'm-' || a.id || '-' || k, 'News',
                   %s::timestamptz - (k * 15 || ' days')::interval,
                   CASE WHEN random() < 0.45
                        THEN %s::timestamptz - (k * 15 - 1 || ' days')::interval END,
                   NULL
            FROM accounts_account a, generate_series(1, 5) k WHERE 15 * k <= {age}
            """,
            [d, d],
        )
    if "sentiment" not in lacking:
        cursor.execute(
            f"""
            INSERT INTO signals_sentimententry (account_id, recorded_on, sentiment, note)
            SELECT a.id, %s::date - floor(random() * least(60, {age} + 1))::int,
                   (ARRAY['green','yellow','red'])[1 + floor(random() * 3)::int], ''
            FROM accounts_account a WHERE random() < 0.25
            """,
            [d],
        )
    cursor.execute("ANALYZE")


# What FLOOR_SQL hard-codes, checked against the database's default scorecard before the run:
# key -> (source, method, direction, poor, good, window days, weight, critical).
FLOOR_SIGNALS = {
    "usage": ("usage_volume", "percentile", "higher_better", None, None, 30, 30, False),
    "account_age": ("account_age", "threshold", "higher_better", 0, 180, 1, 10, False),
    "revenue_trend": ("revenue_trend", "threshold", "higher_better", -20, 10, 90, 10, False),
    "invoices": ("invoice_overdue", "threshold", "lower_better", 50, 0, 365, 15, True),
    "tickets": ("open_tickets", "threshold", "lower_better", 14, 0, 365, 10, False),
    "nps": ("nps", "threshold", "higher_better", 5, 10, 180, 10, False),
    "email": ("email_open_rate", "threshold", "higher_better", 10, 50, 90, 5, False),
    "sentiment": ("sentiment", "threshold", "higher_better", 0, 100, 90, 10, False),
}
FLOOR_BANDS = (70, 40, 0.5)  # green_min, yellow_min, min_coverage


def check_floor_card() -> None:
    """Exit unless the default scorecard is the one FLOOR_SQL computes."""
    from scoring.models import Scorecard

    card = Scorecard.objects.get(is_default=True)
    signals = {
        s.key: (s.source, s.method, s.direction, s.poor, s.good, s.window_days, s.weight)
        + (s.critical,)
        for s in card.signals.filter(enabled=True)
    }
    metrics = set(card.signals.filter(enabled=True).values_list("metric", flat=True))
    bands = (card.green_min, card.yellow_min, card.min_coverage)
    if signals != FLOOR_SIGNALS or metrics != {""} or bands != FLOOR_BANDS:
        sys.exit(
            "The default scorecard is not the one FLOOR_SQL computes: update FLOOR_SIGNALS and "
            f"FLOOR_SQL together.\n  database: {signals} {bands}\n  floor:    {FLOOR_SIGNALS}"
        )


# The default scorecard's figures in one statement, materialised as a table (as snapshots
# are). Component scores are rounded to 1 decimal before the weighted mean, the score to 1
# decimal, and the colour comes from the rounded score (the critical rule from the rounded
# invoice score), as in scoring.maths.combine. Exact decimal arithmetic, except where
# the app's binary doubles decide: the per-day usage rates (float8 as in Python, so that both
# sides see the same ties in the ranks) and the metric percentiles (the same double, rounded
# as Python rounds it). The other components' exact values are never halfway between two
# 1-decimal scores in this book, nor is a mean of 3 metrics' scores (T/30). The weighted mean
# often is (x.x5, for about 2 % of the accounts): `tie` marks those; the app's float sum of
# score x weight/total lands a hair above or below, so either rounding (`score` or
# `score_down`, each with its colour) is the app's right answer there.
FLOOR_SQL = """
CREATE TABLE floor AS
WITH active AS (
  -- age: days since the first subscription day (of any line, as signals.revenue.first_days)
  SELECT a.id, %(d)s::date - min(l.start_date) AS age
  FROM accounts_account a JOIN signals_subscriptionline l ON l.account_id = a.id
  WHERE a.churned_on IS NULL OR a.churned_on > %(d)s
  GROUP BY a.id
  HAVING bool_or(l.start_date <= %(d)s AND (l.end_date IS NULL OR l.end_date > %(d)s))
), book AS (
  -- A source of which the book has no fact in the signal's window is not measured.
  SELECT
    EXISTS (SELECT 1 FROM signals_usagerecord WHERE date BETWEEN %(d)s::date - 29 AND %(d)s)
      AS usage,
    EXISTS (SELECT 1 FROM signals_invoice WHERE issued_on <= %(d)s
            AND (issued_on >= %(d)s::date - 364 OR paid_on IS NULL OR paid_on > %(d)s))
      AS invoices,
    EXISTS (SELECT 1 FROM signals_ticket WHERE opened_at < %(end)s
            AND (opened_at >= %(d)s::date - 364 OR resolved_at IS NULL OR resolved_at >= %(end)s))
      AS tickets,
    EXISTS (SELECT 1 FROM surveys_surveyresponse WHERE survey_type = 'nps'
            AND responded_on BETWEEN %(d)s::date - 179 AND %(d)s) AS nps,
    EXISTS (SELECT 1 FROM signals_emailmessage
            WHERE sent_at >= %(d)s::date - 89 AND sent_at < %(end)s) AS email,
    EXISTS (SELECT 1 FROM signals_sentimententry
            WHERE recorded_on BETWEEN %(d)s::date - 89 AND %(d)s) AS sentiment
), usage_sum AS (
  SELECT u.account_id AS id, u.metric, sum(u.value) AS v
  FROM signals_usagerecord u JOIN active a ON a.id = u.account_id
  WHERE u.date BETWEEN %(d)s::date - 29 AND %(d)s GROUP BY 1, 2
), rate AS (
  -- Each metric's volume per day the account existed in the 30-day window; every metric the
  -- book used counts, 0 for an account that did not use it.
  SELECT a.id, m.metric,
    coalesce(s.v, 0)::float8 / greatest(1, least(30, a.age + 1))::float8 AS v
  FROM active a CROSS JOIN (SELECT DISTINCT metric FROM usage_sum) m
  LEFT JOIN usage_sum s ON s.id = a.id AND s.metric = m.metric
), metric_rank AS (
  -- Mid-rank percentile among all active accounts, metric by metric, as the double Python
  -- computes: the numerator is exact, so one IEEE division gives the very same bits.
  SELECT id, CASE WHEN count(*) OVER (PARTITION BY metric) > 1
    THEN 100.0::float8 * (rank() OVER (PARTITION BY metric ORDER BY v) - 1
                          + 0.5 * (count(*) OVER (PARTITION BY metric, v) - 1))::float8
         / (count(*) OVER (PARTITION BY metric) - 1)::float8
    ELSE 50 END AS x
  FROM rate
), metric_exact AS (
  -- The exact decimal value of that double (x * 2^67 is an integer for x >= 2^-15; smaller
  -- ones round to 0.0 anyway), split in two parts that cast to numeric without loss.
  SELECT id, (floor(x * 34359738368::float8)::numeric * 4294967296
              + (x * 147573952589676412928::float8
                 - floor(x * 34359738368::float8) * 4294967296::float8)::numeric)
             / 147573952589676412928 AS ex
  FROM metric_rank
), metric_pct AS (
  -- Rounded to 1 decimal as Python's round() does it: from the exact binary value, an exact
  -- tie to even. (When n - 1 is a multiple of 8, some exact percentiles are x.x5: the double
  -- then lies a hair above or below, and decides.)
  SELECT id, CASE WHEN mod(ex * 20, 2) = 1 THEN (floor(ex * 10) + mod(floor(ex * 10), 2)) / 10
                  ELSE round(ex, 1) END AS s
  FROM metric_exact
), usage AS (
  SELECT id, round(avg(s), 1) AS s FROM metric_pct GROUP BY id
), mrr AS (
  -- MRR on the day, at the window start (90 days before), and on the first day (its first
  -- lines) for an account younger than the window.
  SELECT a.id, a.age,
    sum(l.mrr) FILTER (WHERE l.start_date <= %(d)s
                       AND (l.end_date IS NULL OR l.end_date > %(d)s)) AS now,
    CASE WHEN a.age < 90
      THEN sum(l.mrr) FILTER (WHERE l.start_date = %(d)s::date - a.age)
      ELSE sum(l.mrr) FILTER (WHERE l.start_date <= %(d)s::date - 90
                              AND (l.end_date IS NULL OR l.end_date > %(d)s::date - 90))
    END AS before
  FROM active a JOIN signals_subscriptionline l ON l.account_id = a.id GROUP BY a.id, a.age
), rev AS (
  SELECT id, CASE WHEN coalesce(before, 0) = 0 THEN CASE WHEN coalesce(now, 0) = 0 THEN 0 END
    ELSE (coalesce(now, 0) - before) / abs(before) * 100 END AS pct
  FROM mrr
), inv AS (
  SELECT account_id AS id, coalesce(%(d)s::date - min(due_on) FILTER (
    WHERE (paid_on IS NULL OR paid_on > %(d)s) AND due_on < %(d)s), 0) AS days
  FROM signals_invoice WHERE issued_on <= %(d)s GROUP BY account_id
), tix AS (
  SELECT account_id AS id, sum(extract(epoch FROM (%(end)s::timestamptz - opened_at))) / 86400
    AS days
  FROM signals_ticket WHERE opened_at < %(end)s AND priority IN ('high', 'critical')
    AND (resolved_at IS NULL OR resolved_at >= %(end)s) GROUP BY account_id
), nps AS (
  SELECT account_id AS id, avg(score) AS v FROM (
    SELECT DISTINCT ON (account_id, respondent) account_id, score FROM surveys_surveyresponse
    WHERE survey_type = 'nps' AND responded_on BETWEEN %(d)s::date - 179 AND %(d)s
    ORDER BY account_id, respondent, responded_on DESC) x GROUP BY account_id
), mail AS (
  SELECT account_id AS id, 100.0 * count(opened_at) FILTER (WHERE opened_at < %(end)s) / count(*)
    AS v
  FROM signals_emailmessage WHERE sent_at >= %(d)s::date - 89 AND sent_at < %(end)s
  GROUP BY account_id
), sent AS (
  SELECT DISTINCT ON (account_id) account_id AS id,
    CASE sentiment WHEN 'green' THEN 100 WHEN 'yellow' THEN 50 ELSE 0 END AS v
  FROM signals_sentimententry WHERE recorded_on BETWEEN %(d)s::date - 89 AND %(d)s
  ORDER BY account_id, recorded_on DESC
), comp AS (
  -- Component scores, rounded to 1 decimal; NULL = no value (greatest and least skip NULLs,
  -- hence the CASEs).
  SELECT a.id, a.age, m.now AS mrr,
    u.s AS usage_s,
    round(least(100, a.age * 100 / 180.0), 1) AS age_s,
    CASE WHEN r.pct IS NOT NULL
      THEN round(greatest(0, least(100, (r.pct + 20) / 30 * 100)), 1) END AS rev_s,
    CASE WHEN i.id IS NOT NULL
      THEN round(greatest(0, least(100, (50 - i.days) / 50.0 * 100)), 1) END AS inv_s,
    round(greatest(0, least(100, (14 - coalesce(t.days, 0)) / 14 * 100)), 1) AS tix_s,
    CASE WHEN n.id IS NOT NULL THEN round(greatest(0, least(100, (n.v - 5) / 5 * 100)), 1) END
      AS nps_s,
    CASE WHEN e.id IS NOT NULL THEN round(greatest(0, least(100, (e.v - 10) / 40 * 100)), 1) END
      AS mail_s,
    round(s.v, 1) AS sent_s
  FROM active a JOIN mrr m ON m.id = a.id JOIN rev r ON r.id = a.id
  LEFT JOIN usage u ON u.id = a.id LEFT JOIN inv i ON i.id = a.id
  LEFT JOIN tix t ON t.id = a.id LEFT JOIN nps n ON n.id = a.id
  LEFT JOIN mail e ON e.id = a.id LEFT JOIN sent s ON s.id = a.id
), parts AS (
  -- One row per component: scored (in the mean and the coverage), no data (counts against
  -- the coverage), new (missing for an account younger than the span it needs: left out for
  -- it alone) or not measured (the book lacks the source: left out for all).
  SELECT c.id, p.weight, p.critical, p.s,
    p.in_book AND p.s IS NOT NULL AS scored,
    p.in_book AND (p.s IS NOT NULL OR c.age >= p.needs) AS counted
  FROM comp c CROSS JOIN book b CROSS JOIN LATERAL (VALUES
    (30, false, c.usage_s, b.usage, 30),
    (10, false, c.age_s, true, 1),
    (10, false, c.rev_s, true, 90),
    (15, true, c.inv_s, b.invoices, 365),
    (10, false, c.tix_s, b.tickets, 365),
    (10, false, c.nps_s, b.nps, 180),
    (5, false, c.mail_s, b.email, 90),
    (10, false, c.sent_s, b.sentiment, 90)
  ) AS p (weight, critical, s, in_book, needs)
), weighted AS (
  SELECT id,
    coalesce(sum(weight) FILTER (WHERE scored), 0) AS w_data,
    coalesce(sum(weight) FILTER (WHERE counted), 0) AS w_counted,
    sum(weight * s) FILTER (WHERE scored) AS points,
    coalesce(bool_or(critical AND scored AND s < 40), false) AS critical_red
  FROM parts GROUP BY id
), mean AS (
  SELECT c.*, w.critical_red,
    CASE WHEN w.w_counted > 0 THEN w.w_data::numeric / w.w_counted ELSE 0 END AS coverage,
    CASE WHEN w.w_data > 0 AND w.w_data::numeric / nullif(w.w_counted, 0) >= 0.5 - 1e-9
      THEN w.points / w.w_data END AS mean,
    w.w_data > 0 AND mod(w.points * 20, 2 * w.w_data) = w.w_data AS tie
  FROM comp c JOIN weighted w ON w.id = c.id
), rounded AS (
  SELECT *, round(mean, 1) AS score,
    CASE WHEN tie AND mean IS NOT NULL THEN round(mean, 1) - 0.1 END AS score_down
  FROM mean
)
SELECT id, %(d)s::date AS date, age, mrr, usage_s, age_s, rev_s, inv_s, tix_s, nps_s, mail_s,
  sent_s, coverage, mean, tie AND mean IS NOT NULL AS tie, score, score_down,
  CASE WHEN critical_red THEN 'red' WHEN score IS NULL THEN 'grey'
       WHEN score >= 70 THEN 'green' WHEN score >= 40 THEN 'yellow' ELSE 'red' END AS colour,
  CASE WHEN critical_red THEN 'red' WHEN score_down >= 70 THEN 'green'
       WHEN score_down >= 40 THEN 'yellow' ELSE 'red' END AS colour_down
FROM rounded
"""

# A snapshot and the floor disagree beyond float noise when a side is missing, the scores differ
# by more than 0.05 (unless the exact mean is a tie and the app took the other rounding), the
# colours differ (likewise), or the coverages differ by more than the app's rounding to 4
# decimals.
DISAGREEING = """
FROM floor f FULL JOIN (SELECT * FROM scoring_healthsnapshot WHERE date = %(d)s) h
  ON h.account_id = f.id
WHERE h.account_id IS NULL OR f.id IS NULL
   OR abs(h.coverage - f.coverage) > 0.0001
   OR NOT (
     (coalesce(abs(h.score - f.score) <= 0.05, h.score IS NULL AND f.score IS NULL)
      AND h.colour = f.colour)
     OR (f.tie AND abs(h.score - f.score_down) <= 0.05 AND h.colour = f.colour_down))
"""

COMPONENTS = ("usage", "account_age", "revenue_trend", "invoices", "tickets", "nps", "email")
COMPONENTS += ("sentiment",)
FLOOR_COLUMNS = ("usage_s", "age_s", "rev_s", "inv_s", "tix_s", "nps_s", "mail_s", "sent_s")


def show_disagreements(cursor, limit: int = 5) -> None:
    """Print a few disagreeing rows with both sides' figures."""
    from scoring.explanations import scores_reader, version_configs

    cursor.execute(
        f"""SELECT coalesce(f.id, h.account_id), f.age, h.score, h.colour, h.coverage,
                   h.critical_override, f.score, f.colour, f.coverage, f.mean, f.tie,
                   {", ".join(f"f.{c}" for c in FLOOR_COLUMNS)}, h.parts, h.scorecard_id,
                   h.scorecard_version
            {DISAGREEING} ORDER BY 1 LIMIT {limit}""",
        {"d": DAY},
    )
    for row in cursor.fetchall():
        account, age, score, colour, coverage, override, *rest = row
        f_score, f_colour, f_coverage, f_mean, tie, *parts = rest
        floor_parts = parts[: len(COMPONENTS)]
        stored, card, version = parts[len(COMPONENTS) :]
        app_scores = (
            scores_reader(version_configs([(card, version)])[(card, version)])(stored)
            if stored
            else {}
        )
        app_parts = [app_scores.get(k) for k in COMPONENTS]
        print(
            f"    account {account} (age {age} days): app {score} {colour} coverage {coverage}"
            f"{' critical ' + override if override else ''}; floor {f_score} {f_colour} "
            f"coverage {f_coverage and round(f_coverage, 4)} mean {f_mean and round(f_mean, 4)}"
            f"{' (tie)' if tie else ''}"
        )
        for key, a, f in zip(COMPONENTS, app_parts, floor_parts, strict=True):
            if (a is None) != (f is None) or (a is not None and abs(float(a) - float(f)) > 0.05):
                print(f"      {key}: app {a}, floor {f}")


def naive_recompute(account_ids: list[int]) -> None:
    """What a first draft would do: the service run for one account at a time (each account's
    own queries for every signal; the book's percentile populations from the cache the full
    run filled) and one save per account."""
    from scoring.models import HealthSnapshot
    from scoring.recompute import health_compute, load_scorecards

    scorecards = load_scorecards()
    for pk in account_ids:
        _, rows = health_compute(
            as_of=DAY,
            scope={"account_id__in": [pk]},
            scorecards=scorecards,
            refresh_populations=False,
        )
        names, columns = rows.written_columns()  # as the service writes them: parts packed
        for values in zip(*columns, strict=True):
            row = dict(zip(names, values, strict=True))
            key = {"account_id": row.pop("account_id"), "date": row.pop("date")}
            HealthSnapshot.objects.update_or_create(**key, defaults=row)


def snapshot_figures(account_ids: list[int]) -> dict[int, tuple]:
    from scoring.models import HealthSnapshot

    rows = HealthSnapshot.objects.filter(date=DAY, account_id__in=account_ids)
    return {
        r[0]: r[1:] for r in rows.values_list("account_id", "score", "colour", "coverage", "parts")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument(
        "--lacking",
        default="",
        help=f"comma-separated sources the book has none of (of {', '.join(SOURCES)})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    lacking = frozenset(filter(None, args.lacking.split(",")))
    if lacking - set(SOURCES):
        parser.error(f"--lacking takes some of {', '.join(SOURCES)}")

    use_scratch_database(DB)
    from django.db import connection

    from scoring.backfills import day_blocks
    from scoring.measures import end_of
    from scoring.models import HealthSnapshot
    from scoring.recompute import health_backfill, health_recompute

    check_floor_card()
    print(f"Building a book of {args.accounts:,} accounts in {DB} ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        build_book(cursor, args.accounts, lacking)
        cursor.execute("SELECT count(*) FROM signals_usagerecord")
        usage_rows = cursor.fetchone()[0]
    lacks = f"; no {', '.join(sorted(lacking))}" if lacking else ""
    print(f"  built in {time.perf_counter() - started:.0f} s ({usage_rows:,} usage rows{lacks})")

    started = time.perf_counter()
    result = health_recompute(as_of=DAY)
    recompute_s = time.perf_counter() - started
    started = time.perf_counter()
    health_recompute(as_of=DAY)
    rerun_s = time.perf_counter() - started
    # The nightly recompute scores a new day in a process that has run before: the day
    # before, timed once the first run warmed the caches, is what a backfill day is set beside.
    started = time.perf_counter()
    health_recompute(as_of=DAY - timedelta(days=1))
    next_day_s = time.perf_counter() - started

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, {"d": DAY, "end": end_of(DAY)})
        floor_s = time.perf_counter() - started
        cursor.execute(
            """SELECT count(*), count(*) FILTER (WHERE colour = 'green'), count(*) FILTER (WHERE tie),
                      count(*) FILTER (WHERE tie AND colour <> colour_down)
               FROM floor"""
        )
        floor_rows, floor_green, ties, edge_ties = cursor.fetchone()
        cursor.execute(
            """SELECT count(*) FILTER (WHERE h.score = f.score),
                      count(*) FILTER (WHERE h.score = f.score_down)
               FROM floor f JOIN scoring_healthsnapshot h
                 ON h.account_id = f.id AND h.date = f.date WHERE f.tie"""
        )
        ties_up, ties_down = cursor.fetchone()
        cursor.execute(f"SELECT count(*) {DISAGREEING}", {"d": DAY})
        disagree = cursor.fetchone()[0]
        if disagree:
            show_disagreements(cursor)

    sample = list(
        HealthSnapshot.objects.filter(date=DAY)
        .order_by("?")
        .values_list("account_id", flat=True)[: args.sample]
    )
    set_based = snapshot_figures(sample)
    started = time.perf_counter()
    naive_recompute(sample)
    naive_sample_s = time.perf_counter() - started
    naive_s = naive_sample_s * result.accounts / max(len(sample), 1)
    naive_differ = sum(1 for a, f in snapshot_figures(sample).items() if set_based.get(a) != f)

    # A backfill of the 30 days up to DAY, each signal measured for a block of days at once.
    days = [DAY - timedelta(days=29 - n) for n in range(30)]
    started = time.perf_counter()
    for block in day_blocks(days[0], days[-1]):
        health_backfill(block)
    backfill_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_healthsnapshot")
        cursor.execute(
            "SELECT pg_total_relation_size('scoring_healthsnapshot'),"
            " pg_relation_size('scoring_healthsnapshot'), count(*) FROM scoring_healthsnapshot"
        )
        total_bytes, heap_bytes, snapshot_rows = cursor.fetchone()

    print()
    allocator = (
        "the worker's, freed memory kept (bin/serve)"
        if os.environ.get("MALLOC_MMAP_THRESHOLD_")
        else "glibc's defaults (make bench sets the worker's)"
    )
    print(f"Recompute of one day, {result.accounts:,} active accounts, PostgreSQL, this machine")
    print(f"  memory allocator settings: {allocator}")
    print(f"  {'health_recompute (set-based, snapshots written)':<52} {recompute_s:8.1f} s")
    print(f"  {'  the same day again (idempotent rerun)':<52} {rerun_s:8.1f} s")
    print(f"  {'  another day, new snapshots, caches warm':<52} {next_day_s:8.1f} s")
    print(f"  {'hand-written SQL floor (one statement, table)':<52} {floor_s:8.1f} s")
    print(
        f"  {'naive per-account loop (extrapolated)':<52} {naive_s:8.1f} s"
        f"   ({len(sample):,} accounts took {naive_sample_s:.1f} s)"
    )
    print(
        f"  {'backfill of 30 days (health_backfill), a day':<52} {backfill_s / 30:8.1f} s"
        f"   ({backfill_s:.0f} s in all)"
    )
    print(f"  ratio recompute / floor: {recompute_s / floor_s:5.2f}x")
    single_s = min(recompute_s, next_day_s)  # the faster: the ratio is not flattered
    print(f"  ratio single-day recompute / backfill day: {single_s / (backfill_s / 30):5.2f}x")
    print(f"  ratio naive / recompute: {naive_s / recompute_s:5.1f}x")
    print(
        f"  colours: {dict(sorted(result.colours.items()))}; floor rows {floor_rows:,}, "
        f"green {floor_green:,}"
    )
    print(
        f"  exact means halfway between two 1-decimal scores (x.x5): {ties:,} "
        f"({edge_ties:,} on a band edge); the app's float sum rounded {ties_up:,} up, "
        f"{ties_down:,} down (either is right)"
    )
    print(
        f"  snapshot rows: {snapshot_rows:,}, {total_bytes / snapshot_rows:.0f} bytes a row with"
        f" its indexes ({heap_bytes / snapshot_rows:.0f} in the table itself)"
    )
    print(f"  snapshots disagreeing with the floor: {disagree:,}")
    print(f"  naive loop's snapshots differing from the set-based ones: {naive_differ:,}")
    if not args.keep:
        drop_database(DB)
    if disagree or naive_differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
