"""ValueArray reads as the Values dict it stands for."""

import math

import numpy as np

from scoring.recompute import populations_of
from scoring.value_arrays import ValueArray

NAN = math.nan


def test_plain_values_read_as_their_dict():
    values = ValueArray(ids=[5, 3, 9], array=np.array([1.5, NAN, 0.0]))
    assert values.as_dict() == {5: 1.5, 3: None, 9: 0.0}
    assert values.get(3) is None and values.get(4, "absent") == "absent" and values[9] == 0.0
    assert 5 in values and 4 not in values and len(values) == 3 and list(values) == [5, 3, 9]
    assert values.population() == populations_of(values.as_dict()) == {"": [0.0, 1.5]}


def test_per_metric_values_read_as_their_dict():
    values = ValueArray(
        ids=[1, 2, 3, 4],
        array=np.array([[2.0, NAN], [NAN, NAN], [NAN, 7.0], [1.0, 1.0]]),
        metrics=("logins", "reports"),
        has=np.array([True, True, True, False]),
    )
    assert values.as_dict() == {1: {"logins": 2.0}, 2: {}, 3: {"reports": 7.0}, 4: None}
    assert values.population() == populations_of(values.as_dict())
    assert values.population() == {"logins": [0.0, 0.0, 2.0], "reports": [0.0, 0.0, 7.0]}


def test_per_metric_populations_of_nothing_match():
    empty = ValueArray(ids=[], array=np.zeros((0, 1)), metrics=("logins",), has=np.zeros(0, bool))
    assert empty.population() == populations_of({}) == {"": []}
    unused = ValueArray(ids=[1], array=np.array([[NAN]]), metrics=("logins",))
    assert unused.population() == populations_of({1: {}}) == {}
