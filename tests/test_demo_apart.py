"""Demo data stays out of real data (issue 20, point 3): the web simulator and `trampoline chat` without an
invite play in a demo database of their own, with a clock of their own, so the real database's ids start at 1,
the programme report and every coach summary count only real people, and the service's clock never jumps."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App, build_app, demo_settings
from bot.coaching import report, summary
from bot.core.clock import FakeClock
from bot.core.settings import load_settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Organisation, Person, Role
from bot.people.directory import add_organisation, create_invite
from tests.support.chat import ONBOARDING, piped_chat
from tests.support.harness import conversations, settings_for

FLOWS, CATALOGS = conversations()
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def demo_of(app: App) -> App:
    """Where the simulator plays: the demo, apart from the service."""
    assert app.demo is not None and app.demo.db is not app.db
    return app.demo


@pytest.fixture
async def service(db: Database) -> AsyncIterator[App]:
    """The service with the simulator on, as `make run` builds it, its real clock standing still; the
    simulator's inbox worker started as ``serve`` starts it."""
    settings = settings_for(db).model_copy(update={"simulator": True})
    app = build_app(settings, clock=FakeClock(START), db=db, loaded=(FLOWS, CATALOGS))
    demo = demo_of(app)
    await upgrade(demo.db)
    demo.inbox.start()
    yield app
    await demo.inbox.stop()
    await demo.db.dispose()


def web(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://test")


async def real_counts(db: Database) -> tuple[int, int]:
    async with db.reading() as session:
        organisations = await session.scalar(select(func.count()).select_from(Organisation))
        people = await session.scalar(select(func.count()).select_from(Person))
    return int(organisations or 0), int(people or 0)


@pytest.mark.parametrize("locale", ["ar", "nl"])
async def test_simulator_phones_never_reach_the_real_database_its_report_or_a_coach_summary(
    service: App, db: Database, locale: str
) -> None:
    async with db.transaction() as session:  # the README's first steps: organisation 1, coach (person) 1
        organisation = await add_organisation(
            session, service.clock, "Foyer Anderlecht", locale="nl", timezone="Europe/Brussels"
        )
        sara = await create_invite(
            session, service.clock, service.invites, role=Role.COACH, organisation_id=organisation.id, name="Sara"
        )
    assert (organisation.id, sara.person_id) == (1, 1)
    async with web(service) as client:
        for role in ("coach", "participant", "participant", "buddy"):
            answer = await client.post("/simulator/phones", json={"role": role, "locale": locale})
            assert answer.status_code == 200
        await demo_of(service).dispatcher.dispatch_due()
        assert (await client.post("/simulator/clock/next-hour")).status_code == 200
    assert await real_counts(db) == (1, 1)
    async with db.reading() as session:
        made = await report.build_report(session, now=service.clock.now())
        found = await summary.collect(session, [sara.person_id], service.clock.now())
    participants = next(table for table in made.tables if table.key == "participants")
    assert participants.cells[0].count == 0
    assert "Demo organisation" not in [cell.label for table in made.tables for cell in table.cells]
    assert found[0].participants == []
    async with demo_of(service).db.reading() as session:  # the demo has them, in its own database
        demo_people = await session.scalar(select(func.count()).select_from(Person))
        demo_organisation = await session.scalar(select(Organisation.name))
    assert (demo_people, demo_organisation) == (5, "Demo organisation")  # four phones and the demo coach


async def test_the_simulator_clock_is_its_own_and_the_page_says_so(service: App) -> None:
    async with web(service) as client:
        page = (await client.get("/simulator")).text
        before = datetime.fromisoformat((await client.get("/simulator/clock")).json()["now"])
        moved = (await client.post("/simulator/clock/next-hour")).json()
        after = datetime.fromisoformat((await client.get("/simulator/clock")).json()["now"])
    assert moved["moved"] is True and after == before + timedelta(hours=1)
    assert service.clock.now() == START  # the service (and every command) keeps the real time
    assert "its own clock" in page and "demo database" in page


def trampoline(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=workdir, timeout=60)


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as database:
        tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return list(database.execute(query)) if "people" in tables else []


@pytest.mark.parametrize("locale", ["ar", "nl"])
def test_chat_without_an_invite_plays_in_the_demo_database(tmp_path: Path, locale: str) -> None:
    done = piped_chat(tmp_path, "--locale", locale, lines=[line.format(name="Amina") for line in ONBOARDING])
    assert done.returncode == 0, done.stderr
    assert CATALOGS.translations(locale).gettext("Hello! 👋 Which language do you want to use?") in done.stdout
    assert rows(tmp_path / "var" / "trampoline.db", "SELECT id FROM people") == []
    assert rows(tmp_path / "var" / "trampoline.db", "SELECT id FROM organisations") == []
    demo = rows(tmp_path / "var" / "demo.db", "SELECT role, status, locale FROM people ORDER BY id")
    assert ("participant", "active", locale) in demo
    assert trampoline(tmp_path, "db", "upgrade").returncode == 0
    added = trampoline(tmp_path, "org", "add", "Foyer Anderlecht", "--locale", "nl")
    assert added.returncode == 0 and "organisation 1 added" in added.stdout, added.stderr
    counted = trampoline(tmp_path, "report", "--format", "csv")
    assert counted.returncode == 0 and "Demo organisation" not in counted.stdout, counted.stderr


def test_chat_with_an_invite_uses_the_real_database(tmp_path: Path) -> None:
    assert trampoline(tmp_path, "db", "upgrade").returncode == 0
    assert trampoline(tmp_path, "org", "add", "Foyer Anderlecht", "--locale", "nl").returncode == 0
    assert trampoline(tmp_path, "invite", "create", "--role", "coach", "--org", "1", "--name", "Sara").returncode == 0
    invited = trampoline(tmp_path, "invite", "create", "--role", "participant", "--org", "1", "--coach", "1", "--json")
    assert invited.returncode == 0, invited.stderr
    code = json.loads(invited.stdout)["code"]
    done = piped_chat(
        tmp_path, "--invite", code, "--locale", "ar", lines=[line.format(name="أمينة") for line in ONBOARDING]
    )
    assert done.returncode == 0, done.stderr
    real = rows(tmp_path / "var" / "trampoline.db", "SELECT id, role, status, locale FROM people ORDER BY id")
    assert [person[:3] for person in real] == [(1, "coach", "invited"), (2, "participant", "active")]
    assert real[1][3] == "ar"
    assert not (tmp_path / "var" / "demo.db").exists()


def test_the_demo_database_sits_beside_the_configured_one_and_is_never_it(tmp_path: Path) -> None:
    beside = demo_settings(load_settings(TRAMPOLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'bot.db'}"))
    assert beside.sqlite_path == tmp_path / "data" / "demo.db" and not beside.telegram_enabled
    named_demo = load_settings(TRAMPOLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}")
    assert demo_settings(named_demo).sqlite_path not in (None, named_demo.sqlite_path)
    postgres = load_settings(TRAMPOLINE_DATABASE_URL="postgresql://bot@127.0.0.1/trampoline")
    assert demo_settings(postgres).sqlite_path == Path.cwd() / "var" / "demo.db"
