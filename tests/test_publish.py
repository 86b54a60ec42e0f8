"""`pisar publish` against a fake Hub at huggingface_hub's HTTP boundary (no network)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "card"))
from card_build import shared_build  # noqa: E402
from fake_hub import FakeHub  # noqa: E402

from curation import publish  # noqa: E402
from pisar_data.cli import main as pisar  # noqa: E402

REPO = "pisar-test/pisar"
SHARD = "data/train-00001-of-00002.parquet"


@pytest.fixture
def folder(tmp_path_factory, tmp_path) -> Path:
    source, _, _ = shared_build(tmp_path_factory)
    return Path(shutil.copytree(source, tmp_path / "pisar"))


@pytest.fixture
def hub(monkeypatch):
    yield FakeHub().install(monkeypatch)
    FakeHub.uninstall()


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "build" / "manifest.json").read_text())


def _rewrite(folder: Path, relpath: str, content: bytes) -> None:
    """Replace a file and update the manifest to match, so only the content checks can catch it."""
    (folder / relpath).write_bytes(content)
    manifest = _manifest(folder)
    manifest["files"][relpath].update(sha256=hashlib.sha256(content).hexdigest(), bytes=len(content))
    (folder / "build" / "manifest.json").write_text(json.dumps(manifest))


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _publish(folder: Path, *extra: str) -> int:
    return pisar(["publish", str(folder), "--repo", REPO, *extra])


def test_dry_run_lists_every_file_and_changes_nothing(folder, hub, capsys):
    assert _publish(folder, "--dry-run") == 0
    out = capsys.readouterr().out
    for relpath, entry in _manifest(folder)["files"].items():
        assert f"{entry['bytes']:>14,}  {relpath}" in out
    assert "build/manifest.json" in out and "Nothing was changed" in out
    assert "PiSAR 0.1.0: 48 rows (train 24, validation 12, test 12)" in out
    assert hub.log == []  # not a single request


def test_first_upload_then_unchanged_reupload(folder, hub, capsys):
    assert _publish(folder) == 0
    out, err = capsys.readouterr()
    repo = hub.repos[REPO]
    assert len(repo.commits) == 1
    assert repo.commits[0]["summary"] == "PiSAR 0.1.0: 48 rows (train 24, validation 12, test 12)"
    local = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert repo.files == local
    assert SHARD in repo.lfs_paths and "README.md" not in repo.lfs_paths
    assert f"Dataset: https://huggingface.co/datasets/{REPO}" in out
    assert f'datasets.load_dataset("{REPO}")' in out
    assert f"Checked the Hub: all {len(local)} files are there" in out

    requests_before = len(hub.log)
    assert _publish(folder) == 0
    out2, err2 = capsys.readouterr()
    assert "nothing was uploaded" in out2
    assert len(repo.commits) == 1
    assert [m for m, _ in hub.log[requests_before:] if m == "PUT"] == []
    # the token is never shown nor written
    for text in (out, err, out2, err2, *(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())):
        assert hub.token not in text


def test_private_repo_and_stale_shards_removed(folder, hub, capsys):
    assert _publish(folder, "--private") == 0
    repo = hub.repos[REPO]
    assert repo.private
    repo.files["data/train-00002-of-00003.parquet"] = b"old shard from a previous version"
    repo.files["NOTES.txt"] = b"added on the Hub by hand"
    capsys.readouterr()
    assert _publish(folder) == 0
    out = capsys.readouterr().out
    assert repo.commits[-1]["deleted"] == ["data/train-00002-of-00003.parquet"] and repo.commits[-1]["added"] == []
    assert "NOTES.txt" in repo.files and "repo also has files this folder does not: NOTES.txt" in out


@pytest.mark.parametrize(
    "tamper, problem",
    [
        ("bytes", "bytes, but build/manifest.json says"),
        ("sha256", "data/train-00001-of-00002.parquet: SHA-256 does not match build/manifest.json"),
        ("unlisted", "data/extra.parquet: file not listed in build/manifest.json"),
        ("missing", "data/test-00000-of-00001.parquet: listed in build/manifest.json but missing"),
        ("schema", "data/train-00001-of-00002.parquet: schema differs from pisar_data.schema.ARROW_SCHEMA (column rating is double, expected int32)"),
        ("forbidden", "data/train-00001-of-00002.parquet: forbidden field 'userName'"),
        ("pii", "data/train-00001-of-00002.parquet: row {last_id}, column rationale:"),
        ("card", "README.md: forbidden field 'reviewId' in the card"),
        ("card_pii", "README.md: example row toy-0005, field rationale: phone found"),
    ],
)
def test_tampered_folder_is_refused(folder, hub, capsys, tamper, problem):
    shard = folder / SHARD
    table = pq.read_table(shard)
    if tamper == "bytes":
        shard.write_bytes(shard.read_bytes() + b"x")
    elif tamper == "sha256":
        data = bytearray(shard.read_bytes())
        data[100] ^= 0xFF
        shard.write_bytes(bytes(data))
    elif tamper == "unlisted":
        shutil.copy(shard, folder / "data" / "extra.parquet")
    elif tamper == "missing":
        (folder / "data" / "test-00000-of-00001.parquet").unlink()
    elif tamper == "schema":
        index = table.schema.get_field_index("rating")
        _rewrite(folder, SHARD, _parquet_bytes(table.set_column(index, "rating", table["rating"].cast(pa.float64()))))
    elif tamper == "forbidden":
        _rewrite(folder, SHARD, _parquet_bytes(table.append_column("userName", pa.array(["someone"] * table.num_rows))))
    elif tamper == "pii":
        index = table.schema.get_field_index("rationale")
        texts = table["rationale"].to_pylist()
        texts[-1] = "support never answered, write to me at jane.doe@example.com"
        _rewrite(folder, SHARD, _parquet_bytes(table.set_column(index, table.schema.field(index), pa.array(texts))))
    elif tamper == "card":
        text = (folder / "README.md").read_text()
        _rewrite(folder, "README.md", text.replace('"id": "toy-', '"reviewId": "toy-', 1).encode())
    elif tamper == "card_pii":
        text = (folder / "README.md").read_text()
        _rewrite(folder, "README.md", text.replace('"rationale": "', '"rationale": "call me on +1 555 123 4567, ', 1).encode())
    assert _publish(folder) == 2
    err = capsys.readouterr().err
    assert err.startswith("pisar publish: error: ") and err.count("\n") == 1
    assert problem.format(last_id=table["id"][-1]) in err
    assert hub.log == []  # refused before any request


def test_server_error_mid_upload_then_retry_completes(folder, hub, capsys):
    failing = _manifest(folder)["files"][SHARD]["sha256"]
    hub.fail_oids = {failing}
    assert _publish(folder) == 1
    err = capsys.readouterr().err
    assert f"upload to {REPO} failed: Error while uploading '{SHARD}' to the Hub." in err
    assert "500" in err and "run the same command again to resume" in err
    assert hub.repos[REPO].commits == []  # nothing half-committed
    uploaded_first = set(hub.lfs_store)
    assert failing not in uploaded_first and len(uploaded_first) >= 1

    hub.fail_oids.clear()
    start = len(hub.log)
    assert _publish(folder) == 0
    assert "Checked the Hub" in capsys.readouterr().out
    resent = [path.rsplit("/", 1)[1] for method, path in hub.log[start:] if method == "PUT"]
    # The retry sends the failed file and whatever the first attempt's upload threads had not
    # finished when it stopped — never a file already on the Hub, never one twice.
    assert failing in resent and len(resent) == len(set(resent))
    assert not set(resent) & uploaded_first
    repo = hub.repos[REPO]
    assert len(repo.commits) == 1
    assert repo.files[SHARD] == (folder / SHARD).read_bytes()


def test_large_folder_goes_through_the_resumable_folder_upload(folder, hub, capsys):
    assert publish.main([str(folder), "--repo", REPO], config=publish.PublishConfig(single_commit_max_bytes=1)) == 0
    assert "resumable folder upload" in capsys.readouterr().out
    local = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert hub.repos[REPO].files == local


def test_without_a_token_nothing_is_sent(folder, hub, monkeypatch, tmp_path, capsys):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-tokens"))
    assert _publish(folder) == 2
    assert "no Hugging Face token: set HF_TOKEN or run `hf auth login`" in capsys.readouterr().err
    assert hub.log == []


def test_bad_repo_id_is_refused(folder, hub, capsys):
    assert pisar(["publish", str(folder), "--repo", "just-a-name"]) == 2
    assert "--repo 'just-a-name': expected ORG/NAME" in capsys.readouterr().err
