"""Every setting of the service, read from the environment (and an optional ``.env`` file), checked at start.

A bad value stops the program with one line that names the setting and what is wrong with it (see
``describe_error``); the value itself is never repeated, because it may be a secret. ``docs/configuration.md``
documents each setting; keep the two in step.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.core.i18n import DEFAULT_LOCALE, normalise_locale
from bot.core.timing import validate_timezone

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TELEGRAM_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
TELEGRAM_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TELEGRAM_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def default_database_url() -> str:
    """The embedded default: a SQLite file ``var/trampoline.db`` under the working directory."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'var' / 'trampoline.db'}"


class SettingsError(Exception):
    """A setting has a bad value; the message is one line that names the setting."""


class Settings(BaseSettings):
    """The effective configuration. Attribute names are short; the environment names are the aliases."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    database_url: str = Field(default_factory=default_database_url, validation_alias="TRAMPOLINE_DATABASE_URL")
    host: str = Field(default="127.0.0.1", validation_alias="TRAMPOLINE_HOST")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="TRAMPOLINE_PORT")
    public_url: str | None = Field(default=None, validation_alias="TRAMPOLINE_PUBLIC_URL")
    timezone: str = Field(default="Europe/Brussels", validation_alias="TRAMPOLINE_TIMEZONE")
    default_locale: str = Field(default=DEFAULT_LOCALE, validation_alias="TRAMPOLINE_DEFAULT_LOCALE")
    encryption_keys: SecretStr | None = Field(default=None, validation_alias="TRAMPOLINE_ENCRYPTION_KEYS")
    invite_valid_days: int = Field(default=30, ge=1, le=365, validation_alias="TRAMPOLINE_INVITE_VALID_DAYS")
    log_level: str = Field(default="INFO", validation_alias="TRAMPOLINE_LOG_LEVEL")
    # None: on with the embedded default (SQLite, no platform token), off otherwise.
    simulator: bool | None = Field(default=None, validation_alias="TRAMPOLINE_SIMULATOR")
    checkin_reminder_hours: int = Field(default=24, ge=1, le=72, validation_alias="TRAMPOLINE_CHECKIN_REMINDER_HOURS")
    max_nudges_per_day: int = Field(default=3, ge=1, le=20, validation_alias="TRAMPOLINE_MAX_NUDGES_PER_DAY")
    max_send_attempts: int = Field(default=5, ge=1, le=20, validation_alias="TRAMPOLINE_MAX_SEND_ATTEMPTS")
    rate_telegram: float = Field(default=30.0, gt=0, le=1000, validation_alias="TRAMPOLINE_RATE_TELEGRAM")
    rate_telegram_per_chat: float = Field(
        default=1.0, gt=0, le=100, validation_alias="TRAMPOLINE_RATE_TELEGRAM_PER_CHAT"
    )
    rate_whatsapp: float = Field(default=80.0, gt=0, le=1000, validation_alias="TRAMPOLINE_RATE_WHATSAPP")
    retention_messages_days: int = Field(
        default=90, ge=1, le=3650, validation_alias="TRAMPOLINE_RETENTION_MESSAGES_DAYS"
    )
    retention_inactive_months: int = Field(
        default=24, ge=1, le=240, validation_alias="TRAMPOLINE_RETENTION_INACTIVE_MONTHS"
    )
    log_format: str = Field(default="text", validation_alias="TRAMPOLINE_LOG_FORMAT")

    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_bot_username: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_USERNAME")
    telegram_api_base_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_secret: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET")

    whatsapp_phone_number_id: str | None = Field(default=None, validation_alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_phone_number: str | None = Field(default=None, validation_alias="WHATSAPP_PHONE_NUMBER")
    whatsapp_access_token: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_app_secret: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_api_base_url: str = Field(default="https://graph.facebook.com", validation_alias="WHATSAPP_API_BASE_URL")

    # -- single values ------------------------------------------------------------------------------------

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; use sqlite:///PATH or postgresql://USER@HOST/DB") from None
        backend = url.get_backend_name()
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise ValueError("an in-memory SQLite database would lose everything; give a file path")
            url = url.set(drivername="sqlite+aiosqlite")
        elif backend in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+asyncpg")
        else:
            raise ValueError(f"unsupported database {backend!r}; use sqlite:///PATH or postgresql://USER@HOST/DB")
        return url.render_as_string(hide_password=False)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value):
            raise ValueError("must be a host name or IP address")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host:
            raise ValueError("must be the service's public address, like https://bot.example.org")
        if parts.scheme == "http" and host not in LOCAL_HOSTS:
            raise ValueError("must use https (the platforms only deliver webhooks over HTTPS)")
        return value.strip().rstrip("/")

    @field_validator("telegram_api_base_url", "whatsapp_api_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        return value.strip().rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return validate_timezone(value)

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        return normalise_locale(value)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        shape = value.strip().lower()
        if shape not in ("text", "json"):
            raise ValueError("must be text or json")
        return shape

    @field_validator("encryption_keys")
    @classmethod
    def _encryption_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        if not keys:
            raise ValueError("must hold at least one key")
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                    "make one with: trampoline keys generate"
                ) from None
        return SecretStr(",".join(keys))

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TELEGRAM_TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a BotFather token (digits, a colon, then the secret)")
        return value

    @field_validator("telegram_bot_username")
    @classmethod
    def _telegram_username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().removeprefix("@")
        if not TELEGRAM_USERNAME_RE.match(name):
            raise ValueError("must be the bot's @username from BotFather")
        return name

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TELEGRAM_SECRET_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("whatsapp_phone_number_id")
    @classmethod
    def _phone_number_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError("must be the numeric phone number ID from the Meta app dashboard")
        return None if value is None else value.strip()

    @field_validator("whatsapp_phone_number")
    @classmethod
    def _phone_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s()+-]", "", value)
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise ValueError("must be the business number in international form, like +32 470 12 34 56")
        return digits

    # -- combinations ---------------------------------------------------------------------------------------

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> Settings:
        parts = {
            "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
            "WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
        }
        given = [name for name, v in parts.items() if v is not None]
        missing = [name for name, v in parts.items() if v is None]
        if given and missing:
            # Without the app secret pywa would silently skip webhook signature checks: refuse instead.
            raise ValueError(f"WhatsApp is half configured: {', '.join(missing)} missing")
        return self

    # -- derived facts --------------------------------------------------------------------------------------

    @property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.database.database or "") if self.is_sqlite else None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_phone_number_id is not None

    @property
    def simulator_enabled(self) -> bool:
        """The web simulator at /simulator (and its adjustable clock): ``TRAMPOLINE_SIMULATOR``, or by default
        on only for the embedded default, a SQLite database with no platform configured."""
        if self.simulator is not None:
            return self.simulator
        return self.is_sqlite and not self.telegram_enabled and not self.whatsapp_enabled

    @property
    def telegram_mode(self) -> str | None:
        if not self.telegram_enabled:
            return None
        return "webhook" if self.public_url else "polling"

    def configured_channels(self) -> list[str]:
        """Names of the channels this configuration turns on; the simulator when no platform is set."""
        channels = [
            name for name, on in (("telegram", self.telegram_enabled), ("whatsapp", self.whatsapp_enabled)) if on
        ]
        return channels or ["simulator"]

    def effective(self) -> dict[str, Any]:
        """Every setting by its environment name, secrets masked, for ``trampoline config``."""
        shown: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            env_name = str(field.validation_alias)
            if isinstance(value, SecretStr):
                shown[env_name] = "********"
            elif name == "database_url":
                shown[env_name] = make_url(value).render_as_string(hide_password=True)
            else:
                shown[env_name] = value
        return shown


def describe_error(exc: ValidationError) -> str:
    """One line naming each bad setting and what is wrong, without repeating the (maybe secret) value."""
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        name = ".".join(str(part) for part in error["loc"])
        problems.append(f"{name}: {message}" if name else message)
    return "; ".join(problems)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise ``SettingsError`` with one line when a value is bad."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None
