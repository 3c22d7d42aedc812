"""Rate limits per token (per user for a browser session), with a 429 that says the limit.

Rates come from the environment (API_THROTTLE_RATE, API_INGEST_THROTTLE_RATE, read by
`rates.env_rate` in the settings); counts live in the cache (in memory per process without
Redis, shared between processes with it).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import is_ingest


class ApiRateThrottle(SimpleRateThrottle):
    """One bucket per token; the scope (and so the rate) depends on what the token is."""

    def __init__(self):
        # The rate is chosen per request (ingest tokens have their own); see allow_request.
        pass

    def scope_for(self, request) -> str:
        return "ingest" if is_ingest(request.user) else "user"

    def allow_request(self, request, view) -> bool:
        self.scope = self.scope_for(request)
        # Read the settings now, not at import, so that tests can change them.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        token = request.auth
        if token is not None and hasattr(token, "key_hash"):
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        # Tracking calls have a bucket of their own, beside the other API calls'.
        return f"throttle_api_{ident}" if self.scope != "track" else f"throttle_track_{ident}"


class TrackThrottle(ApiRateThrottle):
    def scope_for(self, request) -> str:
        return "track"
