"""The `trampoline` command run in-process, the way a shell would."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from bot.cli.main import cli


class Trampoline:
    """Runs ``trampoline ...`` in-process against one database, the way a shell would."""

    def __init__(self, database_url: str) -> None:
        self.env = {"TRAMPOLINE_DATABASE_URL": database_url}
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, **env: str) -> Any:
        result = self.runner.invoke(cli, list(args), env={**self.env, **env})
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    def json(self, *args: str, code: int = 0, **env: str) -> Any:
        result = self(*args, "--json", code=code, **env)
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1, result.stdout  # exactly one JSON object
        value = json.loads(lines[0])
        assert isinstance(value, dict)
        return value

    def error(self, *args: str, **env: str) -> str:
        result = self(*args, code=1, **env)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        assert "Traceback" not in result.output
        return lines[0].removeprefix("error: ")
