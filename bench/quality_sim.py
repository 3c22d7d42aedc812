"""A simulated subscription book for `quality_bench.py`: usage and billing only, seeded.

It is written to look like a SaaS book, not to fit Healthscore's score:

- Accounts arrive throughout (the book grows about 7 % a month), so a quarter of the book on
  any day is younger than 90 days; the oldest started about three years before the usage
  export begins. Segments smb / mid_market / enterprise differ in seats (a few to
  thousands), price per seat and how often they integrate through the API.
- Billing: one monthly line per month (a new line on each renewal, same subscription id),
  MRR = seats × the segment's price; now and then a renewal adds or removes seats. A third of
  the new accounts start with a 14-day trial line (is_trial, MRR 0) that converts or not.
- Every account has a hidden satisfaction that drifts day by day (AR(1) around an account's
  own mean). Nobody sees it. Churn happens only at a monthly renewal (or a trial's end), with
  a probability that falls with satisfaction and is higher in the first months of tenure,
  plus a small flat chance that no signal foresees (acquired, budget cut).
- Usage reflects satisfaction only noisily. Seven daily metrics, one row per account, metric
  and day when the value is not 0 (as analytics exports do): `active_users` (a gauge, at most
  the seats), `logins`, `reports_created`, `invites_sent` (more is better), `errors`,
  `dislikes` (more is worse, but they also grow with the number of users), and `api_calls`
  (heavy-tailed, driven by size and integration, barely by satisfaction). An account's own
  usage style (some teams simply use the product less) and its seats are unrelated to churn,
  so raw volume is a confounded signal, as in real life. Weekends are quiet; new accounts
  ramp up over their first weeks.
- No tickets, invoices, NPS, e-mails or sentiment.

`simulate()` is pure numpy (deterministic for a seed); `load()` writes the book through the
ORM (accounts) and PostgreSQL COPY (lines, usage).
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

METRICS = (
    "active_users",
    "logins",
    "reports_created",
    "invites_sent",
    "errors",
    "dislikes",
    "api_calls",
)
SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_SHARE = (0.6, 0.3, 0.1)
SEATS = ((6, 0.6, 1, 40), (35, 0.5, 8, 300), (200, 0.6, 40, 3000))  # median, sigma, min, max
PRICE_PER_SEAT = (30.0, 25.0, 18.0)
PRODUCT = ("Starter", "Team", "Enterprise")
INTEGRATED_SHARE = (0.2, 0.45, 0.75)

TENURE_YEARS = 3  # the oldest accounts started this long before the usage export
GROWTH_PER_DAY = 0.0025  # arrivals grow ~7.8 % a month
TRIAL_SHARE = 0.35
TRIAL_DAYS = 14
# Satisfaction: AR(1) around the account's own mean, daily persistence PHI (half-life ~34 days).
PHI = 0.98
MEAN_SD = 0.6
DRIFT_SD = 0.7
# Churn at a renewal: logistic in satisfaction and tenure, plus an unforeseeable flat share.
CHURN_BASE = -5.1
CHURN_SATISFACTION = -1.3
CHURN_FIRST_3_MONTHS = 1.3
CHURN_MONTHS_4_TO_6 = 0.6
CHURN_UNFORESEEN = 0.004
# Share of the arrivals still active on the held-out day, to size the pool for `accounts`.
ACTIVE_SHARE = 0.66


@dataclass(frozen=True)
class Calendar:
    usage_start: date  # first day of the usage export
    held_out: date  # the day scored and judged
    end: date  # last day billing is simulated (>= held_out + 30)

    @property
    def origin(self) -> date:
        return self.usage_start - timedelta(days=365 * TENURE_YEARS)


@dataclass
class Book:
    calendar: Calendar
    seed: int
    external_id: list[str]
    segment: np.ndarray  # index into SEGMENTS
    seats: np.ndarray  # licensed seats on the held-out day (or at churn)
    start: np.ndarray  # first line's start (day index from calendar.origin)
    paid_start: np.ndarray  # first paid line's start (after the trial, if any)
    trial: np.ndarray  # started with a trial line
    churn: np.ndarray  # churn day index, -1 if still active at the end
    satisfaction_held_out: np.ndarray  # hidden, NaN if not active on the held-out day
    # lines: account index, start, end (-1 = open), seats, trial flag
    lines: np.ndarray
    # usage, one array each: account index, day index, metric index, value
    usage: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    def day(self, index: int) -> date:
        return self.calendar.origin + timedelta(days=int(index))

    def index(self, day: date) -> int:
        return (day - self.calendar.origin).days

    def active_on(self, day: date) -> np.ndarray:
        t = self.index(day)
        return (self.start <= t) & ((self.churn < 0) | (self.churn > t))

    @property
    def usage_rows(self) -> int:
        return len(self.usage[0])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _monthly(anchor: np.ndarray, months: int) -> np.ndarray:
    """datetime64[D] days `months` calendar months after each anchor, the day of month kept
    (clamped to the month's length: 31 Jan -> 28/29 Feb)."""
    month = anchor.astype("datetime64[M]")
    dom = (anchor - month.astype("datetime64[D]")).astype(int)  # 0-based
    target = month + months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    return target.astype("datetime64[D]") + np.minimum(dom, length - 1)


def simulate(accounts: int, calendar: Calendar, *, seed: int = 42) -> Book:
    """A book with about `accounts` accounts active on calendar.held_out."""
    rng = np.random.default_rng(seed)
    origin = np.datetime64(calendar.origin, "D")
    last = (calendar.end - calendar.origin).days
    usage_first = (calendar.usage_start - calendar.origin).days
    held_out = (calendar.held_out - calendar.origin).days

    # --- who arrives when (density ∝ exp(g t) over [0, last])
    pool = math.ceil(accounts / ACTIVE_SHARE)
    u = rng.random(pool)
    g = GROWTH_PER_DAY
    start = np.sort(np.floor(np.log1p(u * math.expm1(g * (last + 1))) / g).astype(int))
    start = np.minimum(start, last)
    n = pool
    segment = rng.choice(3, size=n, p=SEGMENT_SHARE)
    median, sigma, low, high = (np.array(c, dtype=float)[segment] for c in zip(*SEATS, strict=True))
    seats = np.clip(np.round(median * np.exp(sigma * rng.standard_normal(n))), low, high)
    price = np.array(PRICE_PER_SEAT)[segment]
    # Hidden and nuisance traits: none of the nuisance ones touches churn.
    mean = MEAN_SD * rng.standard_normal(n)
    satisfaction = mean + DRIFT_SD * rng.standard_normal(n)
    style = 0.8 * rng.standard_normal(n)  # how intensely this team uses the product anyway
    adoption = rng.uniform(0.45, 0.95, n)  # share of seats that ever log in
    bugginess = np.exp(0.5 * rng.standard_normal(n))  # their set-up's error-proneness
    integrated = rng.random(n) < np.array(INTEGRATED_SHARE)[segment]
    api_scale = np.exp(np.log(30.0) + 1.2 * rng.standard_normal(n))
    # Trials only for accounts arriving inside the simulated window's last two years.
    trial = (rng.random(n) < TRIAL_SHARE) & (start > 365)
    paid_start = np.where(trial, start + TRIAL_DAYS, start)

    # --- renewal calendar: paid start + k months, k >= 1
    max_months = math.ceil(last / 28) + 1
    anchor = origin + paid_start
    renew_at: dict[int, list[np.ndarray]] = {}
    renewals_of: list[np.ndarray] = []
    for k in range(1, max_months + 1):
        days = (_monthly(anchor, k) - origin).astype(int)
        renewals_of.append(days)
    renewal_matrix = np.stack(renewals_of, axis=1)  # n × max_months
    acc_idx, k_idx = np.nonzero(renewal_matrix <= last)
    when = renewal_matrix[acc_idx, k_idx]
    order = np.argsort(when, kind="stable")
    acc_idx, when = acc_idx[order], when[order]
    cuts = np.flatnonzero(np.diff(when)) + 1
    for accs, day in zip(np.split(acc_idx, cuts), when[np.r_[0, cuts]], strict=True):
        renew_at.setdefault(int(day), []).append(accs)
    arrive_at = {int(d): np.flatnonzero(start == d) for d in np.unique(start)}
    trial_end_at = {
        int(d): np.flatnonzero(trial & (paid_start == d)) for d in np.unique(paid_start[trial])
    }

    alive = np.zeros(n, dtype=bool)
    churn = np.full(n, -1)
    months_paid = np.zeros(n, dtype=int)
    line_start = np.zeros(n, dtype=int)
    line_seats = seats.copy()
    in_trial = np.zeros(n, dtype=bool)
    lines: list[tuple[int, int, int, float, bool]] = []  # account, start, end (-1 open), mrr, trial
    seats_held_out = seats.copy()
    satisfaction_held_out = np.full(n, np.nan)
    usage_parts: list[tuple[np.ndarray, int, int, np.ndarray]] = []
    innovation = DRIFT_SD * math.sqrt(1 - PHI**2)

    def close(accounts: np.ndarray, t: int) -> None:
        for i in accounts.tolist():
            mrr = 0.0 if in_trial[i] else float(line_seats[i] * price[i])
            lines.append((i, int(line_start[i]), t, mrr, bool(in_trial[i])))

    def usage_day(t: int) -> None:
        """One day's usage of the accounts active that day."""
        who = np.flatnonzero(alive)
        sat = satisfaction[who]
        age = t - start[who]
        weekday = (calendar.origin + timedelta(days=t)).weekday() < 5
        quiet = 1.0 if weekday else 0.2
        engagement = _sigmoid(0.9 * sat + style[who] + 0.4 * rng.standard_normal(len(who)))
        ramp = 1.0 - np.exp(-(age + 1) / 14.0)
        share = np.clip(adoption[who] * (0.15 + 0.85 * engagement) * ramp * quiet, 0.0, 1.0)
        s = line_seats[who].astype(int)
        active = rng.binomial(s, share)
        noise = np.exp(0.3 * rng.standard_normal(len(who)))
        values = (
            active,
            rng.poisson(active * 1.5 * noise),
            rng.poisson(active * 0.15 * (0.4 + engagement)),
            rng.poisson(
                0.03 * np.sqrt(s) * (0.3 + engagement) * (1 + 4 * np.exp(-age / 30.0)) * quiet
            ),
            rng.poisson((0.2 * np.sqrt(s) + 0.03 * active) * bugginess[who] * np.exp(-0.8 * sat)),
            rng.poisson((0.02 + 0.02 * active) * np.exp(-1.2 * sat)),
            np.where(
                integrated[who],
                np.round(
                    api_scale[who]
                    * s**0.7
                    * np.exp(0.8 * rng.standard_normal(len(who)))
                    * (0.6 + 0.4 * engagement)
                    * quiet**0.3
                ),
                0,
            ),
        )
        for m, v in enumerate(values):
            v = np.asarray(v)
            nz = v > 0
            usage_parts.append((who[nz], t, m, v[nz].astype(np.int64)))

    for t in range(last + 1):
        satisfaction = PHI * satisfaction + (1 - PHI) * mean + innovation * rng.standard_normal(n)
        new = arrive_at.get(t)
        if new is not None:
            alive[new] = True
            in_trial[new] = trial[new]
            line_start[new] = t
        ends = trial_end_at.get(t)
        if ends is not None:
            ends = ends[alive[ends]]
            close(ends, t)
            converts = rng.random(len(ends)) < _sigmoid(1.6 + 1.0 * satisfaction[ends])
            gone = ends[~converts]
            alive[gone] = False
            churn[gone] = t
            kept = ends[converts]
            line_start[kept] = t
            in_trial[kept] = False
        for due in renew_at.get(t, []):
            due = due[alive[due] & ~in_trial[due]]
            if not len(due):
                continue
            close(due, t)
            months_paid[due] += 1
            m = months_paid[due]
            logit = (
                CHURN_BASE
                + CHURN_SATISFACTION * satisfaction[due]
                + CHURN_FIRST_3_MONTHS * (m <= 3)
                + CHURN_MONTHS_4_TO_6 * ((m > 3) & (m <= 6))
            )
            p = CHURN_UNFORESEEN + (1 - CHURN_UNFORESEEN) * _sigmoid(logit)
            leaves = rng.random(len(due)) < p
            gone = due[leaves]
            alive[gone] = False
            churn[gone] = t
            stay = due[~leaves]
            line_start[stay] = t
            # Renewals that add or remove seats: happier teams grow, unhappy ones shrink.
            roll = rng.random(len(stay))
            up = roll < 0.04 * _sigmoid(1.5 * satisfaction[stay])
            down = ~up & (roll > 1 - 0.04 * _sigmoid(-1.5 * satisfaction[stay]))
            factor = np.ones(len(stay))
            factor[up] = rng.uniform(1.1, 1.5, up.sum())
            factor[down] = rng.uniform(0.6, 0.9, down.sum())
            line_seats[stay] = np.maximum(1, np.round(line_seats[stay] * factor))
        if t <= held_out:
            seats_held_out[alive] = line_seats[alive]
        if t == held_out:
            satisfaction_held_out[alive] = satisfaction[alive]
        if usage_first <= t <= held_out:
            usage_day(t)
    for i in np.flatnonzero(alive).tolist():  # still active at the end: the line stays open
        mrr = 0.0 if in_trial[i] else float(line_seats[i] * price[i])
        lines.append((i, int(line_start[i]), -1, mrr, bool(in_trial[i])))

    return Book(
        calendar=calendar,
        seed=seed,
        external_id=[f"SIM-{seed}-{i + 1:06d}" for i in range(n)],
        segment=segment,
        seats=seats_held_out.astype(int),
        start=start,
        paid_start=paid_start,
        trial=trial,
        churn=churn,
        satisfaction_held_out=satisfaction_held_out,
        lines=np.array(lines, dtype=float).reshape(-1, 5),
        usage=tuple(
            np.concatenate([np.full(len(p[0]), p[k]) if k in (1, 2) else p[k] for p in usage_parts])
            for k in range(4)
        ),
    )


# ---------------------------------------------------------------- writing it


def _copy(cursor, table: str, columns: dict[str, str], rows) -> None:
    """Binary COPY of `rows` into `table` (`columns`: each column's PostgreSQL type)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(columns.values()))
        for row in rows:
            copy.write_row(row)


def load(book: Book, *, chunk: int = 500_000) -> dict:
    """Write the book into the current Django database (PostgreSQL): accounts through the ORM,
    subscription lines and usage through COPY. Returns the row counts, and the account pks by
    book index as "pks"."""
    from django.db import connection, transaction

    from accounts.models import Account

    held_out = book.index(book.calendar.held_out)
    stage = np.where(
        held_out - book.start < 90,
        "onboarding",
        np.where(held_out - book.start < 365, "adoption", "mature"),
    )
    with transaction.atomic():
        Account.objects.bulk_create(
            (
                Account(
                    external_id=book.external_id[i],
                    name=f"Simulated {book.external_id[i][4:]}",
                    segment=SEGMENTS[book.segment[i]],
                    lifecycle_stage=str(stage[i]),
                    licensed_seats=int(book.seats[i]),
                )
                for i in range(len(book.external_id))
            ),
            batch_size=5000,
        )
        by_external = dict(
            Account.objects.filter(external_id__in=book.external_id).values_list(
                "external_id", "pk"
            )
        )
        pks = np.array([by_external[e] for e in book.external_id])
        days = book.calendar.origin
        dates = [days + timedelta(days=t) for t in range(book.index(book.calendar.end) + 2)]
        cursor = connection.cursor().cursor
        account, first, end, mrr, trial = (book.lines[:, k] for k in range(5))
        account = account.astype(int)
        _copy(
            cursor,
            "signals_subscriptionline",
            {
                "account_id": "int8",
                "subscription_id": "varchar",
                "product": "varchar",
                "mrr": "numeric",
                "start_date": "date",
                "end_date": "date",
                "is_trial": "bool",
            },
            (
                (
                    int(pks[a]),
                    f"sub-{book.external_id[a]}",
                    PRODUCT[book.segment[a]],
                    Decimal(f"{m:.2f}"),
                    dates[int(s)],
                    dates[int(e)] if e >= 0 else None,
                    bool(tr),
                )
                for a, s, e, m, tr in zip(
                    account.tolist(),
                    first.tolist(),
                    end.tolist(),
                    mrr.tolist(),
                    trial.tolist(),
                    strict=True,
                )
            ),
        )
        acc, day, metric, value = book.usage
        for lo in range(0, len(acc), chunk):
            part = slice(lo, lo + chunk)
            _copy(
                cursor,
                "signals_usagerecord",
                {"account_id": "int8", "date": "date", "metric": "varchar", "value": "float8"},
                (
                    (a, dates[d], METRICS[m], v)
                    for a, d, m, v in zip(
                        pks[acc[part]].tolist(),
                        day[part].tolist(),
                        metric[part].tolist(),
                        value[part].tolist(),
                        strict=True,
                    )
                ),
            )
    with connection.cursor() as c:
        c.execute("ANALYZE accounts_account, signals_subscriptionline, signals_usagerecord")
    return {"accounts": len(pks), "lines": len(book.lines), "usage": len(acc), "pks": pks}
