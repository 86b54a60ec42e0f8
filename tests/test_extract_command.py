"""`pisar extract FILE --text-column COL [...] --out DIR`: the extraction stage on any review table."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from curation.extract_command import main
from pisar_data.cli import main as pisar
from pisar_data.errors import UserError

REPO = Path(__file__).resolve().parents[1]
# A google-play-scraper dump as a user has it (reviewId, content, score, replyContent, …), plus a title column.
ROWS = {
    "reviewId": ["gp:r7", "gp:r2", "gp:r9", "gp:r4", "gp:r5"],
    "userName": ["A Google user"] * 5,
    "content": [
        "Uninstalled it because the sync kept deleting my notes every night.",
        "good",
        "The search never finds messages older than a week, so I emailed support twice.",
        None,
        "If they don't fix the login loop I will uninstall this app for good.",
    ],
    "score": [1, 5, 2, 3, 1],
    "title": [None, None, "Search is broken", None, "Login loop"],
    "replyContent": [None, None, "Sorry, we are on it.", None, None],
}


@pytest.fixture
def table_file(write_review_table) -> Path:
    return write_review_table(ROWS)


def test_command_writes_extracted_and_stats(table_file: Path, tmp_path: Path):
    before = hashlib.sha256(table_file.read_bytes()).hexdigest()
    out = tmp_path / "out"
    args = [str(table_file), "--text-column", "content", "--id-column", "reviewId", "--title-column", "title",
            "--rating-column", "score", "--reply-column", "replyContent", "--app-name", "Notely", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert hashlib.sha256(table_file.read_bytes()).hexdigest() == before  # input never modified
    extracted = pl.read_parquet(out / "extracted.parquet")
    assert extracted.columns == ["id", "kept", "drop_reason", "action_type", "action", "intent", "intent_source", "rationale"]
    assert extracted["id"].to_list() == ROWS["reviewId"]  # every input id, in input order
    rows = {row["id"]: row for row in extracted.iter_rows(named=True)}
    assert rows["gp:r7"]["action_type"] == "uninstall" and rows["gp:r7"]["action"] == "uninstalled Notely"
    assert rows["gp:r9"]["action_type"] == "contact_support" and "search never finds messages" in rows["gp:r9"]["rationale"]
    assert rows["gp:r5"]["action_type"] == "rate" and rows["gp:r5"]["action"] == "rated Notely 1 star"  # a threat is not an action
    assert (rows["gp:r2"]["kept"], rows["gp:r2"]["drop_reason"], rows["gp:r2"]["action"]) == (False, "too_short", None)
    assert rows["gp:r4"]["drop_reason"] == "too_short"  # an empty review
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["in"], stats["kept"], stats["dropped_too_short"]) == (5, 3, 2)
    assert stats["action_uninstall"] == stats["action_contact_support"] == stats["action_rate"] == 1
    assert stats["extractor"] == "hybrid" and stats["extractor_version"].startswith("hybrid-1-")
    assert stats["columns"] == {"text": "content", "id": "reviewId", "title": "title", "rating": "score", "reply": "replyContent"}
    # the same input gives the same output, and an earlier output is replaced
    first = (out / "extracted.parquet").read_bytes()
    assert main(args) == 0 and (out / "extracted.parquet").read_bytes() == first


def test_row_numbers_are_ids_and_the_rules_extractor_runs_by_name(tmp_path: Path):
    path = tmp_path / "t.csv"
    pl.DataFrame(ROWS).write_csv(path)
    out = tmp_path / "out"
    assert main([str(path), "--text-column", "content", "--extractor", "rules", "--out", str(out), "--quiet"]) == 0
    extracted = pl.read_parquet(out / "extracted.parquet")
    assert extracted["id"].to_list() == ["0", "1", "2", "3", "4"]
    assert extracted["action"][0] == "uninstalled the app"
    assert json.loads((out / "stats.json").read_text())["extractor"] == "rules"


def test_user_errors_name_the_file_and_the_column(tmp_path: Path):
    path = tmp_path / "t.parquet"
    pl.DataFrame(ROWS).write_parquet(path)
    out = tmp_path / "out"
    base = [str(path), "--out", str(out)]
    cases = [
        (["--text-column", "text"], r"t\.parquet: no column 'text' \(--text-column\); columns are reviewId"),
        (["--text-column", "score"], r"t\.parquet: column 'score' \(--text-column\) must hold text"),
        (["--text-column", "content", "--id-column", "userName"], r"'userName' \(--id-column\) must hold unique, non-null ids"),
        (["--text-column", "content", "--rating-column", "userName"], r"'userName' \(--rating-column\) must hold star ratings 1-5"),
        (["--text-column", "content", "--title-column", "nope"], r"no column 'nope' \(--title-column\)"),
        (["--text-column", "content", "--extractor", "gpt"], r"--extractor: unknown extractor 'gpt'; expected one of hybrid, llm, rules"),
        (["--text-column", "content", "--extractor", "llm"], r"--extractor llm: .*model .*; give its endpoint in a recipe with --recipe"),
        (["--text-column", "content", "--app-name", " "], r"--app-name: expected the app's name"),
    ]
    for extra, message in cases:
        with pytest.raises(UserError, match=message):
            main(base + extra)
    assert not out.exists()  # nothing written on bad input
    bad = tmp_path / "scores.csv"
    pl.DataFrame({"content": ["Crashes on start."], "score": [7]}).write_csv(bad)
    with pytest.raises(UserError, match=r"scores\.csv: column 'score' \(--rating-column\) must hold star ratings 1-5"):
        main([str(bad), "--text-column", "content", "--rating-column", "score", "--out", str(out)])
    with pytest.raises(UserError, match=r"missing\.csv"):
        main([str(tmp_path / "missing.csv"), "--text-column", "content", "--out", str(out)])


def test_an_unrelated_folder_is_never_replaced_and_errors_exit_2(tmp_path: Path, capsys):
    path = tmp_path / "t.csv"
    pl.DataFrame(ROWS).write_csv(path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own file")
    assert pisar(["extract", str(path), "--text-column", "content", "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("pisar extract: error: ") and "\n" not in error and "not an earlier output" in error
    assert (out / "notes.txt").read_text() == "my own file"
    assert pisar(["extract", str(path), "--text-column", "nope", "--out", str(tmp_path / "new")]) == 2


def test_extract_imports_no_torch(tmp_path: Path):
    path = tmp_path / "t.csv"
    pl.DataFrame(ROWS).write_csv(path)
    code = ("import sys; from pisar_data.cli import main; "
            f"assert main(['extract', {str(path)!r}, '--text-column', 'content', '--out', {str(tmp_path / 'o')!r}, '--quiet']) == 0; "
            "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules, sorted(m for m in sys.modules if m in ('torch', 'sklearn'))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
