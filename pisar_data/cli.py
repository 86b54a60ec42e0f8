"""The `pisar` console script.

Each part declares its subcommands in the ``pisar.commands`` entry-point group of pyproject.toml
(``name = "module:function"``); a command function takes the remaining argv and returns an exit
status. A command is imported only when it runs, so ``pisar --help`` imports no ML library.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

from pisar_data.errors import UserError

GROUP = "pisar.commands"


def _commands() -> dict:
    return {ep.name: ep for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name)}


def _usage(commands: dict) -> str:
    lines = ["usage: pisar COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name}" for name in commands]
    lines += ["", "Run `pisar COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _commands()
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(commands))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in commands:
        print(f"pisar: error: unknown command {name!r}; expected one of {', '.join(commands)}", file=sys.stderr)
        return 2
    command = commands[name].load()
    try:
        return int(command(rest) or 0)
    except UserError as error:
        print(f"pisar {name}: error: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print(f"pisar {name}: interrupted; everything already written is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
