"""The embedded sample: native-format files shipped in ``curation/sample/`` imported into a raw snapshot.

``pisar build`` with no arguments calls ``import_sample`` and builds from the snapshot it returns,
so the sample goes through exactly the importers a user's own dumps go through
(``curation/sample/sources.toml`` lists the files and how each is imported).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from curation.sample import SAMPLE_DIR, SOURCES_TOML
from curation.snapshot import ID, Pull
from curation.sources import app_store, google_play, opera, pew_atp, screens


def _app_store_metadata(raw_dir: Path, entry: dict) -> None:
    """An App Store dump carries no app metadata; record what the lookup API would have returned."""
    lookup = {"trackId": int(entry["app_id"]), "trackName": entry["app_name"], "primaryGenreName": entry["genre"]}
    with Pull.open(raw_dir, "app_store", {"sample_metadata": entry["app_id"]}, {}) as pull:
        pull.add("apps", [{**lookup, ID: entry["app_id"]}], _app_id=entry["app_id"], _country=entry.get("country"))
        pull.finish()


def import_sample(raw_dir: Path) -> Path:
    """Import every file of the embedded sample into ``raw_dir`` (idempotent); returns ``raw_dir``."""
    raw_dir = Path(raw_dir)
    spec = tomllib.loads(SOURCES_TOML.read_text(encoding="utf-8"))
    for entry in spec.get("google_play", []):
        google_play.import_dump(SAMPLE_DIR / entry["file"], raw_dir, entry["app_id"], lang=entry.get("lang"), country=entry.get("country"))
    for entry in spec.get("google_play_apps", []):
        google_play.import_dump(SAMPLE_DIR / entry["file"], raw_dir, None)
    for entry in spec.get("app_store", []):
        app_store.import_dump(SAMPLE_DIR / entry["file"], raw_dir, entry["app_id"], country=entry.get("country"))
        _app_store_metadata(raw_dir, entry)
    for entry in spec.get("pew_atp", []):
        pew_atp.import_sav(SAMPLE_DIR / entry["file"], raw_dir)
    for entry in spec.get("opera", []):
        opera.import_local(SAMPLE_DIR / entry["dir"], raw_dir)
    for entry in spec.get("screens", []):
        screens.import_dir(SAMPLE_DIR / entry["dir"], raw_dir, entry["context"])
    return raw_dir
