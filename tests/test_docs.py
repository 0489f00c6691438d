"""Every command is documented: a new command without docs fails here."""

from pathlib import Path

import click

from faircat.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"


def command_paths(group: click.Group, prefix: str = "faircat") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths += command_paths(command, path)
        else:
            paths.append(path)
    return paths


def test_every_command_is_documented():
    doc = (DOCS / "cli.md").read_text()
    missing = [path for path in command_paths(main) if f"`{path}" not in doc]
    assert not missing, f"undocumented commands in docs/cli.md: {missing}"


def test_every_command_has_help():
    for path in command_paths(main):
        parts = path.split()[1:]
        command: click.Command = main
        for part in parts:
            command = command.commands[part]  # type: ignore[attr-defined]
        assert command.help, f"{path} has no help text"
