"""Snapshots as rows for CSV exports (command and download buttons)."""

from collections.abc import Iterator
from datetime import date

from healthscore.models import HealthSnapshot, SignalDefinition


def snapshot_rows(*, day: date, accounts=None) -> tuple[list[str], Iterator[list]]:
    """Header and rows of the snapshots of `day`: account, owner, score, colour, coverage and
    one column per signal key (the component scores)."""
    snapshots = HealthSnapshot.objects.filter(date=day).select_related("account__owner")
    if accounts is not None:
        snapshots = snapshots.filter(account__in=accounts)
    snapshots = snapshots.order_by("account__name")
    keys = list(SignalDefinition.objects.order_by("key").values_list("key", flat=True).distinct())
    header = ["external_id", "name", "owner", "score", "colour", "coverage", *keys]

    def rows() -> Iterator[list]:
        for snap in snapshots.iterator(chunk_size=2000):
            scores = {c["key"]: c["score"] for c in snap.components}
            owner = snap.account.owner.username if snap.account.owner else ""
            yield [
                snap.account.external_id,
                snap.account.name,
                owner,
                "" if snap.score is None else snap.score,
                snap.colour,
                snap.coverage,
                *("" if scores.get(k) is None else scores[k] for k in keys),
            ]

    return header, rows()
