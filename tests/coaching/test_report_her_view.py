"""Her own view of her year in the programme report (issue 21 §7: "both flows are anonymous in the report"):
what helped, what was hard, would she tell a friend, what she does three months after; counts of women, no
names or words, small cells hidden; the demo organisation left out; in nl and fr."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.app import load_conversations
from bot.coaching.report import build_report
from bot.coaching.report_render import render
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Role, YearAnswer
from bot.people.directory import DEMO_ORGANISATION, add_organisation, create_invite
from tests.support.harness import Bot

# (helped, hard, recommend) of twelve women at the end of their year, and what they say three months later.
FEEDBACK = [
    (["her_coach", "volunteering"], ["language"], "yes"),
    (["her_coach"], ["language", "childcare"], "yes"),
    (["her_coach", "peers"], ["language"], "yes"),
    (["her_coach", "buddy"], ["time"], "yes"),
    (["her_coach", "volunteering"], ["language"], "yes"),
    (["volunteering"], [], "yes"),
    (["volunteering", "language_course"], ["language", "money"], "maybe"),
    (["her_coach", "volunteering"], ["transport"], "yes"),
    (["peers"], ["language"], "no"),
    (["her_coach"], ["language"], "yes"),
    (["volunteering"], ["childcare"], "maybe"),
    (["her_coach", "volunteering"], [], "yes"),
]
AFTER = ["work"] * 6 + ["training"] * 5 + ["none"]


async def _answers(bot: Bot, clock: FakeClock) -> None:
    at = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    async with bot.db.transaction() as session:
        foyer = await add_organisation(session, clock, "Foyer", locale="nl", timezone="Europe/Brussels")
        demo = await add_organisation(session, clock, DEMO_ORGANISATION, locale="nl", timezone="Europe/Brussels")
        women = []
        for org, count in ((foyer, 12), (demo, 6)):
            coach = await create_invite(session, clock, bot.invites, role=Role.COACH, organisation_id=org.id)
            for _ in range(count):
                made = await create_invite(
                    session, clock, bot.invites, role=Role.PARTICIPANT, organisation_id=org.id,
                    coach_id=coach.person_id, name="Amina",
                )  # fmt: skip
                women.append(made.person_id)
        for person_id, (helped, hard, recommend) in zip(women, FEEDBACK + FEEDBACK[:6], strict=True):
            session.add(YearAnswer(participant_id=person_id, kind="feedback", helped=helped, hard=hard,
                                   recommend=recommend, words_ciphertext=bot.cipher.encrypt("Sara was great"),
                                   words_kind="text", created_at=at))  # fmt: skip
        for person_id, now_doing in zip(women, AFTER, strict=False):
            session.add(YearAnswer(participant_id=person_id, kind="after", now_doing=now_doing, created_at=at))


async def test_her_view_is_counted_without_names_or_words(db: Database, clock: FakeClock, bot: Bot) -> None:
    await _answers(bot, clock)
    async with db.reading() as session:
        report = await build_report(session, now=clock.now())
    found = {t["key"]: t for t in json.loads(render(report, "json"))["tables"]}
    rows = {key: {r["label"]: r["count"] for r in found[key]["rows"]} for key in found if key.startswith("year_")}
    assert found["year_helped"]["base"] == 12  # the demo organisation's six are not counted
    assert rows["year_helped"] == {
        "helped_her_coach": None,  # 8 of 12 tells the 4 it did not help (decision 0033)
        "helped_buddy": None,  # 1 woman: hidden
        "helped_volunteering": 7,
        "helped_peers": None,
        "helped_language_course": None,
    }
    assert rows["year_hard"]["language"] == 7 and rows["year_hard"]["childcare"] is None
    assert rows["year_hard"]["housing"] == 0
    # 9 yes, 2 maybe, 1 no: the two small cells hidden together (3 < 5), so the "yes" is hidden too.
    assert found["year_recommend"]["total"] == 12
    assert rows["year_recommend"] == {"recommend_yes": None, "recommend_maybe": None, "recommend_no": None}
    # 1 "none" is hidden, and with it the next smallest (5 in training), so that it cannot be worked out.
    assert found["year_after"]["total"] == 12
    assert rows["year_after"] == {"now_work": 6, "now_training": None, "now_volunteering": 0, "now_none": None}
    everything = render(report, "json") + render(report, "text") + render(report, "csv")
    assert "Sara" not in everything and "Amina" not in everything


async def test_her_view_in_dutch_and_french(db: Database, clock: FakeClock, bot: Bot) -> None:
    await _answers(bot, clock)
    catalogs = load_conversations()[1]
    async with db.reading() as session:
        report = await build_report(session, now=clock.now())
    dutch = render(report, "text", catalogs.translations("nl"))
    french = render(report, "html", catalogs.translations("fr"))
    assert "Wat het meest hielp, volgens haarzelf" in dutch and "Haar coach" in dutch and "helped_" not in dutch
    assert "Ce qui a le plus aidé, selon elle" in french and "Sa coach" in french and "now_work" not in french
