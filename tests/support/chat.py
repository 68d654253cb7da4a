"""What she types through `trampoline chat`: onboarding and the weekly check-in as numbers, and her check-in command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.harness import conversations

FLOWS, CATALOGS = conversations()


def checkin_word(locale: str) -> str:
    source = next(c.words for c in FLOWS.commands if c.name == "checkin")
    return CATALOGS.translations(locale).pgettext("command", source).split("|")[0]


ONBOARDING = [
    "1",  # her phone's language, offered first
    "1",  # consent: yes
    "{name}",
    "2",  # 25-40
    "1",  # children: yes
    "2",  # childcare: no
    "1",  # raising them alone: yes
    "2",  # primary school
    "2",  # never had a paid job
    "1 10",  # speaks Arabic and Dutch
    "2",  # a little Dutch or French
    "1 3",  # cooking, caring for people
    "1",  # mornings
    "3",  # Wednesday
    "1",  # morning
    "1",  # quiet 21:00-08:00
]


CHECKIN = ["4", "2 3", "5", "1", "{note}", "2"]  # a job step: "My CV is ready" (her steps)


def piped_chat(workdir: Path, *args: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    """`trampoline chat ARGS` run in ``workdir`` with ``lines`` piped in, one answer a line."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**os.environ},
        timeout=120,
    )
