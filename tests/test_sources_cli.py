"""`pisar pull` through the dispatcher: imports, help, and bad inputs (exit 2, one line, snapshot untouched)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pisar_data.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _state(raw: Path) -> dict[str, str]:
    return {p.relative_to(raw).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(raw.rglob("*")) if p.is_file()}


@pytest.fixture
def raw(tmp_path) -> Path:
    raw = tmp_path / "raw"
    assert (
        main(["pull", "google-play", "--from-file", str(FIXTURES / "gp_reviews_bom.csv"), "--app", "com.example.tasks", "--raw", str(raw)])
        == 0
    )
    return raw


def test_import_prints_a_summary_and_reimport_adds_nothing(raw, capsys):
    capsys.readouterr()
    assert (
        main(["pull", "google-play", "--from-file", str(FIXTURES / "gp_reviews_bom.csv"), "--app", "com.example.tasks", "--raw", str(raw)])
        == 0
    )
    assert "reviews: +0 (total 3)" in capsys.readouterr().out


def _truncated_mid_row(tmp_path: Path) -> Path:
    lines = (FIXTURES / "gp_reviews_index_noversion.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(lines[:-1] + [lines[-1][:60]]) + "\n", encoding="utf-8")  # the last row lost its tail
    return path


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["google-play", "--from-file", str(FIXTURES / "gp_reviews_truncated.csv"), "--app", "com.x"],
            "gp_reviews_truncated.csv: the last row (line 2) ends inside a quoted field; the file looks truncated",
        ),
        (["google-play", "--from-file", "CUT", "--app", "com.x"], "cut.csv: the last row (line 4) has 4 of 11 fields; the file looks truncated"),
        (
            ["google-play", "--from-file", str(FIXTURES / "gp_wrong_columns.csv"), "--app", "com.x"],
            "gp_wrong_columns.csv: missing column(s) reviewId, content, score, at",
        ),
        (
            ["app-store", "--from-file", str(FIXTURES / "gp_wrong_columns.csv"), "--app-id", "1"],
            "gp_wrong_columns.csv: missing column(s) date, review",
        ),
        (["google-play", "--from-file", str(FIXTURES / "empty.csv"), "--app", "com.x"], "empty.csv: the file is empty"),
        (["pew-atp", "--sav", str(FIXTURES / "not_spss.sav")], "not_spss.sav: not a readable SPSS .sav file"),
        (["pew-atp", "--sav", str(FIXTURES / "empty.csv")], "empty.csv: the file is empty"),
        (["screens", "--context", "com.x", "--from-dir", str(FIXTURES / "nope")], "nope: not a folder"),
        (["opera", "--local", str(FIXTURES)], "no OPeRA table found"),
    ],
)
def test_bad_inputs_exit_2_with_one_line_and_leave_the_snapshot_untouched(raw, tmp_path, capsys, argv, expected):
    argv = [str(_truncated_mid_row(tmp_path)) if a == "CUT" else a for a in argv]
    before = _state(raw)
    capsys.readouterr()
    assert main(["pull", *argv, "--raw", str(raw)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and expected in err, err
    assert _state(raw) == before


def test_help_explains_every_subcommand_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["pull", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for name in ("google-play", "app-store", "pew-atp", "opera", "screens", "examples:", "--from-file"):
        assert name in text
    with pytest.raises(SystemExit):
        main(["pull", "google-play", "--help"])
    text = capsys.readouterr().out
    assert "--count" in text and "--sort" in text and "pisar pull google-play --app com.spotify.music" in text
