"""The command line writes times as people read them (issue 20, point 8): ``match propose`` and ``outbox
status`` print a date and time in the programme's time zone, never a raw timestamp."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from bot.core.clock import FakeClock
from bot.db.engine import Database
from tests.support.cli import Trampoline
from tests.support.harness import TEST_KEY
from tests.support.programme import Programme

RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def test_match_propose_and_outbox_status_print_human_times(database_url: str) -> None:
    async def people() -> tuple[int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara = await p.coach()
            return await p.participant("Amina", "ar", sara), await p.buddy("Lotte", "nl")
        finally:
            await db.dispose()

    amina, lotte = asyncio.run(people())
    trampoline = Trampoline(database_url)
    keys = {"TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY}
    out = trampoline("match", "propose", "--participant", str(amina), "--buddy", str(lotte), **keys).stdout
    assert re.search(r"answers are due by \d{1,2} \w{3} \d{4}, \d{1,2}:\d{2}", out), out
    assert not RAW_TIMESTAMP.search(out), out
    status = trampoline("outbox", "status", **keys).stdout
    assert "oldest waiting since:" in status and not RAW_TIMESTAMP.search(status), status
    assert "oldest waiting since: -" not in status  # her question waits in the outbox
