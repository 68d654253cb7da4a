"""What tests share lives in tests/support (and the platform emulators in tests/emulators): a test module
never imports from another test module or from a conftest, so moving or deleting one test never breaks
another (issue 19 §6)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
SHARED = ("tests.support", "tests.emulators")


def imports_of_other_tests(root: Path) -> list[str]:
    """``path: module`` for every import of a ``tests.`` module other than the shared ones, in every
    ``test_*.py`` under ``root``."""
    found = []
    for path in sorted(root.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.ImportFrom):
                modules = [f"(relative) {node.module or ''}"]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                own = module == "tests" or module.startswith(("tests.", "(relative)"))
                if own and not module.startswith(tuple(f"{s}." for s in SHARED) + SHARED):
                    found.append(f"{path.relative_to(root)}: {module}")
    return found


def test_no_test_module_imports_another_test_module() -> None:
    assert imports_of_other_tests(TESTS) == []


def test_the_check_finds_an_import_of_another_test_module(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("from tests.test_two import helper\nfrom tests.support.harness import Bot\n")
    (tmp_path / "test_three.py").write_text("import tests.conftest\nfrom .test_two import helper\n")
    assert imports_of_other_tests(tmp_path) == [
        "test_one.py: tests.test_two",
        "test_three.py: tests.conftest",
        "test_three.py: (relative) test_two",
    ]
