"""The `pisar` dispatcher: lazy subcommands, one-line errors, exit statuses."""

import subprocess
import sys

import pytest

from pisar_data import cli
from pisar_data.errors import UserError

HEAVY = ("torch", "transformers", "sentence_transformers", "datasets")


def test_help_lists_every_command_and_imports_no_heavy_library():
    code = (
        "import sys, contextlib, io\n"
        "from pisar_data import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: status = cli.main(['--help'])\n"
        "print(status, out.getvalue().split('commands:')[1].split())\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[0].startswith("0 ")
    for command in ("pull", "dedup", "build", "publish", "train", "predict", "bench"):
        assert f"'{command}'" in lines[0]
    assert lines[1] == "[]", f"`pisar --help` imported {lines[1]}"


def test_unknown_command_is_a_one_line_error(capsys):
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "unknown command 'frobnicate'" in err and "build" in err


def test_user_error_exits_2_with_one_line(monkeypatch, capsys):
    class FakeEntryPoint:
        name = "explode"

        def load(self):
            def command(argv):
                raise UserError("data/x.csv: column 'content'\n missing; expected a google-play-scraper dump")

            return command

    monkeypatch.setattr(cli, "_commands", lambda: {"explode": FakeEntryPoint()})
    assert cli.main(["explode"]) == 2
    err = capsys.readouterr().err
    assert err == "pisar explode: error: data/x.csv: column 'content' missing; expected a google-play-scraper dump\n"


def test_no_arguments_prints_usage_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: pisar COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["build", "pull", "dedup", "publish", "train", "predict", "bench"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out
