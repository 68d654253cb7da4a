"""Erased means erased (decision 0018), on Telegram and WhatsApp through their emulators and the real inbox,
outbox and database: after ``forget`` her name, her chat id or number and her note are nowhere (no table,
no SQLite file or write-ahead log, no PostgreSQL dump, no log line, no one else's export); the
conversation ends with the goodbye and nothing resumes; writing again makes her a stranger."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.channel import Channel
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, Nudge, NudgeStatus, OutboxMessage, OutboxStatus, Person
from bot.privacy.export import export_json, export_person
from tests.emulators.whatsapp import WhatsAppUser, status
from tests.support.harness import Bot
from tests.support.privacy import leftovers, raw_leftovers
from tests.support.telegram import TelegramBot
from tests.support.whatsapp import WhatsAppBot, body_text

NAME = "Fatimazahra"
NOTE = "my neighbour Xavierina helps with the children"
TELEGRAM_ID = 770012345
WHATSAPP_ID = "32470987654"
GOODBYE = (
    "Done: I deleted your data. Thank you for the time together, and take care! 🌷 If you want to join again "
    "one day, ask your coach for a new link."
)


async def make_participant(bot: Bot, channel: Channel, external_id: str, locale: str) -> int:
    person_id, _ = await bot.invite(locale=locale)
    async with bot.db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.status, person.display_name = person.status.ACTIVE, NAME
        session.add(
            ChannelIdentity(
                person_id=person_id,
                channel=channel,
                external_id=external_id,
                created_at=bot.clock.now(),
                last_inbound_at=bot.clock.now(),
            )
        )
        # Something the bot would start for her later: a check-in due tomorrow, queued.
        session.add(
            Nudge(
                key=f"checkin:{person_id}",
                person_id=person_id,
                kind="checkin",
                due_at=bot.clock.now() + timedelta(days=1),
                status=NudgeStatus.PENDING,
                created_at=bot.clock.now(),
            )
        )
    return person_id


async def everything_she_left(bot: Bot, person_id: int, needles: list[str], logs: str) -> list[str]:
    found = await leftovers(bot.db, person_id, needles)
    found += await raw_leftovers(bot.db, needles)
    found += [f"the log holds {n!r}" for n in needles if n.lower() in logs.lower()]
    coach_id = await bot.coach()
    async with bot.db.reading() as session:
        export = await export_person(session, coach_id, bot.cipher, bot.clock.now())
    shown = export_json(export).lower() if export is not None else ""
    found += [f"her coach's export holds {n!r}" for n in needles if n.lower() in shown]
    return found


def stranger_lines(bot: Bot) -> set[str]:
    """The first answer to someone the bot does not know, in any language (her phone's, when there is one)."""
    text = bot.flows.texts["stranger"]
    assert isinstance(text, str)
    return {bot.language(locale).gettext(text) for locale in bot.catalogs.available()}


async def her_rows(db: Database, person_id: int) -> list[str]:
    async with db.reading() as session:
        outbox = await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.person_id == person_id))
        nudges = await session.scalars(select(Nudge.kind).where(Nudge.person_id == person_id))
        return [*outbox, *nudges]


async def pending(db: Database) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.status == OutboxStatus.PENDING))
        return list(rows)


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_on_telegram_the_goodbye_is_the_last_message_and_nothing_of_her_is_left(
    tg: TelegramBot,
    locale: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")  # the service keeps libraries at WARNING (bot/core/logs.py)
    bot, tr = tg.base, tg.base.language(locale)
    person_id = await make_participant(bot, Channel.TELEGRAM, str(TELEGRAM_ID), locale)
    user = tg.telegram.user(TELEGRAM_ID, first_name=NAME, language_code=locale)

    async def say(text: str) -> None:
        await tg.deliver(user.text(text))

    async def press(label: str) -> None:
        await tg.deliver(user.press(label))

    await _her_story(say, press, tr.gettext)
    before = len(user.inbox)
    await press(tr.gettext("Delete everything"))  # yes, delete my data
    after = user.inbox[before:]
    assert [m["text"] for m in after] == [tr.gettext(GOODBYE)]  # nothing resumes: no "Hello ...!", no question

    bot.clock.advance(timedelta(days=2))
    await tg.dispatcher.dispatch_due()
    assert user.inbox[before:] == after  # the nudge queued for tomorrow went with her data
    assert await her_rows(bot.db, person_id) == [] and await pending(bot.db) == []

    await say(tr.gettext("Yes"))  # the answer to the question she was asked before: now a stranger's words
    assert user.last["text"] in stranger_lines(bot)
    needles = [NAME, str(TELEGRAM_ID), NOTE, "Xavierina"]
    assert await everything_she_left(bot, person_id, needles, caplog.text) == []


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_on_whatsapp_the_goodbye_is_the_last_message_and_nothing_of_her_is_left(
    wa: WhatsAppBot,
    locale: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")  # the service keeps libraries at WARNING (bot/core/logs.py)
    bot, tr = wa.base, wa.base.language(locale)
    person_id = await make_participant(bot, Channel.WHATSAPP, WHATSAPP_ID, locale)
    user = WhatsAppUser(wa.graph, WHATSAPP_ID, name=NAME)

    async def say(text: str) -> None:
        await wa.deliver(user.text(text))

    async def press(label: str) -> None:
        await wa.deliver(user.press(label))

    await _her_story(say, press, tr.gettext)
    before = len(user.inbox)
    yes = user.press(tr.gettext("Delete everything"))
    await wa.deliver(yes)
    after = user.inbox[before:]
    assert [body_text(m) for m in after] == [tr.gettext(GOODBYE)]
    await wa.deliver(yes)  # Meta delivers it again (it missed our 200): still a repeat, nothing more is sent
    assert len(user.inbox) == before + 1

    bot.clock.advance(timedelta(days=2))
    await wa.dispatcher.dispatch_due()
    assert len(user.inbox) == before + 1
    assert await her_rows(bot.db, person_id) == [] and await pending(bot.db) == []

    again = user.text(tr.gettext("Yes"))
    await wa.deliver(again, again)  # a stranger's message delivered twice is answered once
    assert body_text(user.last) in stranger_lines(bot) and len(user.inbox) == before + 2
    # WhatsApp's receipts for her goodbye come later, with her number: they find nothing to update and keep nothing.
    for state in ("delivered", "read", "failed"):
        await wa.deliver(status(after[0].wamid, state, WHATSAPP_ID, error_code=131026 if state == "failed" else None))
    needles = [NAME, WHATSAPP_ID, NOTE, "Xavierina"]
    assert await everything_she_left(bot, person_id, needles, caplog.text) == []


async def _her_story(
    say: Callable[[str], Awaitable[None]], press: Callable[[str], Awaitable[None]], gettext: Callable[[str], str]
) -> None:
    """A check-in with a note, her data as a file, then the menu, "contact my coach", and in the middle of
    that question: ``forget``."""
    await say("check-in")
    await say("4")  # mood
    await say("1")  # a step
    await say("11")  # nothing was difficult
    await say(NOTE)
    await press(gettext("No"))  # no contact
    await say("mydata")
    await say("menu")
    await press(gettext("Contact my coach"))  # "Do you want your coach to contact you?"
    await say("forget")
