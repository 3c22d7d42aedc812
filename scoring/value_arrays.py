"""A signal's raw values for a list of accounts held as numpy arrays: what a `Values` dict of
`scoring.measures` holds ({account: value}), in the accounts' order, without a Python object
per account. The backfill's range measures give these, and the column scorer
(`scoring.book_scores`) takes them as they are; everything else may still read them as a
mapping (`get`, `values`), which builds the dict's values on demand.

Two shapes:
- a plain signal: `array` of shape (n,), NaN where the dict holds None;
- a per-metric signal (usage volume over every metric): `array` of shape (n, k), one column
  for each of `metrics`, NaN where the account's {metric: value} has no such metric, and
  `has`, False where the dict holds None instead of a {metric: value} (which may be empty).
  A metric whose value is None (a trend from nothing) has no array form: such values stay
  dicts.

No Django here.
"""

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class ValueArray:
    ids: Sequence[int]
    array: np.ndarray
    metrics: tuple[str, ...] = ()
    has: np.ndarray | None = None

    @property
    def per_metric(self) -> bool:
        return self.array.ndim == 2

    @cached_property
    def positions(self) -> dict[int, int]:
        return {account: i for i, account in enumerate(self.ids)}

    def value(self, i: int):
        """The dict's value of the i-th account."""
        if not self.per_metric:
            v = float(self.array[i])
            return None if math.isnan(v) else v
        if self.has is not None and not self.has[i]:
            return None
        row = self.array[i].tolist()
        return {m: v for m, v in zip(self.metrics, row, strict=True) if not math.isnan(v)}

    def get(self, account_id: int, default=None):
        i = self.positions.get(account_id)
        return default if i is None else self.value(i)

    def __getitem__(self, account_id: int):
        return self.value(self.positions[account_id])

    def __contains__(self, account_id: object) -> bool:
        return account_id in self.positions

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids)

    def keys(self):
        return self.positions.keys()

    def values(self) -> list:
        return [self.value(i) for i in range(len(self.ids))]

    def items(self):
        return zip(self.ids, self.values(), strict=True)

    def as_dict(self) -> dict:
        return dict(self.items())

    def population(self) -> dict[str, list[float]]:
        """`scoring.recompute.populations_of` of these values: sorted values, or per metric
        the sorted values of the accounts with one (a metric an account has none of: 0)."""
        if not self.per_metric:
            present = self.array[~np.isnan(self.array)]
            return {"": np.sort(present).tolist()}
        rows = self.array if self.has is None else self.array[self.has]
        if not len(rows):
            return {"": []}
        used = ~np.isnan(rows)
        return {
            m: np.sort(np.where(used[:, j], rows[:, j], 0.0)).tolist()
            for j, m in enumerate(self.metrics)
            if used[:, j].any()
        }
