"""A snapshot's components as numbers only, packed into a few bytes.

The components are stored in the order of the enabled signals of the scorecard version that
made the snapshot (`scoring.explanations.version_signals`); labels, units and weights come from
that published version when the snapshot is read. Each component is

    score  uint16  the score x 10 (scores have one decimal); 0xFFFF no data, 0xFFFE new,
                   0xFFFD not measured (see `scoring.maths.State`)
    raw    float32 the raw value (NaN: none)

and a usage signal scored metric by metric is followed by its metrics: a uint8 count, then per
metric a uint16 name id (`MetricName`), its score (as above) and its raw value. About 6 bytes a
component instead of some 200 of JSON, and nothing in it is a sentence.

No Django here: packing and unpacking are pure functions.
"""

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from scoring.maths import State

_PART = struct.Struct("<Hf")
_METRIC = struct.Struct("<HHf")
_COUNT = struct.Struct("<B")
_NOT_SCORED = {State.NO_DATA: 0xFFFF, State.NEW: 0xFFFE, State.NOT_MEASURED: 0xFFFD}
_STATE_OF = {code: state for state, code in _NOT_SCORED.items()}
MAX_METRICS = 255
MAX_NAME_ID = 0xFFFF


@dataclass(frozen=True)
class Packed:
    """One component as stored: state, score, raw, and (metric name id, raw, score)."""

    state: State
    score: float | None
    raw: float | None
    metrics: tuple[tuple[int, float, float], ...] = ()


def _score_of(code: int) -> tuple[State, float | None]:
    if code in _STATE_OF:
        return _STATE_OF[code], None
    return State.SCORED, code / 10


def _raw_of(value: float) -> float | None:
    # float32 holds ~7 significant digits; raws are shown to 2 decimals at most.
    return None if math.isnan(value) else round(value, 2) + 0.0


def pack(parts: Sequence[Packed], per_metric: Sequence[bool]) -> bytes:
    """The components in signal order; `per_metric[i]` says whether signal i is followed by
    its metrics."""
    return pack_values([(p.state, p.score, p.raw, p.metrics) for p in parts], per_metric)


def pack_values(parts: Sequence[tuple], per_metric: Sequence[bool]) -> bytes:
    """`pack` of (state, score, raw, metrics) tuples, in one struct call: the recompute packs
    100,000 snapshots at a time."""
    fmt, values = ["<"], []
    for (state, score, raw, metrics), with_metrics in zip(parts, per_metric, strict=True):
        fmt.append("Hf")
        values.append(round(score * 10) if state is State.SCORED else _NOT_SCORED[state])
        values.append(math.nan if raw is None else raw)
        if with_metrics:
            if len(metrics) > MAX_METRICS:
                raise ValueError(f"A snapshot keeps at most {MAX_METRICS} usage metrics.")
            fmt.append("B" + "HHf" * len(metrics))
            values.append(len(metrics))
            for name_id, metric_raw, metric_score in metrics:
                values += (name_id, round(metric_score * 10), metric_raw)
    return struct.pack("".join(fmt), *values)


def unpack(data: bytes, per_metric: Sequence[bool]) -> list[Packed]:
    """The inverse of `pack`, for the same `per_metric`."""
    data = bytes(data)
    parts, at = [], 0
    for with_metrics in per_metric:
        code, raw = _PART.unpack_from(data, at)
        at += _PART.size
        metrics = []
        if with_metrics:
            (count,) = _COUNT.unpack_from(data, at)
            at += _COUNT.size
            for _ in range(count):
                name_id, score_code, metric_raw = _METRIC.unpack_from(data, at)
                at += _METRIC.size
                metrics.append((name_id, _raw_of(metric_raw) or 0.0, score_code / 10))
        state, score = _score_of(code)
        parts.append(Packed(state, score, _raw_of(raw), tuple(metrics)))
    if at != len(data):
        raise ValueError(f"Snapshot parts of {len(data)} bytes, {at} expected.")
    return parts


def version_signals(config: dict) -> list[tuple[str, dict]]:
    """The enabled signals of a published configuration (`scorecard_config`), in the order
    the recompute scores and stores them: heaviest first, then by key."""
    enabled = [(key, s) for key, s in config["signals"].items() if s["enabled"]]
    return sorted(enabled, key=lambda item: (-item[1]["weight"], item[0]))


def is_per_metric(signal: dict) -> bool:
    """Whether a signal of a configuration is a usage volume scored metric by metric."""
    return signal["source"] == "usage_volume" and not signal["metric"]
