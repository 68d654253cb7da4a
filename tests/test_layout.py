"""The README's layout and docs/architecture.md name every folder of ``bot/`` (issue 19: a newcomer finds
where a behaviour lives from the folder names), and the layer contracts name every folder too."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def packages() -> set[str]:
    return {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def test_the_readme_layout_names_every_folder_of_bot() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :].split("\n## ", 1)[0]
    named = set(re.findall(r"^  (\w+)/", layout, re.MULTILINE))
    assert named == packages()


def test_the_architecture_page_describes_every_folder() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    paragraphs = "\n".join(line for line in page.splitlines() if line.startswith("**"))  # one per layer
    missing = {name for name in packages() if f"`{name}/`" not in paragraphs}
    assert not missing


def test_every_folder_is_a_layer_of_the_contracts() -> None:
    contracts = (ROOT / ".importlinter").read_text(encoding="utf-8")
    layers = contracts.split("layers =", 1)[1].split("exhaustive", 1)[0]
    named = set(re.findall(r"\w+", layers))
    assert packages() <= named
