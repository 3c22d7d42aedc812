"""Does the score predict churn on a realistic book? Score quality on a simulated book.

Builds the simulated subscription book of `quality_sim.py` (usage and billing only; churn at
monthly renewals driven by a hidden satisfaction that usage reflects only noisily) in a
scratch database, then judges three scorers on a held-out day, against churn in the 30 days
after it (known from the lines billing holds after that day, used for judging only):

  (a) the default scorecard, untuned: health_recompute of the held-out day;
  (b) the naive baseline: percentile of total usage events (all metrics summed) over the 30
      days to the held-out day, on the same accounts;
  (c) suggested weights fitted only on earlier days: one snapshot day a week over the
      fitting months, weights_suggestion with today = the held-out day, the draft applied and
      published, the held-out day recomputed.

Prints ROC AUC, top-decile lift, churn by colour, the grey share and the young grey accounts
for each, and the seconds each step took. It does not assert on the figures; it exits
non-zero when a step fails.

    .venv/bin/python bench/quality_bench.py [--accounts 10500] [--seed 42] [--keep]
"""

import argparse
import logging
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from common import drop_database, use_scratch_database
from quality_sim import METRICS, Calendar, load, simulate

DB = "healthscore_bench_quality"
# Six months of usage to the held-out day; billing goes on 45 days past it (30-day churn known).
CALENDAR = Calendar(usage_start=date(2025, 11, 1), held_out=date(2026, 5, 1), end=date(2026, 6, 15))
FIT_FROM = date(2026, 1, 1)  # the fitting months: January to the held-out day - 30
HORIZON = 30
YOUNG_DAYS = 90


@dataclass
class Figures:
    name: str
    n: int  # accounts on the held-out day
    scored: int  # of which with a score
    churned: int  # churned within the horizon (scored accounts)
    auc: float | None
    lift: float | None  # churn of the lowest-scored 10 % ÷ overall churn (scored accounts)
    colours: list | None = None  # quality.Band per colour, over all n
    grey_young: int | None = None


def timed(timings: dict[str, float], label: str, step: Callable):
    started = time.perf_counter()
    try:
        return step()
    finally:
        timings[label] = time.perf_counter() - started


def decile_lift(scores: np.ndarray, churned: np.ndarray, *, seed: int) -> float | None:
    """Churn rate of the lowest-scored tenth ÷ the overall churn rate; ties at the cut broken
    at random (seeded), not by account id."""
    from scoring.quality import Band, lift

    if not len(scores):
        return None
    tiebreak = np.random.default_rng(seed).random(len(scores))
    order = np.lexsort((tiebreak, scores))
    k = math.ceil(len(scores) / 10)
    low = churned[order[:k]]
    rest = churned[order[k:]]
    bands = [Band("lowest 10 %", k, int(low.sum())), Band("rest", len(rest), int(rest.sum()))]
    return lift(bands, "lowest 10 %")


def percentile(values: np.ndarray) -> np.ndarray:
    """0-100 mid-rank percentile (ties share their mean rank), as percentile scoring ranks."""
    _, group, counts = np.unique(values, return_inverse=True, return_counts=True)
    mid = np.cumsum(counts) - (counts + 1) / 2.0  # 0-based mean rank of each tie group
    return 100.0 * mid[group] / max(len(values) - 1, 1)


class Judge:
    """The held-out day's truth: who churned within the horizon, how old each account is."""

    def __init__(self, day: date, seed: int):
        from django.db.models import Min

        from signals.models import SubscriptionLine
        from signals.revenue import churn_dates

        self.day, self.seed = day, seed
        self.churn_on = churn_dates()  # every churn date billing holds, future ones included
        self.first_line = dict(
            SubscriptionLine.objects.values("account_id")
            .annotate(first=Min("start_date"))
            .values_list("account_id", "first")
        )

    def churned(self, account_id: int) -> bool:
        on = self.churn_on.get(account_id)
        return on is not None and self.day < on <= self.day + timedelta(days=HORIZON)

    def young(self, account_id: int) -> bool:
        return (self.day - self.first_line[account_id]).days < YOUNG_DAYS

    def snapshots(self, name: str) -> tuple[Figures, list]:
        from reports.loading import snapshots_load
        from scoring.quality import churn_by_colour, score_auc

        rows = snapshots_load([self.day])
        if not rows:
            raise RuntimeError(f"no snapshots on {self.day}")
        y = np.array([self.churned(s.account_id) for s in rows])
        scored = [i for i, s in enumerate(rows) if s.score is not None]
        scores = np.array([rows[i].score for i in scored], dtype=float)
        ys = y[scored]
        figures = Figures(
            name=name,
            n=len(rows),
            scored=len(scored),
            churned=int(ys.sum()),
            auc=score_auc(scores.tolist(), ys.tolist()),
            lift=decile_lift(scores, ys, seed=self.seed),
            colours=churn_by_colour((s.colour, bool(c)) for s, c in zip(rows, y, strict=True)),
            grey_young=sum(1 for s in rows if s.colour == "grey" and self.young(s.account_id)),
        )
        return figures, rows

    def naive(self, rows: list, *, only: set[int] | None = None) -> Figures:
        """Percentile of the total of every usage metric over the 30 days to the day."""
        from django.db.models import Sum

        from scoring.quality import score_auc
        from signals.models import UsageRecord

        totals = dict(
            UsageRecord.objects.filter(date__gt=self.day - timedelta(days=30), date__lte=self.day)
            .values("account_id")
            .annotate(total=Sum("value"))
            .values_list("account_id", "total")
        )
        ids = [s.account_id for s in rows if only is None or s.account_id in only]
        scores = percentile(np.array([totals.get(a, 0.0) for a in ids], dtype=float))
        y = np.array([self.churned(a) for a in ids])
        return Figures(
            name="(b) naive: total usage 30 d, "
            + ("same accounts as (a)" if only is not None else "all accounts"),
            n=len(ids),
            scored=len(ids),
            churned=int(y.sum()),
            auc=score_auc(scores.tolist(), y.tolist()),
            lift=decile_lift(scores, y, seed=self.seed),
        )

    def ceiling(self, rows: list, satisfaction: dict[int, float]) -> Figures:
        """The simulation's hidden satisfaction on the day: what no scorer can see."""
        from scoring.quality import score_auc

        ids = [s.account_id for s in rows]
        x = np.array([satisfaction[a] for a in ids], dtype=float)
        y = np.array([self.churned(a) for a in ids])
        return Figures(
            name="(ref) hidden satisfaction (ceiling, unseen)",
            n=len(ids),
            scored=len(ids),
            churned=int(y.sum()),
            auc=score_auc(x.tolist(), y.tolist()),
            lift=decile_lift(x, y, seed=self.seed),
        )


def fitting_days(held_out: date) -> list[date]:
    """One day a week counting back from the last day whose 30-day outcome is known by the
    held-out day, over the fitting months."""
    last = held_out - timedelta(days=HORIZON)
    days = []
    day = last
    while day >= FIT_FROM:
        days.append(day)
        day -= timedelta(days=7)
    return days[::-1]


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def print_figures(all_figures: list[Figures]) -> None:
    print()
    print(f"Held-out day {CALENDAR.held_out}; churn within {HORIZON} days after it")
    print(f"{'scorer':<50} {'accounts':>8} {'scored':>7} {'churned':>7} {'AUC':>6} {'lift':>5}")
    for f in all_figures:
        print(
            f"{f.name:<50} {f.n:>8,} {f.scored:>7,} {f.churned:>7,} {fmt(f.auc):>6} "
            f"{fmt(f.lift, '.2f'):>5}"
        )
    for f in all_figures:
        if not f.colours:
            continue
        print(f"\n  {f.name}: churn by colour (all {f.n:,} accounts)")
        print(f"  {'colour':<8} {'accounts':>8} {'share':>7} {'churned':>7} {'churn':>7}")
        for band in f.colours:
            print(
                f"  {band.name:<8} {band.n:>8,} {100 * band.n / f.n:>6.1f}% {band.churned:>7,} "
                f"{fmt(band.rate, '.1f') + '%' if band.rate is not None else '—':>7}"
            )
        grey = next(b for b in f.colours if b.name == "grey")
        print(
            f"  grey share {100 * grey.n / f.n:.1f} %; grey and younger than {YOUNG_DAYS} days: "
            f"{f.grey_young:,}"
        )


def verdict(default: Figures, naive: Figures, suggested: Figures | None) -> str:
    def beats(a: Figures, b: Figures) -> str:
        if a.auc is None or b.auc is None:
            return "cannot be compared"
        word = "beats" if a.auc > b.auc else "does not beat"
        return f"{word} ({a.auc:.3f} vs {b.auc:.3f})"

    parts = [f"default {beats(default, naive)} naive on the same accounts"]
    if suggested is not None:
        parts.append(f"suggested {beats(suggested, default)} default")
    return "Verdict: " + "; ".join(parts) + "."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_500, help="active on the held-out day")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    timings: dict[str, float] = {}
    figures: list[Figures] = []
    failed: list[str] = []

    book = timed(
        timings,
        "simulate the book (numpy)",
        lambda: simulate(args.accounts, CALENDAR, seed=args.seed),
    )
    use_scratch_database(DB)
    # The publish rescores today through Celery in-process: keep its task log off the table.
    logging.getLogger("celery").setLevel(logging.WARNING)
    try:
        counts = timed(timings, "load it (accounts ORM, lines and usage COPY)", lambda: load(book))
        describe(book, counts)

        from reports.tables import ReportFilters
        from reports.weights import suggestion_apply, weights_suggestion
        from scoring import versioning
        from scoring.recompute import health_recompute

        held_out = CALENDAR.held_out
        judge = Judge(held_out, args.seed)

        timed(
            timings,
            "(a) health_recompute of the held-out day",
            lambda: health_recompute(as_of=held_out),
        )
        default, rows = judge.snapshots("(a) default scorecard, untuned")
        figures.append(default)
        scored_ids = {s.account_id for s in rows if s.score is not None}
        naive_same = timed(
            timings, "(b) naive baseline", lambda: judge.naive(rows, only=scored_ids)
        )
        naive_all = judge.naive(rows)
        figures += [naive_same, naive_all]
        figures.append(
            judge.ceiling(
                rows, dict(zip(counts["pks"].tolist(), book.satisfaction_held_out, strict=True))
            )
        )

        suggested = None
        try:
            days = fitting_days(held_out)
            timed(
                timings,
                f"(c) backfill {len(days)} weekly days {days[0]}..{days[-1]}",
                lambda: [health_recompute(as_of=d) for d in days],
            )
            filters = ReportFilters.from_query(
                {"from": f"{FIT_FROM:%Y-%m}", "to": f"{days[-1]:%Y-%m}", "horizon": str(HORIZON)},
                today=held_out,
            )
            report = timed(
                timings, "(c) weights_suggestion", lambda: weights_suggestion(filters=filters)
            )
            s = report.suggestion
            if not s.ok:
                raise RuntimeError(f"no suggestion: {s.problem}")
            span = lambda days: f"{days[0]}..{days[1]}" if days else "—"  # noqa: E731
            print(
                f"\nSuggested weights: fitted on {span(s.train_days)} ({s.n_train:,} snapshots, "
                f"{s.churned_train} churned); on the suggestion's own test days "
                f"{span(s.test_days)} AUC current {fmt(s.auc_current)}, "
                f"suggested {fmt(s.auc_suggested)}"
            )
            for r in s.features:
                print(
                    f"  {r.feature.label:<40} now {r.feature.current_weight:>5g}  "
                    f"suggested {r.suggested_weight:>5g}"
                )

            def apply_and_publish():
                draft = suggestion_apply(report=report, actor=None)
                return versioning.draft_publish(draft=draft, actor=None)

            timed(timings, "(c) suggestion_apply + draft_publish", apply_and_publish)
            timed(
                timings,
                "(c) health_recompute of the held-out day",
                lambda: health_recompute(as_of=held_out),
            )
            suggested, _ = judge.snapshots("(c) suggested weights, fitted on earlier days")
            figures.append(suggested)
        except Exception:
            traceback.print_exc()
            failed.append("suggested weights")

        print_figures(figures)
        print()
        print(verdict(default, naive_same, suggested))
    except Exception:
        traceback.print_exc()
        failed.append("bench")
    finally:
        print("\nSeconds per step")
        for label, seconds in timings.items():
            print(f"  {label:<60} {seconds:7.1f}")
        print(f"  {'total':<60} {sum(timings.values()):7.1f}")
        if not args.keep:
            drop_database(DB)
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    return 0


def describe(book, counts: dict[str, int]) -> None:
    day = CALENDAR.held_out
    active = book.active_on(day)
    t = book.index(day)
    age = t - book.start[active]
    churned = active & (book.churn > t) & (book.churn <= t + HORIZON)
    months = []
    first = date(CALENDAR.usage_start.year, CALENDAR.usage_start.month, 1)
    while first < day:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        s, e = book.index(first), book.index(nxt)
        on = (book.start <= s) & ((book.churn < 0) | (book.churn > s))
        months.append((on & (book.churn > s) & (book.churn <= e)).sum() / on.sum())
        first = nxt
    print(
        f"Book (seed {book.seed}): {counts['accounts']:,} accounts, {counts['lines']:,} "
        f"subscription lines, {counts['usage']:,} usage rows ({len(METRICS)} metrics, "
        f"{CALENDAR.usage_start}..{day}); {active.sum():,} active on {day}, "
        f"{100 * (age < YOUNG_DAYS).mean():.1f} % of them younger than {YOUNG_DAYS} days, oldest "
        f"{age.max() / 365:.1f} years; monthly logo churn {100 * min(months):.1f}-"
        f"{100 * max(months):.1f} % (mean {100 * np.mean(months):.1f} %); "
        f"{churned.sum():,} churn within {HORIZON} days of {day}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
