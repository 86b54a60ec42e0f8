"""The raw snapshot store: append-only pulls, manifests, dedup, cursors, the reading API."""

from __future__ import annotations

import hashlib
import json

import pytest

from curation import snapshot
from curation.snapshot import Pull
from pisar_data.errors import UserError


def _records(ids):
    return [{"_id": i, "value": f"v{i}", "n": int(i) if i.isdigit() else None} for i in ids]


def test_pull_writes_manifest_with_hashes_and_counts(tmp_path):
    pull = Pull.open(tmp_path, "google_play", {"app_id": "com.x"}, {"pisar": "0"})
    assert pull.add("reviews", _records(["1", "2"]), _app_id="com.x") == 2
    assert pull.add("reviews", _records(["3"]), _app_id="com.x") == 1
    blob = pull.add_blob(b"\x89PNG fake", "png")
    result = pull.finish()

    manifest = json.loads((pull.dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["finished_at"]
    assert manifest["source"] == "google_play" and manifest["params"] == {"app_id": "com.x"}
    assert manifest["record_count"] == 3
    assert set(manifest["files"]) == {"reviews-00001.jsonl", "reviews-00002.jsonl", blob.file.split("/", 1)[1]}
    for rel, entry in manifest["files"].items():
        data = (pull.dir / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert manifest["files"]["reviews-00001.jsonl"]["records"] == 2
    assert blob.sha256 == hashlib.sha256(b"\x89PNG fake").hexdigest() and blob.file.endswith(blob.sha256 + ".png")
    assert result.added == {"reviews": 3} and result.total == {"reviews": 3}
    lines = [json.loads(line) for line in (pull.dir / "reviews-00001.jsonl").read_text().splitlines()]
    assert lines[0]["_app_id"] == "com.x" and lines[0]["_fetched_at"] and lines[0]["value"] == "v1"
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_reimport_adds_nothing_and_read_table_dedups_in_stable_order(tmp_path):
    first = Pull.open(tmp_path, "app_store", {"f": 1}, {})
    first.add("reviews", _records(["b", "a"]))
    first.finish()
    second = Pull.open(tmp_path, "app_store", {"f": 1}, {})
    assert second.dir != first.dir  # a finished pull is never reopened
    assert second.add("reviews", _records(["a", "c", "c"])) == 1
    assert second.add_blob(b"x", "jpg") == second.add_blob(b"x", "jpg")
    result = second.finish()
    assert result.total == {"reviews": 3}

    frame = snapshot.read_table(tmp_path, "app_store", "reviews")
    assert frame["_id"].to_list() == ["b", "a", "c"]
    assert frame["n"].to_list() == [None, None, None]
    assert all(dtype == "String" for dtype in map(str, frame.dtypes))
    assert frame["_pull_id"].to_list() == [first.dir.name, first.dir.name, second.dir.name]


def test_read_table_encodes_non_strings_as_json(tmp_path):
    pull = Pull.open(tmp_path, "google_play", {}, {})
    pull.add("apps", [{"_id": "x", "score": 4.5, "free": True, "histogram": [1, 2], "title": "T"}])
    pull.finish()
    frame = snapshot.read_table(tmp_path, "google_play", "apps")
    row = frame.row(0, named=True)
    assert (row["score"], row["free"], row["histogram"], row["title"]) == ("4.5", "true", "[1, 2]", "T")


def test_interrupted_pull_resumes_from_cursor_and_keeps_batches(tmp_path):
    pull = Pull.open(tmp_path, "google_play", {"app_id": "a"}, {})
    pull.add("reviews", _records(["1", "2"]))
    pull.save_cursor({"token": "t1"})
    pull.add("reviews", _records(["3"]))  # crash here: batch written, cursor not yet saved
    del pull

    resumed = Pull.open(tmp_path, "google_play", {"app_id": "a"}, {})
    assert resumed.cursor == {"token": "t1"}
    assert resumed.add("reviews", _records(["3", "4"])) == 1  # the re-fetched batch adds only the new record
    resumed.finish()
    assert snapshot.read_table(tmp_path, "google_play", "reviews")["_id"].to_list() == ["1", "2", "3", "4"]
    manifest = json.loads((resumed.dir / "manifest.json").read_text())
    assert manifest["record_count"] == 4 and manifest["status"] == "complete"
    # other params never resume that pull
    assert Pull.open(tmp_path, "google_play", {"app_id": "b"}, {}).dir != resumed.dir


def test_input_files_lists_every_file_with_recorded_hashes(tmp_path):
    pull = Pull.open(tmp_path, "screens", {}, {})
    pull.add("screens", [{"_id": "s", "file": pull.add_blob(b"img", "png").file}])
    pull.finish()
    (pull.dir / "screens-00002.jsonl").write_text('{"_id": "t"}\n')  # written by a crashed resume, not yet in the manifest
    files = snapshot.input_files(tmp_path)
    paths = [f["path"] for f in files]
    assert paths == sorted(paths) and len(paths) == 4
    assert {f"screens/{pull.dir.name}/{name}" for name in ("manifest.json", "screens-00001.jsonl", "screens-00002.jsonl")} <= set(paths)
    for entry in files:
        data = (tmp_path / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)


def test_missing_snapshot_or_source_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no raw snapshot folder"):
        snapshot.read_table(tmp_path / "nope", "google_play", "reviews")
    with pytest.raises(UserError, match="no source found"):
        snapshot.input_files(tmp_path)
    with pytest.raises(UserError, match="no complete pull of source 'opera'"):
        snapshot.read_table(tmp_path, "opera", "action")
