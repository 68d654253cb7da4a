"""What Telegram's answers mean: a failed Bot API call mapped to one of the few outcomes the dispatcher
acts on."""

from __future__ import annotations

import warnings
from datetime import timedelta

import httpx
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.errors import short
from bot.messaging.channel import SendOutcome, SendResult


class TokenRejected(Exception):
    """Telegram refused the token (the message never holds the token)."""


def outcome_of(exc: TelegramError, secret: str = "") -> SendResult:
    """Map a failed Bot API call to one of the few outcomes the dispatcher acts on."""
    if isinstance(exc, RetryAfter):
        return SendResult(SendOutcome.THROTTLED, retry_after=retry_after_seconds(exc), error="throttled by Telegram")
    if isinstance(exc, Forbidden):
        said = exc.message.lower()
        if "blocked" in said:
            return SendResult(SendOutcome.STOPPED, error="she blocked the bot")
        if "deactivated" in said:
            return SendResult(SendOutcome.STOPPED, error="her account is deactivated")
        return SendResult(SendOutcome.FAILED, error=short(f"forbidden: {exc.message}", secret))
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout):
            return SendResult(SendOutcome.UNREACHABLE, error="could not connect to Telegram in time")
        # The request left: Telegram may have sent the message. sendMessage has no idempotency key.
        return SendResult(SendOutcome.UNCERTAIN, error="no answer from Telegram in time; it may have arrived")
    if isinstance(exc, BadRequest):
        return SendResult(SendOutcome.FAILED, error=short(exc.message, secret))
    if isinstance(exc, NetworkError):
        if isinstance(cause, httpx.ConnectError):
            return SendResult(SendOutcome.UNREACHABLE, error="could not connect to Telegram")
        if isinstance(cause, httpx.TransportError):
            return SendResult(
                SendOutcome.UNCERTAIN, error=f"connection lost ({type(cause).__name__}); it may have arrived"
            )
        # Telegram answered with a server error (5xx): it says the message was not sent, so it is tried again.
        return SendResult(SendOutcome.UNREACHABLE, error=short(f"telegram: {exc.message}", secret))
    if isinstance(exc, InvalidToken):
        return SendResult(SendOutcome.FAILED, error="Telegram rejected the token")
    return SendResult(SendOutcome.FAILED, error=short(f"{type(exc).__name__}: {exc.message}", secret))


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that retry_after becomes a timedelta in a later version
        warnings.simplefilter("ignore")
        value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
