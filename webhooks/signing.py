"""The signature of a webhook request (README, "Webhooks"), in the manner of Stripe's: an
HMAC-SHA256, keyed with the endpoint's secret, of "{timestamp}.{body}", where the timestamp is
the request's X-Healthscore-Timestamp (Unix seconds) and the body its exact bytes. The
receiver checks it, and rejects a timestamp outside its replay window (the README's recipe)."""

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the X-Healthscore-Signature header."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest
