"""A worker killed in the middle of the nightly recompute: the next worker finishes the run, and
the day ends with exactly one snapshot per active account."""

import re
import time

import pytest
from django.db.models import Count

from scoring.models import HealthSnapshot
from tests.faults.conftest import wait_until
from tests.scoring.test_recompute import DAY, book

ACCOUNTS = 60
CHUNK = 5  # 12 chunks, so the kill lands with some chunks done and some not
VISIBILITY = 5  # seconds before a message taken by a dead worker is handed out again


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_leaves_no_snapshot_missing_or_doubled(
    start_worker, broker, default_scorecard
):
    from workspace.tasks import nightly_recompute

    accounts = book(ACCOUNTS)
    env = {
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "HEALTHSCORE_RECOMPUTE_CHUNK": str(CHUNK),
    }
    # Worker A takes its time over each chunk, so that it can be caught in the middle.
    worker_a = start_worker("a", slow="scoring.tasks.health_recompute=0.4", **env)
    nightly_recompute.apply_async(args=[DAY.isoformat()])

    def a_chunk_is_in_hand_and_some_are_done() -> bool:
        done = HealthSnapshot.objects.filter(date=DAY).count()
        # kombu keeps a delivered, unacknowledged message in the "unacked" hash.
        return CHUNK * 2 <= done < ACCOUNTS and broker.client().hlen("unacked") > 0

    wait_until(
        a_chunk_is_in_hand_and_some_are_done,
        timeout=60,
        what="worker A to be in the middle of the run",
        workers=(worker_a,),
        every=0.05,
    )
    worker_a.kill()
    killed_at = time.monotonic()
    done_by_a = HealthSnapshot.objects.filter(date=DAY).count()
    assert CHUNK <= done_by_a < ACCOUNTS
    assert broker.client().hlen("unacked") > 0, "the chunk worker A held was acknowledged"

    # Worker B hands out again what A took, once it has been invisible for VISIBILITY seconds
    # (B checks when it starts), and takes the chunks still queued.
    time.sleep(max(0.0, killed_at + VISIBILITY + 1 - time.monotonic()))
    worker_b = start_worker("b", **env)
    wait_until(
        lambda: HealthSnapshot.objects.filter(date=DAY).count() == ACCOUNTS,
        timeout=60,
        what=f"worker B to finish the run ({done_by_a} of {ACCOUNTS} were done by A)",
        workers=(worker_b,),
    )

    assert set(HealthSnapshot.objects.values_list("account_id", flat=True)) == {
        a.pk for a in accounts
    }
    assert set(HealthSnapshot.objects.values_list("date", flat=True)) == {DAY}
    doubled = (
        HealthSnapshot.objects.values("account_id", "date").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not doubled.exists()
    # And the run ended: the chord's last step, opening the day's check-in tasks, ran once every
    # chunk was done (on B, as A died before), and nothing is left queued or taken.
    wait_until(
        lambda: re.search(r"open_followups\[[-0-9a-f]+\] succeeded", worker_b.log()),
        timeout=30,
        what="the run's last step",
        workers=(worker_b,),
    )
    wait_until(  # B acknowledges a message just after the task logs its success
        lambda: broker.client().llen("celery") == 0 and broker.client().hlen("unacked") == 0,
        timeout=10,
        what="the queue to drain",
        workers=(worker_b,),
    )
