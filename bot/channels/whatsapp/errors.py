"""What WhatsApp's answers mean: a failed Graph API call mapped to one of the few outcomes the dispatcher
acts on."""

from __future__ import annotations

import httpx
from pywa_async.errors import WhatsAppError

from bot.channels.errors import short
from bot.messaging.channel import SendOutcome, SendResult

# Meta's error codes that mean something to the dispatcher.
WINDOW_CLOSED = 131047  # re-engagement: more than 24 hours since her last message
PAIR_RATE = 131056  # too many messages to the same person
THROUGHPUT = 130429  # the number's messages per second
PAIR_RATE_WAIT = 6.0  # seconds; Meta allows about one message every 6 seconds to one person in a burst
THROTTLE_WAIT = 2.0


def outcome_of(exc: Exception, secret: str = "") -> SendResult:
    """Map a failed Graph API call to one of the few outcomes the dispatcher acts on."""
    if isinstance(exc, WhatsAppError):
        if exc.code == PAIR_RATE:
            return SendResult(SendOutcome.THROTTLED, retry_after=PAIR_RATE_WAIT, error="pair rate limit (131056)")
        if exc.code == THROUGHPUT or exc.status_code == 429:
            wait = _retry_after(exc.raw_response) or THROTTLE_WAIT
            return SendResult(SendOutcome.THROTTLED, retry_after=wait, error=f"throttled by WhatsApp ({exc.code})")
        if exc.code == WINDOW_CLOSED:
            return SendResult(SendOutcome.FAILED, error="outside the 24-hour window (131047)")
        if exc.code == 190:
            return SendResult(SendOutcome.FAILED, error="WhatsApp rejected the access token (190)")
        return SendResult(SendOutcome.FAILED, error=short(f"whatsapp {exc.code}: {exc.message}", secret))
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendResult(SendOutcome.UNREACHABLE, error="could not connect to WhatsApp")
    if isinstance(exc, httpx.TimeoutException):
        # The request left: WhatsApp may have sent it. The Cloud API has no idempotency key.
        return SendResult(SendOutcome.UNCERTAIN, error="no answer from WhatsApp in time; it may have arrived")
    if isinstance(exc, httpx.TransportError):
        return SendResult(SendOutcome.UNCERTAIN, error=f"connection lost ({type(exc).__name__}); it may have arrived")
    return SendResult(SendOutcome.FAILED, error=short(f"{type(exc).__name__}", secret))


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None
