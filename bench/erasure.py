"""What a copy of the SQLite files shows one second after ``forget`` (decision 0018).

The service as ``build_app`` makes it runs on a fresh SQLite file with Telegram (the local emulator of
tests/emulators/telegram.py) by webhook: the web app, the inbox worker and the dispatcher loop. A participant
does a check-in with a note, asks for her data as a file, opens the menu and the "contact my coach" question,
and in the middle of it sends ``forget`` and presses yes. One second after the webhook that carried the
yes returned, while the service keeps running, the raw bytes of the database file and of its write-ahead
log are searched for her name, her chat id and her note. Then she writes once more (now a stranger) and
the files are searched again one second later.

    python -m bench.erasure

The last line is ``RESULT {json}``: the hits in each file at each moment, and the size of the log.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import build_app
from bot.core.channel import Channel
from bot.core.settings import Settings
from bot.db.migrate import upgrade
from bot.db.models import ChannelIdentity, Person, PersonStatus
from bot.serve import start_telegram, stop_telegram
from tests.emulators import LocalServer
from tests.emulators.telegram import TOKEN, TelegramEmulator, TelegramUser
from tests.support.harness import TEST_KEY, Bot

NAME = "Fatimazahra"
NOTE = "my neighbour Xavierina helps with the children"
CHAT_ID = 770012345
SETTLE_S = 1.0


def hits(path: Path, needles: dict[str, str]) -> dict[str, int]:
    data = path.read_bytes() if path.exists() else b""
    return {label: data.count(needle.encode()) for label, needle in needles.items()}


def scan(db_path: Path) -> dict[str, Any]:
    needles = {"name": NAME, "chat_id": str(CHAT_ID), "note": NOTE}
    wal = db_path.with_name(db_path.name + "-wal")
    return {
        "main_file": hits(db_path, needles),
        "wal_file": hits(wal, needles),
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
    }


async def post(telegram: TelegramEmulator, update: dict[str, Any]) -> None:
    answer = await telegram.post_webhook(update)
    assert answer.status_code == 200, answer.text


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="trampoline-erasure-"))
    db_path = workdir / "trampoline.db"
    telegram = TelegramEmulator()
    async with telegram.serving():
        server = LocalServer()
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{db_path}",
            public_url=server.url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=telegram.url,
            encryption_keys=TEST_KEY,
            rate_telegram_per_chat=100,
        )
        app = build_app(settings)
        await upgrade(app.db)
        app.inbox.start()
        task = await start_telegram(app)
        await server.start(app.web)
        assert task is not None
        await task
        dispatching = asyncio.create_task(app.dispatcher.run(app.stopping))
        try:
            user = await participant(app.db, app.clock, telegram)
            for text in ("check-in", "4", "1", "11", NOTE, "no", "mydata", "menu"):
                await post(telegram, user.text(text))
                await asyncio.sleep(0.2)  # she reads the answer
            await post(telegram, user.press("Contact my coach"))
            await asyncio.sleep(0.2)
            await post(telegram, user.text("forget"))
            await asyncio.sleep(0.2)
            before = scan(db_path)
            await post(telegram, user.press("Yes"))
            await asyncio.sleep(SETTLE_S)
            after_forget = scan(db_path)
            received = [m["text"][:40] for m in user.inbox[-3:]]
            await post(telegram, user.text("hello again"))
            await asyncio.sleep(SETTLE_S)
            after_stranger = scan(db_path)
        finally:
            app.stopping.set()
            app.dispatcher.wake.set()
            await dispatching
            await server.stop()
            await stop_telegram(app, None)
            await app.inbox.stop()
            await app.db.dispose()
    result = {
        "before_forget": before,
        "one_second_after_forget": after_forget,
        "one_second_after_a_stranger_message": after_stranger,
        "her_last_three_messages": received,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


async def participant(db: Any, clock: Any, telegram: TelegramEmulator) -> TelegramUser:
    bot = Bot(db, clock)
    person_id, _ = await bot.invite(locale="en")
    async with db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.status, person.display_name = PersonStatus.ACTIVE, NAME
        session.add(
            ChannelIdentity(
                person_id=person_id,
                channel=Channel.TELEGRAM,
                external_id=str(CHAT_ID),
                created_at=clock.now(),
                last_inbound_at=clock.now(),
            )
        )
    async with db.reading() as session:
        assert await session.scalar(select(Person.id).where(Person.id == person_id)) == person_id
    return telegram.user(CHAT_ID, first_name=NAME)


if __name__ == "__main__":
    asyncio.run(main())
