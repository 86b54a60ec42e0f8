"""Pew Research Center American Trends Panel (ATP) waves: SPSS ``.sav`` files read with pyreadstat.

A wave's demographic profile variables are mapped to the project's persona vocabulary (``pisar_data.schema.PERSONA_VOCABULARY``) through one
declarative table, ``PEW_VARIABLES``: for each persona attribute, the candidate variables in the
order they are tried (2016-era suffixed names first, then the newer ones) with the code -> value map
of each. Codes a map does not list (Refused 99, Don't know 9/98 — ordinary labelled values in Pew
files, not SPSS user-missing — and bands that straddle one of our cut points) become missing.

``QKEY`` is never stored: a respondent is ``sha256(salt:QKEY)``, the salt being the file's own
SHA-256, so ids are stable for the same file and cannot be recomputed without it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl

from curation.snapshot import ID, Pull, PullResult, tool_versions
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.schema import PERSONA_ATTRIBUTES
from pisar_data.user_files import read_sav

SOURCE = "pew_atp"
TOOLS = ("pyreadstat",)
SAV = "a Pew ATP wave as SPSS .sav"

AGE = {1: "18-29", 2: "30-49", 3: "50-64", 4: "65+"}
SEX = {1: "man", 2: "woman"}
GENDER = {1: "man", 2: "woman", 3: "other"}  # F_GENDER: A man / A woman / In some other way
EDUCATION_3 = {1: "college graduate", 2: "some college", 3: "high school or less"}  # "College graduate+" keeps no postgrad split
EDUCATION_6 = {
    1: "high school or less",
    2: "high school or less",
    3: "some college",
    4: "some college",
    5: "college graduate",
    6: "postgraduate",
}
INCOME_9 = {
    1: "under $30k",
    2: "under $30k",
    3: "under $30k",
    4: "$30k-$75k",
    5: "$30k-$75k",
    6: "$30k-$75k",
    7: "$75k-$150k",
    8: "$75k-$150k",
    9: "$150k+",
}
# F_INC_SDT1 bands are $10k wide up to "$100,000 or more": $70-80k (6) and $100k+ (9) straddle our cut points.
INCOME_SDT1 = {1: "under $30k", 2: "$30k-$75k", 3: "$30k-$75k", 4: "$30k-$75k", 5: "$30k-$75k", 7: "$75k-$150k", 8: "$75k-$150k"}
REGION = {1: "Northeast", 2: "Midwest", 3: "South", 4: "West"}
RACE_4 = {1: "White", 2: "Black", 3: "Hispanic", 4: "Other"}  # White/Black non-Hispanic, Hispanic, Other
RACE_5 = {**RACE_4, 5: "Asian"}  # F_RACETHNMOD adds Asian non-Hispanic
PARTY = {1: "Republican", 2: "Democrat", 3: "Independent", 4: "Other"}  # 4 = Something else
INTERNET = {0: "non-user", 1: "internet user"}
SOCIAL_MEDIA = {1: "social media user", 2: "non-user"}

PEW_VARIABLES: dict[str, tuple[tuple[str, dict[int, str]], ...]] = {
    "age_group": (("F_AGECAT_FINAL", AGE), ("F_AGECAT", AGE)),
    "gender": (("F_SEX_FINAL", SEX), ("F_GENDER", GENDER), ("F_SEX", SEX)),
    "education": (
        ("F_EDUCCAT2_FINAL", EDUCATION_6),
        ("F_EDUCCAT2", EDUCATION_6),
        ("F_EDUCCAT_FINAL", EDUCATION_3),
        ("F_EDUCCAT", EDUCATION_3),
    ),
    "income": (("F_INCOME_FINAL", INCOME_9), ("F_INCOME", INCOME_9), ("F_INC_SDT1", INCOME_SDT1)),
    "region": (("F_CREGION_FINAL", REGION), ("F_CREGION", REGION)),
    "race_ethnicity": (("F_RACETHN_RECRUITMENT", RACE_4), ("F_RACETHNMOD", RACE_5), ("F_RACETHN", RACE_4)),
    "party": (("F_PARTY_FINAL", PARTY), ("F_PARTY", PARTY)),
    "internet_use": (("F_INTUSER_FINAL", INTERNET), ("F_INTUSER", INTERNET)),
    "social_media_use": (("F_SNSUSER_FINAL", SOCIAL_MEDIA), ("F_SNSUSER", SOCIAL_MEDIA)),
}
# A file is a known layout when it has a key, a wave weight and at least these attributes.
REQUIRED_ATTRIBUTES = ("age_group", "gender")
WEIGHT = re.compile(r"WEIGHT_W(\d+)")


def layout(columns: list[str]) -> dict[str, str]:
    """attribute -> the variable of ``columns`` that feeds it (first candidate present)."""
    present = set(columns)
    return {
        attribute: next(var for var, _ in candidates if var in present)
        for attribute, candidates in PEW_VARIABLES.items()
        if any(var in present for var, _ in candidates)
    }


def map_values(values: dict[str, float | int | None]) -> dict[str, str | None]:
    """Persona attributes from a respondent's raw codes (``{variable: code}``); absent -> None."""
    found = layout(list(values))
    out = dict.fromkeys(PERSONA_ATTRIBUTES)
    for attribute, variable in found.items():
        code = values[variable]
        mapping = dict(PEW_VARIABLES[attribute])[variable]
        out[attribute] = mapping.get(int(code)) if code is not None and code == code else None
    return out


def _key_text(qkey) -> str:
    return str(int(qkey)) if isinstance(qkey, float) and qkey.is_integer() else str(qkey)


def _read(path: Path) -> tuple[str, str, list[dict]]:
    """(wave, weight variable, raw records without QKEY) of a .sav file; UserError when it is not one."""
    _, meta = read_sav(path, SAV, metadata_only=True)
    columns = list(meta.column_names)
    weights = [c for c in columns if WEIGHT.fullmatch(c)]
    found = layout(columns)
    lacking = [a for a in REQUIRED_ATTRIBUTES if a not in found]
    if "QKEY" not in columns or not weights or lacking:
        looked_for = "; ".join(f"{a}: {' or '.join(v for v, _ in PEW_VARIABLES[a])}" for a in PEW_VARIABLES)
        raise UserError(
            f"{path}: not a known Pew ATP layout (needs QKEY, WEIGHT_W<wave> and the {', '.join(REQUIRED_ATTRIBUTES)} variables); looked for {looked_for}"
        )
    weight = weights[0]
    variables = sorted(set(found.values()))
    frame, _ = read_sav(path, SAV, columns=["QKEY", weight, *variables])
    salt = sha256_file(path)
    records = []
    for row in frame.to_dict(orient="records"):
        respondent = hashlib.sha256(f"{salt}:{_key_text(row['QKEY'])}".encode()).hexdigest()[:20]
        codes = {v: (None if row[v] != row[v] else row[v]) for v in variables}
        records.append({"respondent_id": respondent, "weight": row[weight], "values": codes})
    return f"w{int(WEIGHT.fullmatch(weight).group(1))}", weight, records


def profiles(records: list[dict], wave: str) -> pl.DataFrame:
    """The pew_profiles table from raw respondent records."""
    rows = [
        {
            "respondent_id": r["respondent_id"],
            "wave": wave,
            "weight": None if r["weight"] is None else float(r["weight"]),
            "persona_source": f"pew_atp_{wave}",
            **map_values(r["values"]),
        }
        for r in records
    ]
    schema = {
        "respondent_id": pl.Utf8,
        "wave": pl.Utf8,
        "weight": pl.Float64,
        "persona_source": pl.Utf8,
        **dict.fromkeys(PERSONA_ATTRIBUTES, pl.Utf8),
    }
    return pl.DataFrame(rows, schema=schema)


def read_wave(path: str | Path) -> pl.DataFrame:
    """One row per respondent: respondent_id (salted hash), wave ("w17"), weight, persona_source, attributes."""
    wave, _, records = _read(Path(path))
    return profiles(records, wave)


def import_sav(path: str | Path, raw_dir: str | Path) -> PullResult:
    """Store a wave's respondents (raw demographic codes, weight; no QKEY) in the raw snapshot."""
    path = Path(path)
    wave, weight, records = _read(path)
    params = {"from_file": path.name, "sha256": sha256_file(path), "wave": wave, "weight_variable": weight}
    with Pull.open(raw_dir, SOURCE, params, tool_versions(*TOOLS)) as pull:
        pull.add("respondents", [{**r, ID: f"{wave}:{r['respondent_id']}", "wave": wave} for r in records], _wave=wave)
        return pull.finish()
