"""`pisar dedup FILE --text-column COL [--id-column COL] --out DIR` and the benchmark smoke runs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from curation.dedup_command import main
from pisar_data.errors import UserError

REPO = Path(__file__).resolve().parents[1]
ROWS = {
    "uid": ["u9", "u2", "u5", "u1", "u7"],
    "body": [
        "Transfers are fast and the new design is easy to use",
        "Great app!",
        "transfers are fast and the new design is easy to use thanks",
        "great app",
        "Crashes whenever I open the lyrics view",
    ],
    "stars": [5, 4, 5, 4, 1],
}


@pytest.fixture
def table_file(write_review_table) -> Path:
    return write_review_table(ROWS)


def test_command_writes_kept_duplicates_stats(table_file: Path, tmp_path: Path):
    before = hashlib.sha256(table_file.read_bytes()).hexdigest()
    out = tmp_path / "out"
    assert main([str(table_file), "--text-column", "body", "--id-column", "uid", "--out", str(out)]) == 0
    assert hashlib.sha256(table_file.read_bytes()).hexdigest() == before  # input never modified
    kept = pl.read_parquet(out / "kept.parquet")
    assert kept.columns == ["uid", "body", "stars"]
    assert kept["uid"].to_list() == ["u5", "u1", "u7"]  # input order; survivors = smallest ids
    duplicates = pl.read_parquet(out / "duplicates.parquet")
    assert {"cluster_id", "kept_id", "removed_id", "jaccard"} <= set(duplicates.columns)
    assert sorted(zip(duplicates["kept_id"], duplicates["removed_id"])) == [("u1", "u2"), ("u5", "u9")]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["in"] == 5 and stats["out"] == 3 and stats["exact_removed"] == 1 and stats["near_removed"] == 1


def test_row_numbers_are_ids_and_flags_override(tmp_path: Path):
    path = tmp_path / "t.csv"
    pl.DataFrame(ROWS).write_csv(path)
    out = tmp_path / "out"
    assert main([str(path), "--text-column", "body", "--out", str(out), "--threshold", "0.99", "--num-perm", "80", "--shingling", "char5"]) == 0
    duplicates = pl.read_parquet(out / "duplicates.parquet")
    assert duplicates.select("kept_id", "removed_id").rows() == [("1", "3")]  # only the exact pair at 0.99
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["threshold"], stats["num_perm"], stats["bands"], stats["rows"], stats["shingling"]) == (0.99, 80, 16, 5, "char5")


def test_user_errors_name_file_and_column(tmp_path: Path):
    path = tmp_path / "t.parquet"
    pl.DataFrame(ROWS).write_parquet(path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output")
    with pytest.raises(UserError, match=r"t\.parquet.*'text'"):
        main([str(path), "--text-column", "text", "--out", str(out)])
    with pytest.raises(UserError, match=r"t\.parquet.*'nope'"):
        main([str(path), "--text-column", "body", "--id-column", "nope", "--out", str(out)])
    with pytest.raises(UserError, match=r"missing\.csv"):
        main([str(tmp_path / "missing.csv"), "--text-column", "body", "--out", str(out)])
    bad = tmp_path / "bad.txt"
    bad.write_text("x")
    with pytest.raises(UserError, match=r"bad\.txt"):
        main([str(bad), "--text-column", "body", "--out", str(out)])
    with pytest.raises(UserError, match="num_perm"):
        main([str(path), "--text-column", "body", "--out", str(out), "--num-perm", "33"])
    with pytest.raises(UserError, match=r"out: folder is not empty .*stats\.json"):
        main([str(path), "--text-column", "body", "--out", str(out)])  # valid input, but out was not written by dedup
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # nothing overwritten or deleted


def test_cli_exit_status_2(tmp_path: Path):
    path = tmp_path / "t.csv"
    pl.DataFrame(ROWS).write_csv(path)
    done = subprocess.run([sys.executable, "-m", "pisar_data.cli", "dedup", str(path), "--text-column", "nope", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2 and "t.csv" in done.stderr and "'nope'" in done.stderr


def test_accuracy_benchmark_smoke():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "dedup_accuracy.py")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"precision=[\d.]+ recall=[\d.]+ f1=[\d.]+ short_f1=[\d.]+ lost_groups=0 records=\d+", last), last


def test_speed_benchmark_smoke():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "dedup_speed.py"), "--n", "20000"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"docs_per_s=[\d.]+ peak_rss_mb=[\d.]+ speedup_vs_naive=[\d.]+ f1=[\d.]+", last), last


def test_peers_benchmark_smoke(tmp_path: Path):
    """The side-by-side benchmark on a small set, `pisar dedup` in its own process (the peers need the
    `bench` extra; the last line is the one the issue asks for)."""
    systems = "pisar" + "".join(f",{name}" for name in ("rensa", "datasketch") if importlib.util.find_spec(name))
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "dedup_peers.py"), "--n", "3000", "--systems", systems, "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"pisar_docs_per_s=[\d.]+ best_peer=\w+ best_peer_docs_per_s=[\d.]+ pisar_f1=[\d.]+ best_peer_f1=[\d.]+ lost_groups=0", last), last


def test_command_imports_no_heavy_library(tmp_path: Path):
    """`pisar dedup` starts fast: nothing of torch, sentence-transformers, datasets, scipy or datasketch."""
    path = tmp_path / "t.parquet"
    pl.DataFrame(ROWS).write_parquet(path)
    code = (
        "import sys; from pisar_data.cli import main; "
        f"main(['dedup', {str(path)!r}, '--text-column', 'body', '--out', {str(tmp_path / 'out')!r}, '--quiet']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'sentence_transformers', 'datasets', 'transformers', 'scipy', 'sklearn', 'datasketch', 'pandas'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
