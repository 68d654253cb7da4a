"""The README's first steps run as written (issue 20, point 7): in a fresh directory with a fresh SQLite
database, after `trampoline db upgrade` and a demo chat piped in ("Try it in the terminal"), every line of the
``sh`` blocks of "First steps after `make run`" runs in a shell, unchanged, and exits 0; what a line's comment
promises (``# -> organisation 1``, ``# -> person 1``) is what it prints. `make run` itself (`db upgrade`, then
`run`) is covered by tests/test_run.py."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from bot.core.paths import project_root
from tests.support.chat import ONBOARDING

ROOT = project_root()
PROMISE = re.compile(r"#\s*->\s*(organisation|person) (\d+)")


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def commands(title: str) -> list[str]:
    """Every line of the ``sh`` blocks of one README section, as written."""
    blocks = re.findall(r"```sh\n(.*?)```", section(title), flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def shell(workdir: Path, line: str, given: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{workdir / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "TRAMPOLINE_DATABASE_URL": f"sqlite:///{workdir / 'var' / 'trampoline.db'}",
    }
    return subprocess.run(
        ["bash", "-c", line],
        input=given,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environment,
        timeout=120,
    )


def test_the_readme_lines_are_found() -> None:
    assert any("trampoline chat" in line for line in commands("Try it in the terminal"))
    first = commands("First steps after `make run`")
    assert [line.split()[1] for line in first[:2]] == ["org", "invite"]
    assert any(line.startswith("trampoline summary") for line in first)
    assert any(line.startswith("trampoline report") for line in first)


def test_the_first_steps_run_as_written_after_a_demo_chat(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")  # `.venv/bin/trampoline`, as in a checkout
    upgraded = shell(tmp_path, "trampoline db upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    answers = "\n".join(line.format(name="Amina") for line in ONBOARDING[:4]) + "\n"
    for line in commands("Try it in the terminal"):
        done = shell(tmp_path, line, given=answers)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
    for line in commands("First steps after `make run`"):
        done = shell(tmp_path, line)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        for kind, number in PROMISE.findall(line):
            assert f"{kind} {number} " in done.stdout, f"{line}\n{done.stdout}"
