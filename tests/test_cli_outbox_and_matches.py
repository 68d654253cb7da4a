"""The outbox can be listed and its times are human (issue 20, points 2 and 8), and ``match suggest`` says
why a buddy is suggested: the languages they share, the same area, when both are free, shared interests."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Organisation, Profile
from tests.support.cli import Trampoline
from tests.support.harness import TEST_KEY
from tests.support.programme import Programme

RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _trampoline(database_url: str) -> Trampoline:
    """The command line with the notes' key: a proposal writes its question, sealed, to the outbox."""
    trampoline = Trampoline(database_url)
    trampoline.env["TRAMPOLINE_ENCRYPTION_KEYS"] = TEST_KEY
    return trampoline


def _people(database_url: str) -> tuple[int, int, int, int]:
    """A coach, a participant with a profile, a buddy who matches her well and one who does not."""

    async def work() -> tuple[int, int, int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara = await p.coach()
            amina = await p.participant("Amina", "ar", sara, languages=["ar", "fr"])
            lotte = await p.buddy("Lotte", "nl", languages=["ar", "nl"], region="Gent")
            els = await p.buddy("Els", "nl", languages=["nl"], region="Antwerpen")
            org_id = await p.bot.organisation()  # before the transaction: SQLite writes one at a time
            async with db.transaction() as session:
                org = await session.get(Organisation, org_id)
                assert org is not None
                org.region = "Gent"
                for person, availability, interests in (
                    (amina, ["mornings", "weekend"], ["cooking", "children"]),
                    (lotte, ["mornings"], ["cooking"]),
                    (els, ["evenings"], ["sports"]),
                ):
                    profile = await session.get(Profile, person)
                    assert profile is not None
                    profile.availability, profile.interests = availability, interests
            return sara, amina, lotte, els
        finally:
            await db.dispose()

    return asyncio.run(work())


def test_match_suggest_says_why(database_url: str) -> None:
    trampoline = _trampoline(database_url)
    _, amina, lotte, els = _people(database_url)
    out = trampoline("match", "suggest", "--participant", str(amina)).stdout
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "Lotte" in line)
    assert first < next(i for i, line in enumerate(lines) if "Els" in line)
    why = lines[first + 1]
    assert "Arabic" in why and "same area: Gent" in why and "mornings" in why and "cooking" in why, out
    assert "ar," not in why and "'ar'" not in why  # language names, not codes
    found = trampoline.json("match", "suggest", "--participant", str(amina))["suggestions"]
    assert found[0]["buddy_id"] == lotte and found[1]["buddy_id"] == els
    assert found[0]["reasons"] == {
        "languages": ["ar"],
        "same_area": "Gent",
        "availability": ["mornings"],
        "interests": ["cooking"],
    }
    assert found[1]["reasons"] == {"languages": [], "same_area": None, "availability": [], "interests": []}
    assert "nothing in common" in lines[next(i for i, line in enumerate(lines) if "Els" in line) + 1]


def test_match_propose_and_outbox_speak_in_human_times(database_url: str) -> None:
    trampoline = _trampoline(database_url)
    _, amina, lotte, _ = _people(database_url)
    out = trampoline("match", "propose", "--participant", str(amina), "--buddy", str(lotte)).stdout
    assert "answers are due by" in out and not RAW_TIMESTAMP.search(out), out
    status = trampoline("outbox", "status").stdout
    assert not RAW_TIMESTAMP.search(status), status
    listed = trampoline("outbox", "list").stdout
    assert "pending" in listed and "nudge" in listed and not RAW_TIMESTAMP.search(listed), listed
    assert "Lotte" not in listed  # never the message text
    rows = trampoline.json("outbox", "list", "--status", "pending")["messages"]
    assert rows and all(row["status"] == "pending" and "text" not in row for row in rows)
    assert trampoline.json("outbox", "list", "--status", "sent")["messages"] == []
    error = trampoline.error("outbox", "list", "--status", "lost")
    assert "--status" in error and "pending" in error and "failed" in error


def test_outbox_list_is_newest_first_and_limited(database_url: str) -> None:
    trampoline = _trampoline(database_url)
    _, amina, lotte, _ = _people(database_url)
    trampoline("match", "propose", "--participant", str(amina), "--buddy", str(lotte))
    rows = trampoline.json("outbox", "list")["messages"]
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids, reverse=True)
    assert len(trampoline.json("outbox", "list", "--limit", "1")["messages"]) == 1
