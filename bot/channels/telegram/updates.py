"""How updates reach the bot: the webhook, or long polling, each kept going with back-off (tenacity).

Polling is a small loop of our own, not PTB's ``Updater``: the Updater confirms a batch to Telegram before
its handlers have run, so a crash would lose updates. Here the next ``getUpdates`` (which confirms the
batch) is asked for only after every update of the batch is committed by the inbox.

Both loops wait 1, 2, 4, ... seconds (at most 60) after each failure in a row, and what Telegram says after
a 429; a rejected token stops them at once (``TokenRejected``), and so does the service stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, retry_if_not_exception_type
from tenacity import wait_exponential as exponential

from bot.channels.telegram.errors import TokenRejected, retry_after_seconds
from bot.messaging.channel import InboundEvent

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
BACKOFF = exponential(multiplier=1, max=60)  # 1, 2, 4, ... 60 seconds after the 1st, 2nd, 3rd ... failure

Submit = Callable[[InboundEvent], Awaitable[object]]
Pause = Callable[[asyncio.Event, float], Awaitable[None]]  # wait so long, or less when the service stops
HandleUpdate = Callable[[Update], Awaitable[list[InboundEvent]]]


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when the service stops meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


def _retrying(
    what: str, stopping: asyncio.Event, wait: Pause, *, on: type[Exception], at_least_backoff: bool
) -> AsyncRetrying:
    """Attempts of one call until it works: after a 429 Telegram's wait (``at_least_backoff``: or the
    back-off when that is longer), else the back-off; never after a rejected token."""

    def seconds(state: RetryCallState) -> float:
        backoff = BACKOFF(state)
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, RetryAfter):
            told = retry_after_seconds(failure)
            return max(backoff, told) if at_least_backoff else told
        return backoff

    async def sleep(seconds: float) -> None:
        await wait(stopping, seconds)

    return AsyncRetrying(
        sleep=sleep,
        wait=seconds,
        retry=retry_if_exception_type(on) & retry_if_not_exception_type(InvalidToken),
        before_sleep=lambda state: _log_failure(what, state),
    )


def _log_failure(call: str, state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome is not None else None
    what = type(failure).__name__
    if isinstance(failure, RetryAfter):
        log.info("telegram: throttled; trying again in %.0fs", state.upcoming_sleep)
    elif isinstance(failure, Conflict):
        log.warning("telegram: another process polls this bot, or a webhook is set; trying again")
    elif isinstance(failure, TelegramError):
        log.warning("telegram: %s failed (%s); trying again in %.0fs", call, what, state.upcoming_sleep)
    else:  # the inbox could not commit: the same batch is fetched again
        log.error("telegram: a batch of updates was not stored (%s); fetching it again", what)


async def register_webhook(bot: Bot, url: str, secret: str, stopping: asyncio.Event, wait: Pause) -> None:
    """Point Telegram at ``url`` with ``secret``; keep trying while Telegram cannot be reached, until it
    works or the service stops."""
    try:
        async for attempt in _retrying("setting the webhook", stopping, wait, on=TelegramError, at_least_backoff=True):
            if stopping.is_set():
                return
            with attempt:
                await bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    except InvalidToken:
        raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
    log.info("telegram: webhook set to %s", url)


async def poll(
    bot: Bot, handle: HandleUpdate, submit: Submit, long_poll: int, stopping: asyncio.Event, wait: Pause
) -> None:
    """Long-poll until ``stopping`` is set (or the task is cancelled, which is safe at any point: a batch
    is confirmed only by the call that follows its commit). The back-off starts over after each batch."""
    try:
        await bot.delete_webhook()  # getUpdates is refused while a webhook is set
    except InvalidToken:
        raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
    except TelegramError as exc:
        log.warning("telegram: deleting the webhook failed (%s)", type(exc).__name__)
    log.info("telegram: polling for updates")
    offset: int | None = None
    while not stopping.is_set():
        try:
            async for attempt in _retrying("getUpdates", stopping, wait, on=Exception, at_least_backoff=False):
                if stopping.is_set():
                    return
                with attempt:
                    offset = await poll_once(bot, handle, submit, offset, long_poll)
        except InvalidToken:
            raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None


async def poll_once(bot: Bot, handle: HandleUpdate, submit: Submit, offset: int | None, long_poll: int) -> int | None:
    """One round: fetch a batch (the call confirms everything before ``offset``), hand each update to the
    inbox in order and wait until all are committed; return the offset that confirms this batch.
    Raises when the batch could not be stored: the same ``offset`` then brings the same batch again."""
    updates = await bot.get_updates(offset=offset, timeout=long_poll, allowed_updates=list(ALLOWED_UPDATES))
    if not updates:
        return offset
    events: list[InboundEvent] = []
    for update in updates:
        try:
            events += await handle(update)
        except ValueError as exc:  # not what Telegram sends: one line, no traceback
            log.warning("telegram: update skipped: %s", exc)
        except Exception:  # a bug on one update must not hold up every update after it
            log.exception("telegram: update %s could not be read; skipped", update.update_id)
    # Submitted in order, committed together (the inbox groups what arrives while it commits).
    results = await asyncio.gather(*(submit(event) for event in events), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return updates[-1].update_id + 1
