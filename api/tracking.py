"""Segment-compatible tracking: `POST /api/v1/track` and `POST /api/v1/batch`, the shapes of
Segment's HTTP Tracking API, so that Segment, RudderStack, Jitsu and their SDKs can send product
usage straight to Healthscore (`signals.tracking` says how an event becomes usage).

Authenticated by an ingest token (or a manager's or admin's personal token): HTTP Basic with
the key as the user name and no password, as Segment's write key is sent, or
`Authorization: Bearer <key>`. The request only reads the JSON and queues the counting (a
Celery task; kept in the database when Redis is down), then answers 200 at once.
"""

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import TokenAuthentication, WriteKeyAuthentication, is_ingest
from api.throttling import TrackThrottle
from jobs.queueing import enqueue
from signals.tasks import count_tracked_events
from signals.tracking import MAX_BATCH, compact_events


class CanTrack(BasePermission):
    message = _("Only ingest tokens, managers and admins send tracking events.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and (is_ingest(user) or user.sees_all_accounts)


class _TrackingView(APIView):
    authentication_classes = [WriteKeyAuthentication, TokenAuthentication]
    permission_classes = [CanTrack]
    throttle_classes = [TrackThrottle]

    def events(self, body) -> list:
        raise NotImplementedError

    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ParseError(_("The body must be a JSON object."))
        events = self.events(request.data)
        kept, refused = compact_events(events)
        if kept:
            enqueue(count_tracked_events, json.dumps(kept, separators=(",", ":")))
        return Response(
            {"success": True, "queued": len(kept), "refused": refused}, status=status.HTTP_200_OK
        )


EVENT = {
    "type": "object",
    "description": "A Segment `track` call: `event` (its name is the metric), `userId` or "
    "`anonymousId`, `properties`, `context.groupId` (the account's external id; else "
    "`properties.account_id`, or the property TRACK_ACCOUNT_PROPERTY names), `timestamp` "
    "(ISO 8601; its day in the install's time zone), `messageId` (counted once). Calls of "
    "other types (identify, page, group ...) are accepted and not counted.",
}
ANSWER = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "queued": {"type": "integer", "description": "events queued to be counted"},
        "refused": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"index": {"type": "integer"}, "reason": {"type": "string"}},
            },
        },
    },
}
BATCH = {
    "type": "object",
    "properties": {
        "batch": {"type": "array", "items": EVENT, "maxItems": MAX_BATCH},
        "context": {"type": "object", "description": "applies to events without their own"},
    },
    "required": ["batch"],
}


@extend_schema(
    summary="Count one tracking event (Segment's track call)",
    request={"application/json": EVENT},
    responses={200: ANSWER},
    tags=["tracking"],
)
class TrackView(_TrackingView):
    """One `track` call: {"userId", "event", "properties", "context": {"groupId"}, "timestamp",
    "messageId"}."""

    def events(self, body) -> list:
        return [{**body, "type": body.get("type", "track")}]


@extend_schema(
    summary="Count a batch of tracking events (Segment's batch call)",
    request={"application/json": BATCH},
    responses={200: ANSWER},
    tags=["tracking"],
)
class BatchView(_TrackingView):
    """A `batch` call: {"batch": [track calls ...]}; calls of other types are ignored."""

    def events(self, body) -> list:
        batch = body.get("batch")
        if not isinstance(batch, list):
            raise exceptions.ParseError(_('A batch call is {"batch": [events ...]}.'))
        if len(batch) > MAX_BATCH:
            raise exceptions.ParseError(
                _("A batch holds at most %(most)d events.") % {"most": MAX_BATCH}
            )
        for index, event in enumerate(batch):
            if not isinstance(event, dict):
                raise exceptions.ParseError(
                    _("batch[%(index)d] is not a JSON object.") % {"index": index}
                )
        # A context sent beside the batch applies to the events that have none of their own.
        shared = body.get("context")
        if isinstance(shared, dict):
            batch = [
                event if "context" in event else {**event, "context": shared} for event in batch
            ]
        return batch
