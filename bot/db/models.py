"""The tables. The database is the source of truth: conversation position, answers, schedules, outbox and
consent all live here, so a restart or a second worker loses and duplicates nothing.

Times are UTC (``UTCDateTime``) and are always set from the injected clock, never by a database default, so
tests that move the clock see consistent rows. Later issues extend these tables through Alembic migrations;
``tests/db/test_migrations.py`` fails when the models and the migrations disagree.

One module over 400 lines on purpose (issue 19): it is the schema, read as a whole by Alembic and by anyone
who writes a migration; its classes hold columns, not logic.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.core.channel import Channel
from bot.db.sealing import SealedJSON
from bot.db.types import BigIntId, UTCDateTime, str_enum

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}  # noqa: RUF012


# How texts about a coach or buddy speak of her (``Person.grammatical_gender``); null: neutral wording.
GENDERS = ("feminine", "masculine")
GENDER_CHOICES = (*GENDERS, "neutral")


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    BUDDY = "buddy"
    COACH = "coach"
    ADMIN = "admin"


class PersonStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class ConsentKind(enum.StrEnum):
    DATA_PROCESSING = "data_processing"  # storing and using her answers for the programme
    MESSAGING = "messaging"  # being messaged by the bot (withdrawn by "stop")
    SHARE_CONTACT = "share_contact"  # sharing contact details with a buddy match


class ConversationStatus(enum.StrEnum):
    ACTIVE = "active"
    WAITING = "waiting"  # queued behind another open conversation
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"


class MatchStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    EXPIRED = "expired"
    ENDED = "ended"


class ShiftStatus(enum.StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class TrajectoryStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    LEFT = "left"  # left early, with ``Trajectory.left_reason``


class MilestoneSource(enum.StrEnum):
    """Who recorded a milestone."""

    HER = "her"
    COACH = "coach"
    IMPORT = "import"
    BOT = "bot"  # from what the bot recorded itself (her first attended shift)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str | None] = mapped_column(String(100))
    default_locale: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # Double opt-in order for buddy matches: False asks the participant first, True the buddy.
    buddy_asked_first: Mapped[bool] = mapped_column(default=False, server_default=false())
    # How long a participant's trajectory is planned to last, from her start (issue 21: one year).
    trajectory_months: Mapped[int] = mapped_column(SmallInteger, default=12, server_default="12")

    people: Mapped[list[Person]] = relationship(back_populates="organisation")


class Person(Base):
    """A participant, buddy, coach or admin. Quiet hours and check-in time are in her own time zone."""

    __tablename__ = "people"
    __table_args__ = (
        Index("ix_people_organisation_role", "organisation_id", "role"),
        CheckConstraint("checkin_weekday BETWEEN 0 AND 6", name="checkin_weekday_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    display_name: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[PersonStatus] = mapped_column(str_enum(PersonStatus, "status"))
    paused_until: Mapped[datetime | None]
    quiet_start: Mapped[time] = mapped_column(Time)
    quiet_end: Mapped[time] = mapped_column(Time)
    # 0 = Monday, as Python's weekday(); both null until she chooses.
    checkin_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    checkin_time: Mapped[time | None] = mapped_column(Time)
    # How texts about a coach or buddy speak of her: "feminine", "masculine", "neutral"; null: not asked yet
    # (texts then use the neutral wording).
    grammatical_gender: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship(back_populates="people")
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="person")


class Profile(Base):
    """What a participant chose to tell in the onboarding intake. Every field may stay unknown (null):
    each intake question can be skipped. These fields feed the programme figures, never with names."""

    __tablename__ = "profiles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    age_group: Mapped[str | None] = mapped_column(String(16))
    has_children: Mapped[bool | None]
    needs_childcare: Mapped[bool | None]
    single_parent: Mapped[bool | None]
    schooling: Mapped[str | None] = mapped_column(String(16))
    ever_paid_job: Mapped[bool | None]
    languages: Mapped[list[Any]] = mapped_column(default=list)
    local_language_level: Mapped[str | None] = mapped_column(String(16))
    interests: Mapped[list[Any]] = mapped_column(default=list)
    availability: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime]


class ChannelIdentity(Base):
    """Who a platform account belongs to. ``last_inbound_at`` opens WhatsApp's 24-hour window."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    external_id: Mapped[str] = mapped_column(String(64))
    last_inbound_at: Mapped[datetime | None]
    # Set when the platform says the person blocked the bot: nothing more is sent to this identity.
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="identities")


class Invite(Base):
    """A single-use, unguessable code that links a pending person to the platform account that uses it."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]  # taken back (``trampoline invite revoke``): the code no longer works


class CaseloadEntry(Base):
    """A coach's responsibility for a participant. Every coach query joins through this table."""

    __tablename__ = "caseload"
    __table_args__ = (UniqueConstraint("coach_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ConsentRecord(Base):
    """One grant or withdrawal, as evidence: which text (version), when, and through which channel."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(str_enum(ConsentKind, "kind"))
    granted: Mapped[bool]
    version: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    recorded_at: Mapped[datetime]


class Conversation(Base):
    """Where a person is in a flow. The interpreter's whole state is here, never only in memory."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[int | None]  # the flow's version when it started (null: 1); see Flow.step_now
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[ConversationStatus] = mapped_column(str_enum(ConversationStatus, "status"))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class InboundEvent(Base):
    """A platform update that has been processed; the unique key makes a redelivery a no-op.

    No message text is kept here: only what is needed to drop repeats.
    """

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    # processed, or failed (the event raised; it is kept so a redelivery does not loop on it).
    outcome: Mapped[str] = mapped_column(String(16), default="processed")


class OutboxMessage(Base):
    """A message waiting to be sent, or the record of one that was. Only the dispatcher sends these."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # Unique and known before the insert: the sentinel that lets SQLite insert many rows in one statement.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, insert_sentinel=True)
    # Null only for a short answer to a stranger (someone without a valid invite): then the platform's id
    # of the sender is in ``recipient``.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id", ondelete="SET NULL"))
    recipient: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    kind: Mapped[str] = mapped_column(String(32))  # reply, nudge, alert, summary, ...
    priority: Mapped[int] = mapped_column(SmallInteger)  # lower goes first: replies before bulk
    # Free text sealed at rest and reduced to the clear routing keys after sending (bot.db.sealing).
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON())
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "status"))
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A nudge that is no longer useful after this moment (a shift reminder once the shift started) is
    # dropped, with the reason recorded, instead of being sent late.
    stale_after: Mapped[datetime | None]
    # Set just before the platform is called: a claim that expires after this may have been delivered,
    # so it is not sent again; one that expires before it is simply claimed again.
    send_started_at: Mapped[datetime | None]
    # Why it was deferred, skipped or retried: [{"at": ISO time, "event": ..., "reason": ...}, ...]
    history: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NudgeStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class Nudge(Base):
    """Something the bot will start at a moment: a check-in invitation, its reminder, a shift reminder.

    The schedule lives here, not in APScheduler: the planner inserts rows with unique keys (so planning twice
    plans once), and the runner starts what has come due, records what it skipped and why.
    """

    __tablename__ = "nudges"
    __table_args__ = (Index("ix_nudges_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # checkin, checkin_reminder, ...
    due_at: Mapped[datetime]
    status: Mapped[NudgeStatus] = mapped_column(str_enum(NudgeStatus, "status"))
    reason: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class CheckIn(Base):
    """One check-in. ``week`` is the ISO week in her time zone, like ``2026-W48``. She may check in more than
    once a week: each check-in is its own record, nothing she sent is replaced (decision 0015)."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_person_id_week", "person_id", "week"),
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    mood: Mapped[int | None] = mapped_column(SmallInteger)
    steps: Mapped[list[Any]] = mapped_column(default=list)
    obstacles: Mapped[list[Any]] = mapped_column(default=list)
    wants_contact: Mapped[bool] = mapped_column(default=False)
    # Her note for the coach, encrypted (bot/core/crypto.py): typed text, or a voice/photo reference.
    note_ciphertext: Mapped[str | None] = mapped_column(Text)
    note_kind: Mapped[str | None] = mapped_column(String(16))  # text, voice, audio, photo
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class BuddyMatch(Base):
    """A proposed or active pairing of a participant with a buddy (double opt-in)."""

    __tablename__ = "buddy_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    buddy_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus, "status"))
    proposed_at: Mapped[datetime]
    participant_accepted_at: Mapped[datetime | None]
    buddy_accepted_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(64))
    buddy_first: Mapped[bool] = mapped_column(default=False, server_default=false())  # who is asked first
    meeting_at: Mapped[datetime | None]  # the next meeting the pair agreed on
    meetings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # meetings both confirmed


class BuddyProfile(Base):
    """What a buddy offers besides her intake profile (languages, interests and availability are in
    ``profiles``): where she lives and how many participants she can take on at once."""

    __tablename__ = "buddy_profiles"
    __table_args__ = (CheckConstraint("capacity BETWEEN 0 AND 20", name="capacity_range"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(SmallInteger, default=1)
    updated_at: Mapped[datetime]


class VolunteerShift(Base):
    """One shift at a volunteer placement, with what happened (attended, no-show, cancelled and why)."""

    __tablename__ = "volunteer_shifts"
    __table_args__ = (
        Index("ix_volunteer_shifts_participant_starts", "participant_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    place: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus, "status"))
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    feedback: Mapped[str | None] = mapped_column(String(16))  # how it went: good, okay, hard
    # Her optional note after the shift, encrypted (bot/core/crypto.py).
    note_ciphertext: Mapped[str | None] = mapped_column(Text)


class Trajectory(Base):
    """Her year in the programme: when it began (onboarding, import or set by her coach), when it is planned to
    end, and how it ended. One per participant."""

    __tablename__ = "trajectories"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    started_on: Mapped[date] = mapped_column(Date)
    planned_end_on: Mapped[date] = mapped_column(Date)
    status: Mapped[TrajectoryStatus] = mapped_column(str_enum(TrajectoryStatus, "status"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(String(32))  # a code of bot/coaching/milestones.py
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Milestone(Base):
    """One step on her path from volunteering to work (``code``: bot/coaching/milestones.py), on a day, with
    who recorded it; hours only for volunteer hours, a level for a language course, a contract kind for a paid
    job. Her or her coach's short note is encrypted."""

    __tablename__ = "milestones"
    __table_args__ = (
        Index("ix_milestones_participant_on", "participant_id", "achieved_on"),
        CheckConstraint("minutes IS NULL OR minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    achieved_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int | None] = mapped_column(Integer)  # volunteer hours she or her coach reports
    level: Mapped[str | None] = mapped_column(String(8))  # a language course's level (A1 ... C2)
    contract: Mapped[str | None] = mapped_column(String(32))  # a paid job's contract kind
    source: Mapped[MilestoneSource] = mapped_column(str_enum(MilestoneSource, "source"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    note_ciphertext: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class YearAnswer(Base):
    """Her own view of her year (issue 21 §7, lesson 8): the feedback in the last month of her trajectory
    (``kind`` feedback: what helped, what was hard, would she recommend it, her own words) and, three months
    after the end, how she is now (``kind`` after). Codes from fixed lists; her words encrypted."""

    __tablename__ = "year_answers"
    __table_args__ = (UniqueConstraint("participant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # feedback, after
    helped: Mapped[list[Any]] = mapped_column(default=list)
    hard: Mapped[list[Any]] = mapped_column(default=list)
    recommend: Mapped[str | None] = mapped_column(String(8))  # yes, maybe, no
    now_doing: Mapped[str | None] = mapped_column(String(16))  # work, training, volunteering, none
    words_ciphertext: Mapped[str | None] = mapped_column(Text)  # her text, or a voice note's reference
    words_kind: Mapped[str | None] = mapped_column(String(16))  # text, voice, audio
    created_at: Mapped[datetime]


class Alert(Base):
    """Something a coach must see: she asked to be contacted, needs help, can't come to a shift."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # contact_request, stuck, need_help, cant_come, ...
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what to whose data, and when: coach reads of a participant, admin actions, erasures."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ServiceSetting(Base):
    """A value the service makes for itself and must keep across restarts and share between workers,
    such as the generated Telegram webhook secret. Not for anything a person said."""

    __tablename__ = "service_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AnonymousCount(Base):
    """What the programme report still needs of people who were erased: counts per organisation and month
    (``2026-11``), never an id, a name or a finer date. ``metric`` is an intake field (``age_group``), or
    ``erased``, ``checkins``, ``steps``; ``value`` the answer counted (empty when the metric is a total)."""

    __tablename__ = "anonymous_counts"
    __table_args__ = (UniqueConstraint("organisation_id", "month", "role", "metric", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    role: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)


class ErasureRecord(Base):
    """That someone's data was erased, and why (her request, retention, an administrator): without any
    identifier, so it proves the erasure without undoing it."""

    __tablename__ = "erasure_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    month: Mapped[str] = mapped_column(String(7))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16))  # request, retention, admin


class CoachSetting(Base):
    """A coach's own choices: when her weekly summary comes (in her time zone), and whether alerts wait for
    the end of her quiet hours. No row means the defaults (Friday 15:00, alerts at once)."""

    __tablename__ = "coach_settings"
    __table_args__ = (CheckConstraint("summary_weekday BETWEEN 0 AND 6", name="summary_weekday_range"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    summary_weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    summary_time: Mapped[time] = mapped_column(Time)
    alerts_respect_quiet_hours: Mapped[bool]
    updated_at: Mapped[datetime]


def _never_reuse_ids() -> None:
    """On SQLite every table with an integer id gets ``AUTOINCREMENT`` (``sqlite_autoincrement``): an id
    is never given again, also not the id of someone erased, so "person 7" in an old log or audit line
    cannot later mean someone else. Without it SQLite hands out the highest id again once that row is gone.
    PostgreSQL sequences never go back anyway. Set here, for every such table at once, rather than in each
    ``__table_args__`` (migration 0018 recreates the tables)."""
    for table in Base.metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and key[0].name == "id" and isinstance(key[0].type, Integer | BigInteger):
            table.dialect_options["sqlite"]["autoincrement"] = True


_never_reuse_ids()
