"""Settings: defaults, environment names, and one clear line for every bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.core.settings import Settings, SettingsError, load_settings

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"


def test_defaults_are_the_embedded_setup(clean_environment: Path) -> None:
    settings = load_settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{clean_environment / 'var' / 'trampoline.db'}"
    assert settings.is_sqlite
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.timezone == "Europe/Brussels"
    assert settings.public_url is None
    assert settings.configured_channels() == ["simulator"]


def test_values_come_from_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAMPOLINE_DATABASE_URL", "postgresql://bot:s3cret@db.local:5432/trampoline")
    monkeypatch.setenv("TRAMPOLINE_PORT", "9000")
    monkeypatch.setenv("TRAMPOLINE_TIMEZONE", "Asia/Kabul")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("TRAMPOLINE_PUBLIC_URL", "https://bot.example.org/")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://bot:s3cret@db.local:5432/trampoline"
    assert not settings.is_sqlite
    assert settings.port == 9000
    assert settings.timezone == "Asia/Kabul"
    assert settings.public_url == "https://bot.example.org"
    assert settings.telegram_mode == "webhook"
    assert settings.configured_channels() == ["telegram"]


def test_a_dotenv_file_in_the_working_directory_is_read(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("TRAMPOLINE_PORT=8181\nTRAMPOLINE_LOG_LEVEL=debug\n")
    settings = load_settings()
    assert settings.port == 8181
    assert settings.log_level == "DEBUG"


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("TRAMPOLINE_PORT", "")
    settings = load_settings()
    assert not settings.telegram_enabled
    assert settings.port == 8080


def test_telegram_without_public_url_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    assert load_settings().telegram_mode == "polling"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRAMPOLINE_PORT", "abc"),
        ("TRAMPOLINE_PORT", "0"),
        ("TRAMPOLINE_PORT", "70000"),
        ("TRAMPOLINE_HOST", "local host"),
        ("TRAMPOLINE_TIMEZONE", "Mars/Olympus_Mons"),
        ("TRAMPOLINE_DATABASE_URL", "mysql://root@localhost/db"),
        ("TRAMPOLINE_DATABASE_URL", "not a url"),
        ("TRAMPOLINE_DATABASE_URL", "sqlite://"),
        ("TRAMPOLINE_DATABASE_URL", "sqlite:///:memory:"),
        ("TRAMPOLINE_PUBLIC_URL", "http://bot.example.org"),
        ("TRAMPOLINE_PUBLIC_URL", "bot.example.org"),
        ("TRAMPOLINE_DEFAULT_LOCALE", "xx"),
        ("TRAMPOLINE_LOG_LEVEL", "LOUD"),
        ("TRAMPOLINE_INVITE_VALID_DAYS", "0"),
        ("TRAMPOLINE_ENCRYPTION_KEYS", "not-a-fernet-key-SECRETVALUE"),
        ("TELEGRAM_BOT_TOKEN", "SECRETVALUE"),
        ("TELEGRAM_BOT_USERNAME", "@x"),
        ("TELEGRAM_WEBHOOK_SECRET", "SECRET VALUE with spaces"),
        ("TELEGRAM_API_BASE_URL", "ftp://files.example.org"),
        ("WHATSAPP_PHONE_NUMBER", "call me"),
    ],
)
def test_a_bad_value_gives_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    assert "SECRETVALUE" not in message.replace(" ", "")  # a secret's value is never echoed


def test_half_configured_whatsapp_is_refused_naming_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "1234567890")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify")
    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET missing"):
        load_settings()


def test_several_fernet_keys_are_accepted_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    monkeypatch.setenv("TRAMPOLINE_ENCRYPTION_KEYS", f" {keys[0]} , {keys[1]} ")
    settings = load_settings()
    assert settings.encryption_keys is not None
    assert settings.encryption_keys.get_secret_value() == ",".join(keys)


def test_effective_configuration_masks_secrets_and_passwords() -> None:
    settings = Settings(
        database_url="postgresql://bot:hunter2@db/trampoline",
        telegram_bot_token=GOOD_TOKEN,
        whatsapp_phone_number_id="123",
        whatsapp_access_token="wa-token-value",
        whatsapp_app_secret="wa-app-secret",
        whatsapp_verify_token="wa-verify",
    )
    shown = settings.effective()
    text = repr(shown)
    for secret in ("hunter2", GOOD_TOKEN, "wa-token-value", "wa-app-secret", "wa-verify"):
        assert secret not in text
    assert shown["TELEGRAM_BOT_TOKEN"] == "********"
    assert shown["TRAMPOLINE_DATABASE_URL"] == "postgresql+asyncpg://bot:***@db/trampoline"
    assert shown["TRAMPOLINE_ENCRYPTION_KEYS"] is None


def test_the_command_line_reports_a_bad_setting_without_a_traceback(clean_environment: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TRAMPOLINE_TIMEZONE": "Europe/Atlantis"}
    done = subprocess.run([sys.executable, "-m", "bot", "config"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: TRAMPOLINE_TIMEZONE: unknown time zone 'Europe/Atlantis'; use an IANA name such as Europe/Brussels"
    ]
