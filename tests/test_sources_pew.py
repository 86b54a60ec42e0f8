"""Pew ATP: the declarative mapping on the real W17 file and on a newer-layout file written by pyreadstat."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curation import snapshot
from curation.sources import pew_atp
from pisar_data.errors import UserError
from pisar_data.schema import PERSONA_ATTRIBUTES, PERSONA_VOCABULARY

# The same five people in the 2016 layout and in the newer one (codes differ where the layouts do).
PEOPLE_2016 = {
    "QKEY": [501.0, 502.0, 503.0, 504.0, 505.0],
    "WEIGHT_W17": [0.5, 1.25, 2.0, 0.75, 1.0],
    "F_AGECAT_FINAL": [1, 2, 3, 4, 99],
    "F_SEX_FINAL": [1, 2, 1, 2, 9],
    "F_EDUCCAT2_FINAL": [2, 4, 5, 6, 99],
    "F_INCOME_FINAL": [1, 5, 8, 3, 99],
    "F_CREGION_FINAL": [1, 2, 3, 4, 3],
    "F_RACETHN_RECRUITMENT": [1, 2, 3, 4, 9],
    "F_PARTY_FINAL": [1, 2, 3, 4, 99],
}
PEOPLE_NEWER = {
    "QKEY": [501.0, 502.0, 503.0, 504.0, 505.0],
    "WEIGHT_W110": [0.5, 1.25, 2.0, 0.75, 1.0],
    "F_AGECAT": [1, 2, 3, 4, 99],
    "F_GENDER": [1, 2, 1, 2, 99],
    "F_EDUCCAT2": [2, 4, 5, 6, 99],
    "F_INC_SDT1": [1, 3, 7, 1, 99],
    "F_CREGION": [1, 2, 3, 4, 3],
    "F_RACETHNMOD": [1, 2, 3, 4, 99],
    "F_PARTY_FINAL": [1, 2, 3, 4, 99],
}
NEWER_LABELS = {
    "F_AGECAT": {1: "18-29", 2: "30-49", 3: "50-64", 4: "65+", 99: "Refused"},
    "F_GENDER": {1: "A man", 2: "A woman", 3: "In some other way", 99: "Refused"},
    "F_INC_SDT1": {1: "Less than $30,000", 3: "$40,000 to less than $50,000", 7: "$80,000 to less than $90,000", 99: "Refused"},
    "F_RACETHNMOD": {1: "White non-Hispanic", 2: "Black non-Hispanic", 3: "Hispanic", 4: "Other", 5: "Asian non-Hispanic", 99: "Refused"},
}


def _write_sav(path, columns: dict, labels: dict | None = None):
    import pyreadstat

    pyreadstat.write_sav(pd.DataFrame(columns), str(path), variable_value_labels=labels or {})
    return path


@pytest.fixture(scope="module")
def w17(real_samples):
    path = real_samples / "pew" / "atp_w17_data.sav"
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    return path, pew_atp.read_wave(path), meta


def test_every_mapped_value_is_in_the_persona_vocabulary():
    for attribute, candidates in pew_atp.PEW_VARIABLES.items():
        for _, mapping in candidates:
            assert set(mapping.values()) <= set(PERSONA_VOCABULARY[attribute]), attribute


def test_newer_layout_maps_to_the_same_personas_as_the_2016_layout(tmp_path):
    old = pew_atp.read_wave(_write_sav(tmp_path / "w17.sav", PEOPLE_2016))
    new = pew_atp.read_wave(_write_sav(tmp_path / "w110.sav", PEOPLE_NEWER, NEWER_LABELS))
    assert old["wave"].unique().to_list() == ["w17"] and new["wave"].unique().to_list() == ["w110"]
    assert new["persona_source"][0] == "pew_atp_w110" and new["weight"].to_list() == [0.5, 1.25, 2.0, 0.75, 1.0]
    assert old.columns == new.columns == ["respondent_id", "wave", "weight", "persona_source", *PERSONA_ATTRIBUTES]
    shared = [a for a in PERSONA_ATTRIBUTES if a not in ("internet_use", "social_media_use", "employment")]
    assert old.select(shared).to_dicts() == new.select(shared).to_dicts()
    assert old.row(0, named=True) | {"respondent_id": None} == {
        "respondent_id": None,
        "wave": "w17",
        "weight": 0.5,
        "persona_source": "pew_atp_w17",
        "age_group": "18-29",
        "gender": "man",
        "education": "high school or less",
        "income": "under $30k",
        "region": "Northeast",
        "race_ethnicity": "White",
        "party": "Republican",
        "internet_use": None,
        "social_media_use": None,
        "employment": None,
    }
    refused = new.row(4, named=True)
    assert all(refused[a] is None for a in shared if a != "region")
    # QKEY never appears; ids are salted (the same QKEY in two files gives two ids)
    assert "QKEY" not in new.columns and set(old["respondent_id"]).isdisjoint(new["respondent_id"])


def test_unknown_layout_lists_the_variables_looked_for(tmp_path):
    path = _write_sav(tmp_path / "other.sav", {"QKEY": [1.0], "WEIGHT_W5": [1.0], "AGE": [30]})
    with pytest.raises(UserError) as error:
        pew_atp.read_wave(path)
    message = str(error.value)
    assert "other.sav" in message and "F_AGECAT_FINAL or F_AGECAT" in message and "F_SEX_FINAL or F_GENDER" in message


def test_real_w17_reads_every_respondent(w17):
    _, frame, _ = w17
    assert frame.height == 4563 and frame["respondent_id"].n_unique() == 4563
    assert frame["wave"].unique().to_list() == ["w17"] and frame["weight"].null_count() == 0
    counts = {a: dict(frame[a].value_counts().iter_rows()) for a in ("age_group", "gender", "income", "race_ethnicity")}
    assert counts["age_group"] == {"18-29": 558, "30-49": 1273, "50-64": 1428, "65+": 1300, None: 4}
    assert counts["gender"] == {"woman": 2350, "man": 2213}
    assert counts["income"][None] == 83 and counts["income"]["$150k+"] == 494  # 99 = Don't know/Refused
    assert counts["race_ethnicity"][None] == 51  # 9 = Don't know/Refused
    for attribute in PERSONA_ATTRIBUTES:
        assert set(frame[attribute].drop_nulls()) <= set(PERSONA_VOCABULARY[attribute])
    assert set(frame["education"].drop_nulls()) == set(PERSONA_VOCABULARY["education"])


def test_real_w17_only_refusals_are_dropped(w17):
    _, _, meta = w17
    used = pew_atp.layout(meta.column_names)
    assert used == {
        "age_group": "F_AGECAT_FINAL",
        "gender": "F_SEX_FINAL",
        "education": "F_EDUCCAT2_FINAL",
        "income": "F_INCOME_FINAL",
        "region": "F_CREGION_FINAL",
        "race_ethnicity": "F_RACETHN_RECRUITMENT",
        "party": "F_PARTY_FINAL",
        "internet_use": "F_INTUSER_FINAL",
        "social_media_use": "F_SNSUSER_FINAL",
    }
    for attribute, variable in used.items():
        mapping = dict(pew_atp.PEW_VARIABLES[attribute])[variable]
        for code, label in meta.variable_value_labels[variable].items():
            if int(code) not in mapping:
                assert any(word in label.lower() for word in ("refused", "don", "dk")), (variable, code, label)
    assert meta.variable_value_labels["F_INCOME_FINAL"][9.0] == "$150,000 or more"
    assert meta.variable_value_labels["F_SEX_FINAL"][1.0] == "Male"


def test_real_w17_import_is_idempotent_and_never_stores_qkey(w17, tmp_path):
    path, frame, _ = w17
    assert pew_atp.import_sav(path, tmp_path).added == {"respondents": 4563}
    assert pew_atp.import_sav(path, tmp_path).added == {}
    table = snapshot.read_table(tmp_path, "pew_atp", "respondents")
    assert table.height == 4563
    assert sorted(table["respondent_id"]) == sorted(frame["respondent_id"])
    for part in (tmp_path / "pew_atp").rglob("*.jsonl"):
        assert "QKEY" not in part.read_text()
    first = json.loads(table["values"][0])
    assert "QKEY" not in first and first["F_AGECAT_FINAL"] in (1.0, 2.0, 3.0, 4.0, 99.0, None)
