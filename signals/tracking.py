"""Product-usage events in the shape of Segment's HTTP Tracking API (`track` and `batch`
calls, which RudderStack, Jitsu and many SDKs also send), counted as daily usage.

An event becomes usage of one account on one day: the account from `context.groupId` (else
the property named by TRACK_ACCOUNT_PROPERTY, e.g. `properties.account_id`), the metric from
the event name (lower-case, words joined by `_`: "Report Created" -> `report_created`), the
value 1, or the numeric property named by TRACK_VALUE_PROPERTY; the day from `timestamp` (else
`originalTimestamp`, else now) in the install's time zone. Events are added to the day's count;
one with a `messageId` seen before (within TRACK_DEDUP_DAYS) is not counted again.

`compact_events` runs in the web request (no database: it only reads the JSON); the counting,
`tracked_events_count`, runs in a worker, in one transaction per batch.
"""

import re
from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import EARLIEST, LATEST, in_window
from accounts.models import Account
from signals.models import TrackedMessage, UsageRecord

MAX_BATCH = 2500  # events in one batch call (Segment's limit is 500 KB a batch)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)  # a product sends a few dozen event names, over and over
def metric_name(event: str) -> str:
    return _NOT_WORD.sub("_", event.lower()).strip("_")[:64]


def _day(stamp: Any, now: datetime, zone, utc: bool) -> str | None:
    """The ISO day of an event's timestamp in `zone`, or None if it is not a date-time of the
    window. Most SDKs send UTC ('…Z'): in a UTC install that day is the stamp's first ten
    characters, once the whole stamp has been read as a date-time."""
    if stamp is None:
        moment = now
    elif type(stamp) is not str:
        return None
    else:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        if utc and stamp[-1] == "Z" and stamp[4] == "-":
            return stamp[:10] if EARLIEST.year <= moment.year <= LATEST.year else None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    if not in_window(moment):  # before converting: year 9999 in a far zone overflows
        return None
    try:
        day = moment.astimezone(zone).date()
    except OverflowError:
        return None
    return day.isoformat() if in_window(day) else None


def _no_account(account_property: str) -> str:
    return _("the event names no account (context.groupId or properties.%(property)s)") % {
        "property": account_property
    }


def _compact(
    event: dict, now: datetime, zone, utc: bool, account_property: str, value_property: str
):
    """[messageId, account, metric, value, day] of a track event, or the reason it is not one."""
    if event.get("type", "track") != "track":
        return None  # identify, page, group ...: nothing to count, and not an error
    name = event.get("event")
    if type(name) is not str or not (metric := metric_name(name)):
        return _("the event has no event name")
    context = event.get("context")
    account = context.get("groupId") if type(context) is dict else None
    properties = event.get("properties")
    if type(properties) is not dict:
        properties = {}
    if not account:
        account = properties.get(account_property)
    if type(account) is not str:
        if type(account) is not int or isinstance(account, bool):
            return _no_account(account_property)
        account = str(account)
    if not account:
        return _no_account(account_property)
    value: Any = 1
    if value_property:
        value = properties.get(value_property, 1)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e15:
            return _("the event properties.%(property)s is not a number of 0 or more") % {
                "property": value_property
            }
    day = _day(event.get("timestamp") or event.get("originalTimestamp"), now, zone, utc)
    if day is None:
        return _(
            "the event has a timestamp that is not an ISO 8601 date-time within the data window"
        )
    message_id = event.get("messageId")
    message_id = str(message_id)[:100] if message_id not in (None, "") else None
    return [message_id, account[:64], metric, value, day]


def compact_events(events: list) -> tuple[list[list], list[dict]]:
    """The events to count, compacted, and the refused ones ({"index", "reason"})."""
    now, zone = timezone.now(), timezone.get_current_timezone()
    utc = str(zone) in ("UTC", "Etc/UTC")
    account_property = settings.TRACK_ACCOUNT_PROPERTY
    value_property = settings.TRACK_VALUE_PROPERTY
    kept, refused = [], []
    for index, event in enumerate(events):
        if type(event) is not dict:
            refused.append({"index": index, "reason": _("the event is not a JSON object")})
            continue
        compact = _compact(event, now, zone, utc, account_property, value_property)
        if isinstance(compact, list):
            kept.append(compact)
        elif compact is not None:
            refused.append({"index": index, "reason": compact})
    return kept, refused


def _insert(sql: str, types: tuple[str, ...], rows: list[tuple]) -> list:
    """Run an INSERT over `rows`: on PostgreSQL one statement over arrays (`unnest`: a handful
    of parameters however many rows, so no parse and plan of thousands of placeholders);
    elsewhere (SQLite) VALUES lists of 500 rows. Returns what the statement RETURNs, if any."""
    out: list = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [list(column) for column in zip(*rows, strict=True)]
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            # The SQL and the array types are this module's constants; the values are parameters.
            statement = sql.format(rows=f"SELECT * FROM unnest({arrays})")  # noqa: S608  # nosec
            cursor.execute(statement, columns)
            if cursor.description:
                out.extend(cursor.fetchall())
            return out
        width = len(types)
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            params = [param for row in chunk for param in row]
            cursor.execute(sql.format(rows=f"VALUES {values}"), params)
            if cursor.description:
                out.extend(cursor.fetchall())
    return out


def _first_seen(message_ids: list[str], now: datetime) -> set[str]:
    """Record the ids (sorted, so concurrent batches lock in one order); return those not
    recorded before."""
    table = TrackedMessage._meta.db_table
    sql = (
        f"INSERT INTO {table} (message_id, received_at) {{rows}} "  # noqa: S608
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id"
    )
    rows = [(message_id, now) for message_id in message_ids]
    return {row[0] for row in _insert(sql, ("text", "timestamptz"), rows)}


def _add_usage(counts: dict[tuple[int, str, str], float]) -> None:
    table = UsageRecord._meta.db_table
    sql = (
        f"INSERT INTO {table} (account_id, metric, date, value) {{rows}} "  # noqa: S608  # nosec
        "ON CONFLICT (account_id, metric, date) "
        f"DO UPDATE SET value = {table}.value + EXCLUDED.value"
    )
    # Key order: concurrent batches never deadlock. Dates go as text, cast by the database.
    rows = [
        (account, metric, day, value) for (account, metric, day), value in sorted(counts.items())
    ]
    _insert(sql, ("bigint", "text", "date", "float8"), rows)


def tracked_events_count(events: list[list]) -> dict[str, int]:
    """Add compacted events to the daily usage, each messageId once; the counts of what
    happened (counted, repeated, unknown account)."""
    now = timezone.now()
    names = {event[1] for event in events}
    accounts = dict(Account.objects.filter(external_id__in=names).values_list("external_id", "pk"))
    known = [event for event in events if event[1] in accounts]
    with transaction.atomic():
        ids = sorted({event[0] for event in known if event[0] is not None})
        fresh = _first_seen(ids, now) if ids else set()
        counts: dict[tuple[int, str, str], float] = defaultdict(float)
        counted, taken = 0, set()
        for message_id, account, metric, value, day in known:
            if message_id is not None:
                if message_id not in fresh or message_id in taken:
                    continue  # seen in an earlier batch, or twice in this one
                taken.add(message_id)
            counts[(accounts[account], metric, day)] += value
            counted += 1
        if counts:
            _add_usage(counts)
        TrackedMessage.objects.filter(
            received_at__lt=now - timedelta(days=settings.TRACK_DEDUP_DAYS)
        ).delete()
    return {
        "counted": counted,
        "repeated": len(known) - counted,
        "unknown_account": len(events) - len(known),
    }
