"""The hybrid extractor's fitted artefact: rebuilt from the tuning part alone, byte for byte, and its
version reaches the manifest; extraction is deterministic."""

from __future__ import annotations

import json

from curation import extraction_dev
from curation.extractors import make_extractor
from curation.extractors.config import Config
from curation.extractors.fit import fit, render
from curation.extractors.hybrid import MODEL


def test_the_shipped_model_is_rebuilt_byte_for_byte_from_the_tuning_part_only():
    tuning = extraction_dev.load("tuning")
    model = fit(tuning)
    assert render(model) == MODEL.read_text(encoding="utf-8")  # deterministic, and the shipped file is current
    heldout_apps = {row.app for row in extraction_dev.load("heldout")}
    assert not heldout_apps & set(model["fitted_on"]["apps"])
    assert model["version"] == make_extractor(Config()).version


def test_the_version_changes_with_the_fitted_content():
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    changed = fit(extraction_dev.load("tuning")[:-40])  # other data: other weights, other version
    assert changed["version"] != model["version"]


def test_extraction_is_deterministic():
    rows = extraction_dev.load()[:200]
    inputs = [row.as_input() for row in rows]
    first = make_extractor(Config()).extract_all(inputs, lambda items, description="", total=None: items)
    again = make_extractor(Config()).extract_all(list(reversed(inputs)), lambda items, description="", total=None: items)
    assert first == list(reversed(again))  # the same review gives the same result, whatever the order
