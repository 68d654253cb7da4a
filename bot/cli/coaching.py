"""``trampoline match ...``: thin commands over bot/coaching/matching.py (the shifts are in bot/cli/shifts.py).
With ``--coach`` every id is checked against HER caseload."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import JsonOption, emit_json, run_with_db, run_with_engine, settings_or_fail, when
from bot.coaching import matching
from bot.conversation.service import ConversationService
from bot.core import i18n
from bot.core.clock import SystemClock
from bot.db.engine import Database
from bot.people.caseload import coach_of
from bot.people.directory import DomainError

match_cli = typer.Typer(help="Buddy matches (double opt-in).", no_args_is_help=True)


async def _acting_coach(session: Any, coach: int | None, participant: int) -> int:
    """The coach given, or else the participant's own coach."""
    if coach is not None:
        return coach
    own = await coach_of(session, participant)
    if own is None:
        raise DomainError(f"participant {participant} has no coach; pass --coach")
    return own.id


@match_cli.command("propose")
def match_propose(
    participant: int = typer.Option(..., "--participant", help="The participant's id."),
    buddy: int = typer.Option(..., "--buddy", help="The buddy's id."),
    coach: int | None = typer.Option(None, "--coach", help="The coach proposing; default the participant's coach."),
    as_json: bool = JsonOption,
) -> None:
    """Propose a buddy for a participant: the participant is asked first (or the buddy, if the organisation
    chose so), then the other; contact details are shared only after both said yes."""
    settings = settings_or_fail(as_json)

    async def work(db: Database, engine: ConversationService) -> dict[str, Any]:
        async with db.transaction() as session:
            coach_id = await _acting_coach(session, coach, participant)
            match = await matching.propose(session, engine, coach_id, participant, buddy, SystemClock().now())
            return {
                "id": match.id,
                "participant_id": match.participant_id,
                "buddy_id": match.buddy_id,
                "coach_id": coach_id,
                "status": match.status.value,
                "deadline_at": match.deadline_at.isoformat() if match.deadline_at else None,
            }

    result = run_with_engine(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(
            f"match {result['id']} proposed; answers are due by {when(result['deadline_at'], settings.timezone)}"
        )


@match_cli.command("suggest")
def match_suggest(
    participant: int = typer.Option(..., "--participant", help="The participant's id."),
    coach: int | None = typer.Option(None, "--coach", help="The coach asking; default the participant's coach."),
    as_json: bool = JsonOption,
) -> None:
    """Buddies with a free place, best first (shared languages, region, time, interests, free places), each
    with what she has in common with the participant."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.reading() as session:
            coach_id = await _acting_coach(session, coach, participant)
            found = await matching.suggestions(session, coach_id, participant)
            return [
                {
                    "buddy_id": s.buddy.id,
                    "name": s.buddy.display_name,
                    "score": s.score,
                    "free_places": s.remaining,
                    "reasons": {
                        "languages": s.shared_languages,
                        "same_area": s.same_area,
                        "availability": s.shared_availability,
                        "interests": s.shared_interests,
                    },
                }
                for s in found
            ]

    found = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"suggestions": found})
    else:
        for s in found:
            typer.echo(f"{s['buddy_id']}  {s['name'] or ''}  score {s['score']}  free places {s['free_places']}")
            typer.echo(f"    {reasons(s['reasons'])}")


ANOTHER_LANGUAGE = "another language"  # the spoken-languages choice ``other``


def reasons(why: dict[str, Any]) -> str:
    """What a buddy has in common with the participant, in one line of English: "languages: Arabic, French;
    same area: Gent; both free: mornings; interests: cooking", or "nothing in common"."""
    parts = []
    if why["languages"]:
        named = (ANOTHER_LANGUAGE if code == "other" else i18n.language_name(code, "en") for code in why["languages"])
        parts.append("languages: " + ", ".join(named))
    if why["same_area"]:
        parts.append(f"same area: {why['same_area']}")
    if why["availability"]:
        parts.append("both free: " + ", ".join(why["availability"]))
    if why["interests"]:
        parts.append("interests: " + ", ".join(why["interests"]))
    return "; ".join(parts) or "nothing in common"


@match_cli.command("end")
def match_end(
    match: int = typer.Option(..., "--match", help="The match's id."),
    coach: int = typer.Option(..., "--coach", help="The coach ending it."),
    as_json: bool = JsonOption,
) -> None:
    """End a match; both get a kind closing message."""
    settings = settings_or_fail(as_json)

    async def work(db: Database, engine: ConversationService) -> dict[str, Any]:
        async with db.transaction() as session:
            ended = await matching.end_by_coach(session, engine, coach, match, SystemClock().now())
            return {"id": ended.id, "status": ended.status.value}

    result = run_with_engine(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"match {result['id']} ended")
