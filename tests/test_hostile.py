"""Hostile but realistic input on every command (issue 16): no traceback, no lost or duplicated
record, no user file touched.

The README's "bad input" promise, checked here: a bad input is refused with exit status 2 and
one line naming the file and what to do; nothing already written is lost or half-overwritten;
input files are never modified; concurrent imports into one snapshot write every record once.

Unreadable files are met as an ordinary user meets them: as root (CI) the command runs without
the capabilities that let root read a mode-000 file (``setpriv``), and the test is skipped with
the reason when that cannot be done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation import snapshot
from curation.build import MANIFEST, WORK_MARKER
from curation.recipe import SAMPLE_RECIPE
from pisar_data import atomic
from pisar_data.cli import main

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "card"))
from card_build import shared_build  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "curation" / "sample"
APP = "com.example.hostile"
GP_COLUMNS = ["reviewId", "userName", "userImage", "content", "score", "thumbsUpCount", "reviewCreatedVersion", "at",
              "replyContent", "repliedAt", "appVersion"]
GARBAGE = bytes(range(256)) * 8  # binary: NUL bytes and invalid UTF-8


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------ helpers


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def refused(argv: list, capsys, *fragments: str) -> str:
    """The command exits 2 with one line on stderr that holds every fragment."""
    status, _, err = run(argv, capsys)
    assert status == 2, err
    assert err.startswith(f"pisar {argv[0]}: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def succeeds(argv: list, capsys) -> str:
    status, out, err = run(argv, capsys)
    assert status == 0, err
    return out


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256 (to show nothing changed)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def gp_rows(n: int) -> list[dict]:
    return [
        {"reviewId": f"gp-{i:05d}", "userName": f"Tester {i}", "userImage": "", "content": f"Review {i}: the map freezes when I open it",
         "score": str(1 + i % 5), "thumbsUpCount": "0", "reviewCreatedVersion": "1.2.3", "at": f"2025-02-01 17:{i % 60:02d}:00",
         "replyContent": "", "repliedAt": "", "appVersion": "1.2.3"}
        for i in range(n)
    ]


def csv_text(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def gp_dump(path: Path, n: int) -> Path:
    path.write_text(csv_text(GP_COLUMNS, gp_rows(n)), encoding="utf-8")
    return path


def as_dump(path: Path, n: int) -> Path:
    """An app-store-scraper dump as pandas writes it (unnamed index column first)."""
    lines = [",date,developerResponse,review,rating,isEdited,userName,title"]
    lines += [f"{i},2024-05-{1 + i % 28:02d} 12:{i % 60:02d}:{i % 60:02d},,Review {i} says the sync is slow,{1 + i % 5},False,Reviewer{i},Title {i}"
              for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_lines(raw: Path, source: str, table: str) -> list[dict]:
    """Every record line on disk, whatever the state of its pull."""
    return [json.loads(line) for part in sorted(raw.glob(f"{source}/*/{table}-*.jsonl")) for line in part.read_text().splitlines()]


def pull_dirs(raw: Path, source: str) -> list[Path]:
    return sorted(p for p in (raw / source).iterdir() if p.is_dir()) if (raw / source).is_dir() else []


def pisar_process(*argv, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pisar_data.cli", *map(str, argv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG that declares width x height pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _ordinary_user_prefix(tmp_path: Path) -> list[str]:
    """A command prefix under which a mode-000 file is unreadable, or skip."""
    secret = tmp_path / "probe.txt"
    secret.write_text("x")
    secret.chmod(0)
    probe = [sys.executable, "-c", f"open({str(secret)!r}).read()"]
    candidates = [[]] if os.geteuid() != 0 else []
    if shutil.which("setpriv"):
        candidates.append(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search"])
    for prefix in candidates:
        if subprocess.run([*prefix, *probe], capture_output=True).returncode != 0:
            return prefix
    pytest.skip("cannot run as an ordinary user here: root reads mode-000 files and setpriv could not drop CAP_DAC_OVERRIDE")


def run_as_ordinary_user(tmp_path: Path, *argv) -> tuple[int, str]:
    result = subprocess.run([*_ordinary_user_prefix(tmp_path), sys.executable, "-m", "pisar_data.cli", *map(str, argv)],
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr


# ------------------------------------------------------------------ data lost, corrupted or duplicated


def test_truncated_google_play_dump_is_refused_and_the_full_dump_then_stores_every_record_once(tmp_path, capsys):
    full = gp_dump(tmp_path / "reviews.csv", 5)
    text = full.read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rindex("2025-02-01 17") + len("2025-02-01 17")])  # the last row ends in `at`
    raw = tmp_path / "raw"
    before = cut.read_bytes()
    refused(["pull", "google-play", "--from-file", cut, "--app", APP, "--raw", raw], capsys,
            "cut.csv: the last row (line 6) has 8 of 11 fields; the file looks truncated", "--allow-truncated")
    assert pull_dirs(raw, "google_play") == [] and cut.read_bytes() == before

    out = succeeds(["pull", "google-play", "--from-file", cut, "--app", APP, "--raw", raw, "--allow-truncated"], capsys)
    assert "reviews: +4 (total 4)" in out
    (pull_dir,) = pull_dirs(raw, "google_play")
    assert "has 8 of 11 fields" in json.loads((pull_dir / "manifest.json").read_text())["truncated_input"]

    assert "reviews: +1 (total 5)" in succeeds(["pull", "google-play", "--from-file", full, "--app", APP, "--raw", raw], capsys)
    reviews = snapshot.read_table(raw, "google_play", "reviews")
    assert reviews["reviewId"].to_list() == [f"gp-{i:05d}" for i in range(5)]
    assert reviews["at"].to_list()[-1] == "2025-02-01 17:04:00"
    assert len(stored_lines(raw, "google_play", "reviews")) == 5


def test_a_corrected_record_replaces_the_cut_version_and_the_manifest_says_so(tmp_path, capsys):
    rows = gp_rows(3)
    cut_rows = [dict(r) for r in rows]
    cut_rows[2].update(content="Review 2: the map fre", at="2025-02-01 17")  # cut by an earlier export, JSON still complete
    first, second = tmp_path / "cut.jsonl", tmp_path / "full.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in cut_rows))
    second.write_text("".join(json.dumps(r) + "\n" for r in rows))
    raw = tmp_path / "raw"
    succeeds(["pull", "google-play", "--from-file", first, "--app", APP, "--raw", raw], capsys)
    out = succeeds(["pull", "google-play", "--from-file", second, "--app", APP, "--raw", raw], capsys)
    assert "reviews: +1, 1 replaced an earlier version (total 3)" in out
    reviews = snapshot.read_table(raw, "google_play", "reviews")
    assert reviews.height == 3 and reviews["content"].to_list()[2] == "Review 2: the map freezes when I open it"
    older, newer = pull_dirs(raw, "google_play")
    assert json.loads((newer / "manifest.json").read_text())["replaced"] == {"reviews": 1}
    assert [r["_supersedes"] for r in stored_lines(raw, "google_play", "reviews") if "_supersedes" in r] == [older.name]
    # the same corrected dump again: nothing new, no empty pull folder
    assert "reviews: +0 (total 3)" in succeeds(["pull", "google-play", "--from-file", second, "--app", APP, "--raw", raw], capsys)
    assert len(pull_dirs(raw, "google_play")) == 2


def test_truncated_app_store_dump_never_leaves_a_second_copy_of_the_cut_review(tmp_path, capsys):
    full = as_dump(tmp_path / "Slack-app-reviews.csv", 100)
    text = full.read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rindex("Reviewer99") + len("Revie")])  # cut inside the last userName
    raw = tmp_path / "raw"
    refused(["pull", "app-store", "--from-file", cut, "--app-id", "618783545", "--raw", raw], capsys, "cut.csv: the last row", "truncated")
    assert "reviews: +99 (total 99)" in succeeds(
        ["pull", "app-store", "--from-file", cut, "--app-id", "618783545", "--raw", raw, "--allow-truncated"], capsys)
    assert "reviews: +1 (total 100)" in succeeds(["pull", "app-store", "--from-file", full, "--app-id", "618783545", "--raw", raw], capsys)
    assert snapshot.read_table(raw, "app_store", "reviews").height == 100


def test_three_concurrent_imports_of_one_dump_store_every_record_exactly_once(tmp_path):
    dump = tmp_path / "reviews.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in gp_rows(20_000)))
    raw = tmp_path / "raw"
    processes = [pisar_process("pull", "google-play", "--from-file", dump, "--app", APP, "--raw", raw) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    added = sorted(out.split("reviews: +")[1].split(" ")[0] for out, _ in outputs)
    assert added == ["0", "0", "20000"]
    lines = stored_lines(raw, "google_play", "reviews")
    assert len(lines) == 20_000 and len({r["_id"] for r in lines}) == 20_000
    manifests = [json.loads(p.read_text()) for p in raw.glob("google_play/*/manifest.json")]
    assert [m["record_count"] for m in manifests] == [20_000]


def _opera_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAMPLE / "opera", tmp_path / "opera"))


def _corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4:64] = b"\xff" * 60  # the first page header; the footer stays readable
    path.write_bytes(bytes(data))


def test_opera_import_dying_on_a_corrupt_page_is_never_read_by_a_build_and_completes_once_fixed(tmp_path, capsys):
    local = _opera_copy(tmp_path)
    session = local / "OPeRA_filtered" / "session" / "train" / "train.parquet"
    _corrupt_pages(session)
    raw = tmp_path / "raw"
    refused(["pull", "opera", "--local", local, "--raw", raw], capsys, "train.parquet: damaged parquet data after row 0")
    assert stored_lines(raw, "opera", "action"), "the actions before the damaged file were written (and kept for the resume)"
    with pytest.raises(Exception, match="no source found"):
        snapshot.available_sources(raw)  # ... but a build does not see the incomplete pull
    shutil.copy(SAMPLE / "opera" / "OPeRA_filtered" / "session" / "train" / "train.parquet", session)
    succeeds(["pull", "opera", "--local", local, "--raw", raw], capsys)
    expected = pq.read_metadata(SAMPLE / "opera" / "OPeRA_filtered" / "action" / "train-00000-of-00001.parquet").num_rows
    assert snapshot.read_table(raw, "opera", "action").height == expected == len(stored_lines(raw, "opera", "action"))
    assert len(pull_dirs(raw, "opera")) == 1  # the same pull was resumed


def _dedup_input(path: Path) -> Path:
    path.write_text("id,content\n" + "".join(f"{i},review {i % 7} about the slow sync and the login loop\n" for i in range(30)))
    return path


def test_dedup_never_replaces_an_input_that_lies_in_its_out_folder(tmp_path, capsys):
    source, out = _dedup_input(tmp_path / "reviews.csv"), tmp_path / "out"
    succeeds(["dedup", source, "--text-column", "content", "--id-column", "id", "--out", out], capsys)
    kept = out / "kept.parquet"
    before = tree(out)
    refused(["dedup", kept, "--text-column", "content", "--id-column", "id", "--out", out], capsys, "out: holds", "kept.parquet, an input")
    shutil.copy(source, out / "reviews.csv")
    refused(["dedup", out / "reviews.csv", "--text-column", "content", "--out", out], capsys, "reviews.csv, an input")
    refused(["dedup", source, "--text-column", "content", "--out", out], capsys, "holds reviews.csv that this command did not write")
    (out / "reviews.csv").unlink()
    assert tree(out) == before


def test_build_never_deletes_a_work_folder_it_did_not_write(tmp_path, capsys):
    notes = tmp_path / "proj" / "sample" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("my notes")
    raw = tmp_path / "raw"
    raw.mkdir()
    refused(["build", "--recipe", SAMPLE_RECIPE, "--raw", raw, "--work", tmp_path / "proj", "--out", tmp_path / "out"], capsys,
            "proj/sample: folder is not empty and is not an earlier output of this command (no work.json)")
    assert notes.read_text() == "my notes"

    # an earlier work folder of the build that the user then put a file into
    work = tmp_path / "w" / "sample"
    with atomic.output_dir(work, WORK_MARKER) as scratch:
        (scratch / WORK_MARKER).write_text("{}")
        (scratch / "work.duckdb").write_bytes(b"")
    (work / "notes.txt").write_text("mine")
    refused(["build", "--recipe", SAMPLE_RECIPE, "--raw", raw, "--work", tmp_path / "w", "--out", tmp_path / "out"], capsys,
            "holds notes.txt that this command did not write")
    assert (work / "notes.txt").read_text() == "mine"
    refused(["build", "--work", tmp_path / "proj", "--out", tmp_path / "out2"], capsys, "no work.json")  # the sample build too,
    assert not (tmp_path / "proj" / "sample-raw").exists()  # refused before importing the sample


def test_predict_refuses_an_unrelated_out_file_without_touching_it(toy_dataset_dir, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    for content in (b"line one\nline two", b"remember the milk"):
        notes.write_bytes(content)
        refused(["predict", "--model", "knn", "--data", toy_dataset_dir, "--out", notes], capsys, "notes.txt", "not valid JSON")
        assert notes.read_bytes() == content


def _toy_predictions(path: Path, dataset: Path, model: str = "m") -> Path:
    from pisar_data import load_dataset

    ids = load_dataset(dataset, split="test")["id"]
    path.write_text("".join(json.dumps({"id": i, "action": "added it to the cart", "rationale": "the price was right", "raw": "",
                                        "model": model}) + "\n" for i in ids))
    return path


def test_bench_never_deletes_a_predictions_file_inside_an_earlier_report(toy_dataset_dir, tmp_path, capsys):
    preds, report = _toy_predictions(tmp_path / "m.jsonl", toy_dataset_dir), tmp_path / "report"
    succeeds(["bench", preds, "--data", toy_dataset_dir, "--out", report, "--resamples", "50"], capsys)
    inside = report / "m.jsonl"
    shutil.move(preds, inside)
    refused(["bench", inside, "--data", toy_dataset_dir, "--out", report, "--resamples", "50"], capsys, "m.jsonl, an input")
    assert inside.is_file()
    shutil.move(inside, preds)
    (report / "notes.md").write_text("my reading of the results")
    refused(["bench", preds, "--data", toy_dataset_dir, "--out", report, "--resamples", "50"], capsys, "holds notes.md that this command did not write")
    assert (report / "notes.md").read_text() == "my reading of the results"


def test_dedup_of_a_latin1_csv_is_refused_naming_the_byte_offset_instead_of_corrupting_accents(tmp_path, capsys):
    source = tmp_path / "latin1.csv"
    source.write_bytes("id,content\n1,Très bon café\n2,Déçu par la mise à jour\n".encode("latin-1"))
    refused(["dedup", source, "--text-column", "content", "--out", tmp_path / "out"], capsys,
            "latin1.csv: not UTF-8 text: byte 0xe8 at byte offset 15 (line 2)", "iconv")
    assert not (tmp_path / "out").exists()


def _rewrite_listed(folder: Path, relpath: str, data: bytes) -> None:
    """Replace a file and make the manifest's hash and size agree, as a careful tamperer would."""
    (folder / relpath).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][relpath].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.fixture
def dataset_folder(tmp_path_factory, tmp_path) -> Path:
    source, _, _ = shared_build(tmp_path_factory)
    return Path(shutil.copytree(source, tmp_path / "pisar"))


def test_publish_verifies_row_counts_split_sizes_and_the_card_against_the_files(dataset_folder, capsys):
    folder = dataset_folder
    shard = sorted((folder / "data").glob("train-*.parquet"))[0]
    relpath = shard.relative_to(folder).as_posix()
    table = pq.read_table(shard)
    sink = io.BytesIO()
    pq.write_table(table.slice(0, table.num_rows - 1), sink)
    _rewrite_listed(folder, relpath, sink.getvalue())
    argv = ["publish", folder, "--repo", "org/pisar", "--dry-run"]
    refused(argv, capsys, f"{relpath}: {table.num_rows - 1:,} rows, but build/manifest.json says {table.num_rows:,}")

    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][relpath]["rows"] = table.num_rows - 1
    (folder / MANIFEST).write_text(json.dumps(manifest))
    train = manifest["splits"]["train"]
    refused(argv, capsys, f"splits says train has {train:,} rows, but its data files hold {train - 1:,}")

    manifest["splits"]["train"] = train - 1
    (folder / MANIFEST).write_text(json.dumps(manifest))
    refused(argv, capsys, f"README.md: dataset_info says split train has {train} rows, but its data files hold {train - 1:,}")


def test_publish_refuses_a_card_whose_example_json_is_broken(dataset_folder, capsys):
    card = (dataset_folder / "README.md").read_text()
    _rewrite_listed(dataset_folder, "README.md", card.replace("```json\n{", "```json\n{{", 1).encode())
    refused(["publish", dataset_folder, "--repo", "org/pisar", "--dry-run"], capsys, "README.md: example row 1 is not valid JSON")


# ------------------------------------------------------------------ one-line errors instead of tracebacks


def test_binary_garbage_jsonl_dump(tmp_path, capsys):
    dump = tmp_path / "reviews.jsonl"
    dump.write_bytes(b'{"reviewId": "a"}\n' + GARBAGE)
    refused(["pull", "google-play", "--from-file", dump, "--app", APP, "--raw", tmp_path / "raw"], capsys,
            "reviews.jsonl: binary data (a NUL byte at byte offset 18)")


def test_unreadable_dump_for_pull_as_an_ordinary_user(tmp_path):
    dump = gp_dump(tmp_path / "reviews.csv", 3)
    dump.chmod(0)
    status, err = run_as_ordinary_user(tmp_path, "pull", "google-play", "--from-file", dump, "--app", APP, "--raw", tmp_path / "raw")
    assert status == 2 and err.count("\n") == 1 and "reviews.csv: permission denied" in err, err
    assert not (tmp_path / "raw").exists()


def test_unreadable_predictions_for_bench_as_an_ordinary_user(toy_dataset_dir, tmp_path):
    preds = _toy_predictions(tmp_path / "m.jsonl", toy_dataset_dir)
    preds.chmod(0)
    status, err = run_as_ordinary_user(tmp_path, "bench", preds, "--data", toy_dataset_dir, "--out", tmp_path / "report")
    assert status == 2 and err.count("\n") == 1 and "m.jsonl: permission denied" in err, err


def test_truncated_pew_sav(tmp_path, capsys):
    data = (SAMPLE / "pew" / "atp_w17_sample.sav").read_bytes()
    cut = tmp_path / "ATP W17.sav"
    cut.write_bytes(data[: len(data) * 6 // 10])
    refused(["pull", "pew-atp", "--sav", cut, "--raw", tmp_path / "raw"], capsys, "ATP W17.sav: not a readable SPSS .sav file", "truncated")
    assert not (tmp_path / "raw").exists()


def _screens(tmp_path: Path) -> Path:
    folder = tmp_path / "screens"
    folder.mkdir()
    shutil.copy(SAMPLE / "screens" / "com.example.stridefit" / "sync.png", folder / "sync.png")
    return folder


def test_latin1_screen_sidecar(tmp_path, capsys):
    folder = _screens(tmp_path)
    (folder / "sync.txt").write_bytes("Synchronisation échouée".encode("latin-1"))
    refused(["pull", "screens", "--context", APP, "--from-dir", folder, "--raw", tmp_path / "raw"], capsys,
            "sync.txt: not UTF-8 text: byte 0xe9 at byte offset 16")


def test_decompression_bomb_png(tmp_path, capsys):
    folder = _screens(tmp_path)
    (folder / "bomb.png").write_bytes(bomb_png(40_000, 40_000))
    refused(["pull", "screens", "--context", APP, "--from-dir", folder, "--raw", tmp_path / "raw"], capsys, "bomb.png: image too large")
    assert not (tmp_path / "raw").exists()


def test_recipe_naming_a_language_instead_of_its_code(tmp_path, capsys):
    raw = tmp_path / "raw"
    succeeds(["pull", "google-play", "--from-file", gp_dump(tmp_path / "reviews.csv", 5), "--app", APP, "--raw", raw], capsys)
    recipe = tmp_path / "english.toml"
    recipe.write_text('name = "english"\nseed = 1\n[clean]\nlanguages = ["english"]\ncandidate_languages = ["english", "spanish"]\n')
    refused(["build", "--recipe", recipe, "--raw", raw, "--out", tmp_path / "out", "--work", tmp_path / "work"], capsys,
            "english.toml [clean]: languages: 'english' is not an ISO 639-1 code")


def test_latin1_training_recipe(toy_dataset_dir, tmp_path, capsys):
    recipe = tmp_path / "mine.toml"
    recipe.write_bytes((REPO / "training" / "recipes" / "tiny.toml").read_bytes().replace(b'description = "', b'description = "r\xe9glage ', 1))
    refused(["train", "--recipe", recipe, "--data", toy_dataset_dir, "--out", tmp_path / "run"], capsys, "mine.toml: not UTF-8 text: byte 0xe9")


def test_train_resume_of_a_folder_without_run_manifest(toy_dataset_dir, tmp_path, capsys):
    run_dir = tmp_path / "run"
    (run_dir / "checkpoint-1").mkdir(parents=True)
    refused(["train", "--recipe", "tiny", "--data", toy_dataset_dir, "--out", run_dir, "--resume"], capsys, "run: no run_manifest.json")


def test_predict_out_naming_a_folder_and_data_naming_a_missing_folder(toy_dataset_dir, tmp_path, capsys):
    (tmp_path / "preds").mkdir()
    refused(["predict", "--model", "knn", "--data", toy_dataset_dir, "--out", tmp_path / "preds"], capsys, "preds: is a folder")
    refused(["predict", "--model", "knn", "--data", tmp_path / "nowhere" / "pisar", "--out", tmp_path / "p.jsonl"], capsys,
            "nowhere/pisar: no such dataset folder")
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("content, fragment", [
    ('{"id": "toy-0003", "action": "pay", "rationale": "prix réduit", "raw": "", "model": "m"}\n'.encode("latin-1"), "not UTF-8 text: byte 0xe9"),
    (GARBAGE, "binary data (a NUL byte at byte offset 0)"),
])
def test_latin1_or_binary_predictions_in_bench(toy_dataset_dir, tmp_path, capsys, content, fragment):
    preds = tmp_path / "m.jsonl"
    preds.write_bytes(content)
    refused(["bench", preds, "--data", toy_dataset_dir, "--out", tmp_path / "report"], capsys, f"m.jsonl: {fragment}")


# ------------------------------------------------------------------ leftovers


def test_temporary_folders_of_killed_runs_are_removed_by_the_next_run(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    stale = [tmp_path / ".out.k3j9x_2a.tmp", tmp_path / f".out.{dead.pid}.k3j9x_2a.tmp"]
    live = tmp_path / f".out.{os.getpid()}.q8w7e6r5.tmp"  # a run in progress keeps its folder
    for folder in (*stale, live):
        folder.mkdir()
        (folder / "kept.parquet").write_bytes(b"half")
    succeeds(["dedup", _dedup_input(tmp_path / "in.csv"), "--text-column", "content", "--out", out], capsys)
    assert [p for p in stale if p.exists()] == [] and live.is_dir()


def test_rerunning_a_finished_import_adds_no_pull_folder(tmp_path, capsys):
    dump, raw = gp_dump(tmp_path / "reviews.csv", 3), tmp_path / "raw"
    for _ in range(3):
        succeeds(["pull", "google-play", "--from-file", dump, "--app", APP, "--raw", raw], capsys)
    assert len(pull_dirs(raw, "google_play")) == 1


def test_snapshot_and_output_files_follow_the_users_umask(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        raw, out = tmp_path / "raw", tmp_path / "out"
        succeeds(["pull", "google-play", "--from-file", gp_dump(tmp_path / "reviews.csv", 3), "--app", APP, "--raw", raw], capsys)
        succeeds(["dedup", _dedup_input(tmp_path / "in.csv"), "--text-column", "content", "--out", out], capsys)
    finally:
        os.umask(old)
    for folder in (raw, out):
        modes = {p.relative_to(folder).as_posix(): p.stat().st_mode & 0o777 for p in [folder, *folder.rglob("*")]}
        assert set(modes.values()) <= {0o640, 0o750}, modes


# ------------------------------------------------------------------ what already held, kept holding


def test_kill_9_mid_import_then_rerun_stores_every_record_exactly_once(tmp_path, capsys):
    dump, raw = gp_dump(tmp_path / "reviews.csv", 30_000), tmp_path / "raw"
    process = pisar_process("pull", "google-play", "--from-file", dump, "--app", APP, "--raw", raw)
    deadline = time.monotonic() + 120
    while not list(raw.glob("google_play/*/reviews-00001.jsonl")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    succeeds(["pull", "google-play", "--from-file", dump, "--app", APP, "--raw", raw], capsys)
    lines = stored_lines(raw, "google_play", "reviews")
    assert len(lines) == 30_000 and len({r["_id"] for r in lines}) == 30_000
    assert snapshot.read_table(raw, "google_play", "reviews").height == 30_000


def test_kill_9_mid_build_keeps_the_earlier_output_and_the_next_run_cleans_up(dataset_folder, tmp_path, capsys):
    out, work = tmp_path / "built", tmp_path / "work"
    with atomic.output_dir(out, MANIFEST) as new:  # an earlier build's output (it lists its files)
        shutil.copytree(dataset_folder, new, dirs_exist_ok=True)
    before = tree(out)
    rows = {p.name: pq.read_metadata(p).num_rows for p in (out / "data").glob("*.parquet")}
    process = pisar_process("build", "--out", out, "--work", work, "--quiet")
    deadline = time.monotonic() + 300
    while not list(work.glob(".sample.*.tmp/work.duckdb")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    time.sleep(1)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert tree(out) == before and {p.name: pq.read_metadata(p).num_rows for p in (out / "data").glob("*.parquet")} == rows
    assert list(work.glob(".sample.*.tmp")), "the killed build's work folder is left beside --work ..."
    empty = tmp_path / "empty-raw"
    empty.mkdir()
    refused(["build", "--recipe", SAMPLE_RECIPE, "--raw", empty, "--out", out, "--work", work, "--quiet"], capsys, "no source found")
    assert not list(work.glob(".sample.*.tmp")), "... and removed by the next run"
    assert tree(out) == before


def _valid(kind: str, tmp_path: Path, toy: Path) -> tuple[bytes, str, list]:
    """(a valid file of ``kind``, its name, the argv reading it with FILE in its place)."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    if kind == "gp-csv":
        return csv_text(GP_COLUMNS, gp_rows(4)).encode(), "reviews.csv", ["pull", "google-play", "--from-file", "FILE", "--app", APP, "--raw", raw]
    if kind == "gp-json":
        return json.dumps(gp_rows(4)).encode(), "reviews.json", ["pull", "google-play", "--from-file", "FILE", "--app", APP, "--raw", raw]
    if kind == "gp-jsonl":
        return "".join(json.dumps(r) + "\n" for r in gp_rows(4)).encode(), "reviews.jsonl", ["pull", "google-play", "--from-file", "FILE", "--app", APP, "--raw", raw]
    if kind == "as-csv":
        return as_dump(tmp_path / "x.csv", 4).read_bytes(), "app.csv", ["pull", "app-store", "--from-file", "FILE", "--app-id", "1", "--raw", raw]
    if kind == "sav":
        return (SAMPLE / "pew" / "atp_w17_sample.sav").read_bytes(), "wave.sav", ["pull", "pew-atp", "--sav", "FILE", "--raw", raw]
    if kind in ("dedup-csv", "dedup-jsonl", "dedup-parquet"):
        import polars as pl

        frame = pl.DataFrame({"id": [str(i) for i in range(20)], "content": [f"text number {i} about an app" for i in range(20)]})
        buffer = io.BytesIO()
        {"dedup-csv": frame.write_csv, "dedup-jsonl": frame.write_ndjson, "dedup-parquet": frame.write_parquet}[kind](buffer)
        name = "table." + kind.split("-")[1]
        return buffer.getvalue(), name, ["dedup", "FILE", "--text-column", "content", "--out", out]
    if kind == "build-recipe":
        return SAMPLE_RECIPE.read_bytes(), "recipe.toml", ["build", "--recipe", "FILE", "--raw", raw, "--out", out, "--work", tmp_path / "w"]
    if kind == "train-recipe":
        return (REPO / "training" / "recipes" / "tiny.toml").read_bytes(), "recipe.toml", ["train", "--recipe", "FILE", "--data", toy, "--out", out]
    if kind == "predictions":
        return _toy_predictions(tmp_path / "p.jsonl", toy).read_bytes(), "preds.jsonl", ["bench", "FILE", "--data", toy, "--out", out]
    if kind == "bench-report":
        return json.dumps({"models": [{"model": "m", "mean": 0.5}]}, indent=1).encode(), "report.json", ["build", "--bench-report", "FILE", "--out", out]
    if kind == "opera-parquet":
        data = (SAMPLE / "opera" / "OPeRA_filtered" / "session" / "train" / "train.parquet").read_bytes()
        return data, "opera/session.parquet", ["pull", "opera", "--local", tmp_path / "opera", "--raw", raw]
    assert kind == "screen-image"
    return (SAMPLE / "screens" / "com.example.stridefit" / "sync.png").read_bytes(), "shots/sync.png", ["pull", "screens", "--context", APP, "--from-dir", tmp_path / "shots", "--raw", raw]


READERS = ["gp-csv", "gp-json", "gp-jsonl", "as-csv", "sav", "dedup-csv", "dedup-jsonl", "dedup-parquet", "build-recipe", "train-recipe",
           "predictions", "bench-report", "opera-parquet", "screen-image"]


def _damaged(kind: str, damage: str, data: bytes) -> bytes:
    if damage == "empty":
        return b""
    if damage == "garbage":
        return GARBAGE
    if kind in ("sav", "dedup-parquet", "opera-parquet", "screen-image"):
        return data[: len(data) * 6 // 10]
    cut = data.rstrip(b"\n")
    last = cut.rfind(b"\n") + 1
    if kind.endswith("csv"):  # inside the first field of the last row (a row cut in its last field looks complete)
        first_field = cut.index(b",", last) - last
        return cut[: last + max(1, first_field // 2)]
    return cut[: last + (len(cut) - last) // 2]  # half-way through the last line


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
@pytest.mark.parametrize("kind", READERS)
def test_every_reader_refuses_empty_truncated_and_garbage_files_with_one_line(kind, damage, toy_dataset_dir, tmp_path, capsys):
    data, name, argv = _valid(kind, tmp_path, toy_dataset_dir)
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(_damaged(kind, damage, data))
    before = path.read_bytes()
    status, _, err = run([path if a == "FILE" else a for a in argv], capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert path.name in err or path.parent.name in err, err
    assert path.read_bytes() == before
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["dedup", "build", "bench"])
def test_out_at_an_unrelated_folder_is_refused_before_any_work(command, toy_dataset_dir, tmp_path, capsys):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    argv = {
        "dedup": ["dedup", _dedup_input(tmp_path / "in.csv"), "--text-column", "content", "--out", out],
        "build": ["build", "--out", out, "--work", tmp_path / "work"],
        "bench": ["bench", _toy_predictions(tmp_path / "m.jsonl", toy_dataset_dir), "--data", toy_dataset_dir, "--out", out],
    }[command]
    refused(argv, capsys, "documents: folder is not empty and is not an earlier output of this command")
    assert tree(out) == {"thesis.tex": hashlib.sha256(b"years of work").hexdigest()}
    assert not (tmp_path / "work").exists()
