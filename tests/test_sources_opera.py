"""OPeRA: local parquet copies (Hub layout, image structs), CSV as `datasets` writes it, and the Hub path."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from curation import snapshot
from curation.sources import opera
from pisar_data.errors import UserError

USER = "0f3c2a1e-1111-4222-8333-444455556666"
SESSION = f"{USER}_2025-01-02T10:00:00_2025-01-02T10:20:00"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 120, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def write_opera_copy(root: Path) -> Path:
    """A tiny local copy in the Hub's OPeRA_filtered layout (every field a string, as on the card)."""
    base = root / "OPeRA_filtered"
    actions = {
        "session_id": [SESSION, SESSION],
        "action_id": ["a1", "a2"],
        "timestamp": ["2025-01-02T10:01:00", "2025-01-02T10:02:00"],
        "action_type": ["input", "click"],
        "click_type": [None, "purchase"],
        "semantic_id": ["search_input", "buy_now"],
        "mouse_position": ["{}", "{}"],
        "element_meta": ['{"tag": "input"}', '{"tag": "button", "text": "Buy Now"}'],
        "url": ["https://www.amazon.com/", "https://www.amazon.com/dp/B0TEST"],
        "window_size": ["{}", "{}"],
        "page_meta": ['{"title": "Amazon"}', "not json {"],
        "simplified_html": ["<html>search</html>", "<html>product</html>"],
        "rationale": [None, "It was the cheapest with good reviews"],
        "products": ["[]", '[{"asin": "B0TEST"}]'],
        "input_text": ["usb c cable", None],
        "image": ["shot-a1.jpg", "missing.jpg"],
    }
    (base / "action").mkdir(parents=True)
    pq.write_table(pa.table(actions), base / "action" / "train-00000-of-00001.parquet")
    (base / "session" / "train").mkdir(parents=True)
    pq.write_table(
        pa.table({"session_id": [SESSION], "user_id": [USER], "action_count": [2]}), base / "session" / "train" / "train.parquet"
    )
    (base / "user" / "test").mkdir(parents=True)
    survey = json.dumps({"Demographic Information": {"Gender": "Female", "Age": "25-34 years old"}})
    users = {
        "user_id": [USER],
        "survey": [survey],
        "raw_survey": ["{}"],
        "interview_transcript": ["..."],
        "interview_transcript_processed": ["..."],
    }
    pq.write_table(pa.table(users), base / "user" / "test" / "test.parquet")
    (base / "images").mkdir(parents=True)
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    images = pa.table({"image": pa.array([{"bytes": _jpeg(), "path": "shot-a1.jpg"}], type=image_type), "image_name": ["shot-a1.jpg"]})
    pq.write_table(images, base / "images" / "train-00000-of-00001.parquet")
    return root


def test_local_parquet_copy_keeps_all_four_tables_and_image_blobs(tmp_path):
    local = write_opera_copy(tmp_path / "OPeRA")
    result = opera.import_local(local, tmp_path / "raw")
    assert result.added == {"action": 2, "session": 1, "user": 1, "image": 1}
    raw = tmp_path / "raw"
    actions = snapshot.read_table(raw, "opera", "action")
    assert actions["_id"].to_list() == [f"{SESSION}:a1", f"{SESSION}:a2"]
    assert actions["page_meta"][1] == "not json {" and actions["_split"][0] == "train"
    image = snapshot.read_table(raw, "opera", "image").row(0, named=True)
    assert (image["image_name"], image["width"], image["height"]) == ("shot-a1.jpg", "64", "40")
    assert (raw / "opera" / image["file"]).read_bytes() == _jpeg() and image["file"].endswith(".jpg")
    assert snapshot.read_table(raw, "opera", "user")["_split"].to_list() == ["test"]
    assert opera.import_local(local, raw).added == {}


def test_real_user_csv_written_by_datasets(real_samples, tmp_path):
    local = real_samples / "opera"
    assert opera.import_local(local, tmp_path).added == {"user": 2}
    assert opera.import_local(local, tmp_path).added == {}
    users = snapshot.read_table(tmp_path, "opera", "user")
    assert users["user_id"].to_list()[0] == "7f0c8207-6a6f-49cd-9d7e-17987cfafcb9"
    survey = json.loads(users["survey"][0])
    assert survey["Demographic Information"]["Gender"] == "Female"


def test_hub_download_uses_allow_patterns_and_the_env_token(tmp_path, monkeypatch):
    import huggingface_hub

    calls = []
    hub_copy = write_opera_copy(tmp_path / "cache" / "0123abcd")

    def fake_snapshot_download(**kwargs):
        calls.append(kwargs)
        return str(hub_copy)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    result = opera.pull(tmp_path / "raw", images=True)
    (call,) = calls
    assert call["repo_id"] == "NEU-HAI/OPeRA" and call["repo_type"] == "dataset" and call["token"] == "hf_test_token"
    assert "OPeRA_filtered/images/*" in call["allow_patterns"] and "OPeRA_filtered/action/*" in call["allow_patterns"]
    manifest = json.loads((result.pull_dir / "manifest.json").read_text())
    assert manifest["params"] == {"repo": "NEU-HAI/OPeRA", "revision": "0123abcd", "variant": "filtered", "images": True}
    assert result.added["action"] == 2


def test_folder_without_opera_tables_is_a_user_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="no OPeRA table found"):
        opera.import_local(tmp_path, tmp_path / "raw")
    assert not (tmp_path / "raw").exists()
