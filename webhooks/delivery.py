"""Sending one delivery: the body (JSON event or Slack text), the signed headers, one HTTP POST
with a timeout, and what to do next — delivered, retried later on the backoff schedule, or
given up.

An attempt is claimed first with a conditional UPDATE on the attempt number, so a message the
broker hands out twice (a worker that died, an ETA past Redis's visibility timeout) never posts
the same attempt twice, and a delivered or failed delivery is never sent again.
"""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation

from webhooks.messages import event_sentence
from webhooks.models import BodyFormat, Delivery, DeliveryStatus, Event
from webhooks.signing import signature

# Seconds to wait before attempts 2, 3, …: 1 min, 5 min, 30 min, 2 h, 6 h; then give up.
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
SNIPPET = 500
# A 4xx says the request itself is refused: retrying cannot help, except these.
RETRY_4XX = {408, 429}
USER_AGENT = "Healthscore-Webhooks/1"


# The documented order of the body's fields (the database's JSON keeps its own order).
BODY_ORDER = ("schema_version", "id", "type", "occurred_at", "account", "details")


def request_body(event: Event, body_format: str) -> bytes:
    """The bytes posted: the stored JSON body, or Slack's {"text": …} sentence."""
    if body_format == BodyFormat.SLACK:
        with translation.override(settings.LANGUAGE_CODE):
            document: dict = {"text": event_sentence(event.payload)}
    else:
        first = {k: event.payload[k] for k in BODY_ORDER if k in event.payload}
        document = first | event.payload
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def request_headers(event: Event, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Healthscore-Event": event.kind,
        "X-Healthscore-Event-Id": str(event.pk),
        "X-Healthscore-Timestamp": str(timestamp),
        "X-Healthscore-Signature": signature(secret, timestamp, body),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is an answer like another: the receiver's URL must be the real one


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Response:
    code: int | None  # None: no HTTP answer (refused, timed out, DNS)
    text: str
    error: str


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    if not url.lower().startswith(("http://", "https://")):
        return Response(None, "", f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return Response(answer.status, answer.read(SNIPPET).decode(errors="replace"), "")
    except urllib.error.HTTPError as exc:
        text = exc.read(SNIPPET).decode(errors="replace") if exc.fp else ""
        return Response(exc.code, text, f"HTTP {exc.code} {exc.reason}")
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad URLs
        reason = getattr(exc, "reason", exc)
        return Response(None, "", f"{type(exc).__name__}: {reason}")


def retryable(response: Response) -> bool:
    if response.code is None:
        return True
    return response.code >= 500 or response.code in RETRY_4XX


def retry_delay(attempt: int) -> int:
    """Seconds between attempt `attempt` and the next."""
    return BACKOFF[attempt - 1]


def delivery_attempt(
    *, delivery_id: int, attempt: int, now: datetime | None = None
) -> Delivery | None:
    """Make attempt number `attempt` of a delivery; None if it is not this attempt's turn (done,
    given up, or this attempt taken already). The delivery comes back pending when it is to be
    tried again after `retry_delay(attempt)`."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, last_attempt_at=now)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    body = request_body(delivery.event, delivery.endpoint.body_format)
    headers = request_headers(delivery.event, delivery.endpoint.secret, body, int(time.time()))
    response = post(delivery.endpoint.url, body, headers)
    delivery.response_code = response.code
    delivery.response_snippet = response.text[:SNIPPET]
    delivery.last_error = response.error[:500]
    delivery.next_attempt_at = None
    if response.code is not None and 200 <= response.code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
    elif retryable(response) and attempt < MAX_ATTEMPTS:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(attempt))
    else:
        delivery.status = DeliveryStatus.FAILED
    delivery.save(
        update_fields=[
            "status",
            "response_code",
            "response_snippet",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ]
    )
    return delivery


def delivery_retry_now(delivery: Delivery) -> int | None:
    """Make a failed or waiting delivery due again (the admin's *Retry now*); the attempt
    number to send, or None if it was delivered."""
    updated = (
        Delivery.objects.filter(pk=delivery.pk)
        .exclude(status=DeliveryStatus.DELIVERED)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=None)
    )
    return delivery.attempts + 1 if updated else None
