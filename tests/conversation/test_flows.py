"""A broken flow fails at start with one line naming the file, the step and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import vocabulary
from bot.conversation.flow_loading import load_flows
from bot.conversation.flows import FlowError
from bot.core.paths import project_root

SHIPPED = project_root() / "conversations"


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    target = tmp_path / "conversations"
    shutil.copytree(SHIPPED, target)
    return target


def load(directory: Path) -> None:
    load_flows(directory, vocabulary(), {"languages": []})


def break_file(directory: Path, name: str, old: str, new: str) -> Path:
    path = directory / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_shipped_flows_load(flows_dir: Path) -> None:
    load(flows_dir)


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "checkin.yaml",
            "action: checkin.complete",
            "action: checkin.finish",
            "step 'complete': unknown action 'checkin.finish'",
        ),
        (
            "checkin.yaml",
            "goto: quiet_week",
            "goto: nowhere",
            "step 'how_it_went': goes to 'nowhere', which is not a step",
        ),
        (
            "checkin.yaml",
            "save: record.mood",
            "save: record.happiness",
            "step 'mood': a checkin has no field 'happiness'",
        ),
        (
            "onboarding.yaml",
            "save: profile.age_group",
            "save: profile.shoe_size",
            "step 'age_group': save to unknown profile field 'shoe_size'",
        ),
        (
            "checkin.yaml",
            'ask: multi\n    text: "Was',
            'ask: sometimes\n    text: "Was',
            "step 'obstacles': ask: Input should be",
        ),
        (
            "checkin.yaml",
            "  - id: contact\n    ask: yesno",
            "  - id: contact\n    ask: choice",
            "step 'contact': ask: choice needs choices",
        ),
        (
            "menu.yaml",
            'without_name: "Hello! What',
            'without_name: "Hello {nmae}! What',
            "step 'choose': unknown placeholder {nmae}",
        ),
        ("checkin.yaml", "- id: note", "- id: mood", "step id 'mood' is used twice"),
        (
            "menu.yaml",
            "start_flow: checkin",
            "start_flow: chekin",
            "step 'to_checkin': start_flow 'chekin' is not a flow",
        ),
        ("checkin.yaml", "expires_after: 3d", "expires_after: three days", "expires_after: use a number and a unit"),
        ("pause.yaml", "save: var.weeks", "save: weeks", "save must be profile.FIELD, record.FIELD or var.NAME"),
        (
            "checkin.yaml",
            'when: {answer: contact, equals: "yes"}',
            'when: {answer: contactt, equals: "yes"}',
            "condition on 'contactt', which is not a question",
        ),
        ("_commands.yaml", "flow: coach", "flow: coaching", "command 'coach': no flow 'coaching'"),
        ("_texts.yaml", '  skip: "Skip"\n', "", "missing texts: skip"),
        ("checkin.yaml", "exclusive: [none]", "exclusive: [nothing]", "exclusive value 'nothing' is not a choice"),
        (
            "checkin.yaml",
            "choices: moods\n",
            'choices: moods\n    exclusive: ["1"]\n',
            "step 'mood': exclusive belongs to a multiple choice (ask: multi)",
        ),
        (
            "coach_menu.yaml",
            'without_name: "Hello! What do you want to do?"\n',
            'without_name: "Hello! What do you want to do?"\n      about: coach\n',
            "step 'choose': a text addressed to a coach cannot also be about her coach",
        ),
    ],
)
def test_a_broken_flow_names_file_step_and_problem(
    flows_dir: Path, name: str, old: str, new: str, expected: str
) -> None:
    path = break_file(flows_dir, name, old, new)
    with pytest.raises(FlowError) as caught:
        load(flows_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_yaml_syntax_errors_name_the_line(flows_dir: Path) -> None:
    path = flows_dir / "help.yaml"
    path.write_text('flow: help\nsteps:\n  - id: explain\n    say: "unclosed\n')
    with pytest.raises(FlowError, match=r"help.yaml: line \d+"):
        load(flows_dir)


def test_a_flow_must_be_named_after_its_file(flows_dir: Path) -> None:
    break_file(flows_dir, "help.yaml", "flow: help", "flow: helpme")
    with pytest.raises(FlowError, match="must match the file name 'help'"):
        load(flows_dir)


def test_a_step_that_does_two_things_is_refused(flows_dir: Path) -> None:
    break_file(flows_dir, "help.yaml", "    end: true", "    action: person.stop\n    end: true")
    with pytest.raises(FlowError, match="step 'explain': a step does one thing"):
        load(flows_dir)


def test_flows_check_command_passes_on_the_shipped_flows() -> None:
    from typer.testing import CliRunner

    from bot.cli.main import cli

    result = CliRunner().invoke(cli, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "onboarding" in result.stdout and "checkin" in result.stdout
