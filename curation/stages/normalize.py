"""normalize: the raw snapshot -> one table per kind of record, in the project's own columns.

Reads only ``ctx.snapshot_dir`` (through ``curation.snapshot.read_table``). Google Play and App
Store records — fetched or imported from dumps — become the same ``reviews`` columns; ids are
derived from source + app + the source's record id (never the raw id itself); OPeRA user ids and
Pew respondents appear only as salted hashes. A source absent from the snapshot (or not selected)
gives empty tables with the right columns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import polars as pl

from curation import snapshot
from curation.sources import pew_atp
from curation.stages import BuildContext, StageResult, Tables
from pisar_data.schema import PERSONA_ATTRIBUTES

NAME = "normalize"

REVIEWS_SCHEMA = {
    "review_id": pl.Utf8,
    "source": pl.Utf8,
    "context_id": pl.Utf8,
    "context_name": pl.Utf8,
    "genre": pl.Utf8,
    "title": pl.Utf8,
    "text": pl.Utf8,
    "rating": pl.Int32,
    "reply_text": pl.Utf8,
    "app_version": pl.Utf8,
    "lang": pl.Utf8,
    "country": pl.Utf8,
    "created_at": pl.Datetime("us"),
}
APPS_SCHEMA = {"context_id": pl.Utf8, "source": pl.Utf8, "context_name": pl.Utf8, "genre": pl.Utf8, "summary": pl.Utf8}
PEW_SCHEMA = {
    "respondent_id": pl.Utf8,
    "wave": pl.Utf8,
    "weight": pl.Float64,
    "persona_source": pl.Utf8,
    **dict.fromkeys(PERSONA_ATTRIBUTES, pl.Utf8),
}
OPERA_ACTIONS_SCHEMA = {
    name: pl.Utf8
    for name in (
        "action_id",
        "session_id",
        "user_key",
        "timestamp",
        "action_type",
        "click_type",
        "semantic_id",
        "element_meta",
        "input_text",
        "rationale",
        "products",
        "url",
        "page_meta",
        "simplified_html",
        "image_path",
        "context_id",
        "context_name",
    )
}
OPERA_USERS_SCHEMA = {"user_key": pl.Utf8, "survey": pl.Utf8}
SCREENS_SCHEMA = {
    "screen_id": pl.Utf8,
    "context_id": pl.Utf8,
    "image_path": pl.Utf8,
    "screen_text": pl.Utf8,
    "screen_source": pl.Utf8,
    "width": pl.Int32,
    "height": pl.Int32,
    "text_source": pl.Utf8,
}
SUMMARY_CHARS = 300  # App Store descriptions are long; apps.summary keeps the first line, at most this long


@dataclass
class Config:
    """Which snapshot sources the build reads (all by default); unlisted or absent ones give empty tables."""

    sources: tuple[str, ...] = snapshot.SOURCES

    def __post_init__(self):
        unknown = [s for s in self.sources if s not in snapshot.SOURCES]
        if unknown:
            raise ValueError(f"sources: unknown source {unknown[0]!r}; expected some of {', '.join(snapshot.SOURCES)}")


def stable_id(prefix: str, *parts: str) -> str:
    return f"{prefix}-" + hashlib.sha256(":".join(parts).encode("utf-8")).hexdigest()[:16]


def user_key(user_id: str) -> str:
    return stable_id("u", "opera", user_id)


def _label(value: str | None) -> str | None:
    """The ``label`` of a feed field stored as JSON text (``{"label": ...}``), else the value itself."""
    if value is None or not value.startswith("{"):
        return value
    try:
        return json.loads(value).get("label")
    except ValueError:
        return value


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _rating(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _reply(value: str | None) -> str | None:
    """App Store developerResponse (a dict stored as JSON text) -> its body."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return value
    return data.get("body") if isinstance(data, dict) else value


def _table(raw: Path, source: str, table: str) -> list[dict]:
    return snapshot.read_table(raw, source, table).to_dicts() if snapshot.has_table(raw, source, table) else []


def _frame(rows: list[dict], schema: dict, sort: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame([{k: row.get(k) for k in schema} for row in rows], schema=schema)
    return frame.sort(sort, nulls_last=True, maintain_order=True) if rows else frame


def _apps(raw: Path, sources: list[str]) -> list[dict]:
    apps = []
    if "google_play" in sources:
        for r in _table(raw, "google_play", "apps"):
            apps.append(
                {
                    "context_id": r["appId"],
                    "source": "google_play",
                    "context_name": r.get("title") or r["appId"],
                    "genre": r.get("genre"),
                    "summary": r.get("summary"),
                }
            )
    if "app_store" in sources:
        for r in _table(raw, "app_store", "apps"):
            description = (r.get("description") or "").strip().split("\n")[0][:SUMMARY_CHARS] or None
            apps.append(
                {
                    "context_id": r["_id"],
                    "source": "app_store",
                    "context_name": r.get("trackName") or r["_id"],
                    "genre": r.get("primaryGenreName"),
                    "summary": description,
                }
            )
    return apps


def _reviews(raw: Path, sources: list[str], apps: dict[tuple[str, str], dict]) -> list[dict]:
    rows = []
    if "google_play" in sources:
        for r in _table(raw, "google_play", "reviews"):
            app_id = r["_app_id"]
            app = apps.get(("google_play", app_id), {})
            rows.append(
                {
                    "review_id": stable_id("gp", "google_play", app_id, r["_id"]),
                    "source": "google_play",
                    "context_id": app_id,
                    "context_name": app.get("context_name") or app_id,
                    "genre": app.get("genre"),
                    "title": None,
                    "text": r.get("content") or "",
                    "rating": _rating(r.get("score")),
                    "reply_text": r.get("replyContent"),
                    "app_version": r.get("appVersion") or r.get("reviewCreatedVersion"),
                    "lang": r.get("_lang"),
                    "country": r.get("_country"),
                    "created_at": _timestamp(r.get("at")),
                }
            )
    if "app_store" in sources:
        for r in _table(raw, "app_store", "reviews"):
            app_id = r["_app_id"]
            app = apps.get(("app_store", app_id), {})
            dump = r.get("review") is not None or r.get("date") is not None
            rows.append(
                {
                    "review_id": stable_id("as", "app_store", app_id, r["_id"]),
                    "source": "app_store",
                    "context_id": app_id,
                    "context_name": app.get("context_name") or app_id,
                    "genre": app.get("genre"),
                    "title": r.get("title") if dump else _label(r.get("title")),
                    "text": (r.get("review") if dump else _label(r.get("content"))) or "",
                    "rating": _rating(r.get("rating") if dump else _label(r.get("im:rating"))),
                    "reply_text": _reply(r.get("developerResponse")),
                    "app_version": None if dump else _label(r.get("im:version")),
                    "lang": None,
                    "country": r.get("_country"),
                    "created_at": _timestamp(r.get("date") if dump else _label(r.get("updated"))),
                }
            )
    return rows


def _pew(raw: Path) -> pl.DataFrame:
    frames = []
    records = _table(raw, "pew_atp", "respondents")
    for wave in sorted({r["wave"] for r in records}):
        part = [
            {
                "respondent_id": r["respondent_id"],
                "weight": None if r["weight"] is None else float(r["weight"]),
                "values": json.loads(r["values"]),
            }
            for r in records
            if r["wave"] == wave
        ]
        frames.append(pew_atp.profiles(part, wave))
    return pl.concat(frames) if frames else pl.DataFrame(schema=PEW_SCHEMA)


def site_of(url: str | None) -> str | None:
    """The site a URL belongs to: "https://www.amazon.com/dp/X" -> "amazon.com"."""
    if not url:
        return None
    if url.startswith('"'):
        try:
            url = json.loads(url)
        except ValueError:
            return None
    host = (urlparse(url if "://" in url else f"https://{url}").hostname or "").lower()
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return host or None
    # keep three labels for country-code second levels (amazon.co.uk, amazon.com.au)
    keep = 3 if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac", "gov") and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def _opera(raw: Path) -> tuple[list[dict], list[dict]]:
    sessions = {r["session_id"]: r.get("user_id") for r in _table(raw, "opera", "session")}
    images = {r["image_name"]: str((raw / "opera" / r["file"]).resolve()) for r in _table(raw, "opera", "image") if r.get("file")}
    actions = []
    for r in _table(raw, "opera", "action"):
        user_id = sessions.get(r["session_id"]) or r["session_id"].split("_", 1)[0]
        site = site_of(r.get("url"))
        image = r.get("image")
        actions.append(
            {
                **{k: r.get(k) for k in OPERA_ACTIONS_SCHEMA},
                "user_key": user_key(user_id),
                "image_path": images.get(image) if image else None,
                "context_id": site,
                "context_name": site.split(".")[0].capitalize() if site else None,
            }
        )
    users = [{"user_key": user_key(r["user_id"]), "survey": r.get("survey")} for r in _table(raw, "opera", "user")]
    return actions, users


def _screens(raw: Path, sources: list[str]) -> list[dict]:
    rows = []
    if "screens" in sources:
        for r in _table(raw, "screens", "screens"):
            rows.append(
                {
                    "screen_id": r["sha256"],
                    "context_id": r["context_id"],
                    "image_path": str((raw / "screens" / r["file"]).resolve()),
                    "screen_text": r.get("screen_text") or "",
                    "screen_source": "user_supplied",
                    "width": int(r["width"]),
                    "height": int(r["height"]),
                    "text_source": r.get("text_source"),
                }
            )
    if "google_play" in sources:
        for r in _table(raw, "google_play", "screenshots"):
            rows.append(
                {
                    "screen_id": r["sha256"],
                    "context_id": r["context_id"],
                    "image_path": str((raw / "google_play" / r["file"]).resolve()),
                    "screen_text": "",
                    "screen_source": "google_play_listing",
                    "width": int(r["width"]),
                    "height": int(r["height"]),
                    "text_source": "none",
                }
            )
    return rows


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    raw = Path(ctx.snapshot_dir)
    sources = [s for s in snapshot.available_sources(raw) if s in config.sources]
    ctx.log(f"normalize: reading {', '.join(sources) or 'no source'} from {raw}")
    app_rows = _apps(raw, sources)
    apps_by_key = {(a["source"], a["context_id"]): a for a in app_rows}
    reviews = _frame(_reviews(raw, sources, apps_by_key), REVIEWS_SCHEMA, ["source", "context_id", "review_id"])
    apps = _frame(list(apps_by_key.values()), APPS_SCHEMA, ["source", "context_id"])
    pew = _pew(raw).sort("respondent_id") if "pew_atp" in sources else pl.DataFrame(schema=PEW_SCHEMA)
    actions, users = _opera(raw) if "opera" in sources else ([], [])
    opera_actions = _frame(actions, OPERA_ACTIONS_SCHEMA, ["session_id", "action_id"])
    opera_users = _frame(users, OPERA_USERS_SCHEMA, ["user_key"])
    screens = _frame(_screens(raw, sources), SCREENS_SCHEMA, ["context_id", "screen_id"]).unique(
        ["context_id", "screen_id"], keep="first", maintain_order=True
    )
    out = {
        "reviews": reviews,
        "apps": apps,
        "pew_profiles": pew,
        "opera_actions": opera_actions,
        "opera_users": opera_users,
        "screens": screens,
    }
    counts = {name: frame.height for name, frame in out.items()}
    counts |= {f"reviews_{source}": reviews.filter(pl.col("source") == source).height for source in ("google_play", "app_store")}
    counts["sources"] = ",".join(sources)
    return StageResult(out, counts)
