"""Keys are never made on the way (issue 18, point 9; decision 0019): only a new database gets its first key,
at ``db upgrade`` (or ``run``/``chat``, which migrate it), or an operator asks for one with ``keys generate
--write``. A read-only command, or the service on a database whose key is missing, refuses in one line that
says where the key was expected, instead of making a new key that cannot read her notes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from bot.cli.main import cli
from tests.support.service import free_port


def trampoline(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"TRAMPOLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'trampoline.db'}"}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_of_a_new_database_makes_its_first_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    code, out, err = trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    assert code == 0, err
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    Fernet(key_file.read_text().strip().encode())  # a real key
    assert f"created an encryption key in {key_file}" in out
    assert "Traceback" not in out + err


def test_a_read_only_export_without_the_key_refuses_and_makes_no_key(tmp_path: Path) -> None:
    trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    key_file.unlink()
    code, out, err = trampoline(tmp_path, "export", "--person", "1")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("error: TRAMPOLINE_ENCRYPTION_KEYS: no encryption key: expected in ")
    assert str(key_file) in line
    assert not key_file.exists()
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    "args",
    [
        ("forget", "--person", "1", "--yes", "--json"),
        ("retention", "--json"),
        ("match", "propose", "--participant", "1", "--buddy", "2", "--json"),
    ],
)
def test_a_command_that_tells_people_something_without_the_key_refuses_in_json_too(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    key_file.unlink()
    code, out, err = trampoline(tmp_path, *args)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("error: TRAMPOLINE_ENCRYPTION_KEYS: no encryption key: expected in ")
    assert json.loads(out) == {"error": line.removeprefix("error: ")}
    assert not key_file.exists()


def test_upgrading_an_existing_database_whose_key_is_missing_makes_no_new_key(tmp_path: Path) -> None:
    trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    key_file.unlink()
    code, _, err = trampoline(tmp_path, "db", "upgrade")
    assert code == 0, err
    assert not key_file.exists()


def test_the_service_on_a_database_without_its_key_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    key_file.unlink()
    env = {**os.environ, "TRAMPOLINE_PORT": str(free_port()), "TRAMPOLINE_HOST": "127.0.0.1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: TRAMPOLINE_ENCRYPTION_KEYS: no encryption key: expected in ")
    assert str(key_file) in line
    assert not key_file.exists()


def test_keys_generate_write_makes_the_first_key_and_never_replaces_one(tmp_path: Path) -> None:
    trampoline(tmp_path, "db", "upgrade")
    key_file = tmp_path / "var" / "encryption.key"
    key_file.unlink()
    code, out, err = trampoline(tmp_path, "keys", "generate", "--write")
    assert code == 0, err
    assert str(key_file) in out and key_file.exists()
    first = key_file.read_text()
    code, _, err = trampoline(tmp_path, "keys", "generate", "--write")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "already holds a key" in line
    assert key_file.read_text() == first
    code, out, _ = trampoline(tmp_path, "keys", "generate")  # printing only: for TRAMPOLINE_ENCRYPTION_KEYS
    assert code == 0 and Fernet(out.strip().encode())
