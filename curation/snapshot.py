"""The raw snapshot store: what the sources returned, untouched, append-only.

Layout (one folder per source and pull)::

    RAW/<source>/<pull_id>/manifest.json         source, params, tool versions, times, status, files
    RAW/<source>/<pull_id>/<table>-00001.jsonl   one record per line, as the source returned it
    RAW/<source>/<pull_id>/cursor.json           where a resumable pull continues
    RAW/<source>/<pull_id>/files/<sha256>.<ext>  binary blobs (screenshots, images) by content hash

Every record carries ``_id`` (the source's own record id, the dedup key), ``_fetched_at`` and
context keys such as ``_app_id``. Each batch of records goes to a new part file written under a
temporary name and moved into place, then the cursor and the manifest are replaced the same way.
So a pull stopped at any point keeps every batch already written; resuming re-fetches at most
the batch in flight, and its records are dropped as duplicates. Records already present in any
earlier pull of the same source are never written again, so re-importing a file adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import platform
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from pisar_data.atomic import write_bytes, write_text
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file

if TYPE_CHECKING:
    import polars as pl

SOURCES = ("google_play", "app_store", "pew_atp", "opera", "screens")
ID = "_id"
MANIFEST = "manifest.json"
CURSOR = "cursor.json"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool_versions(*packages: str) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("pisar", *packages):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        raise TypeError("bytes belong in files/ (Pull.add_blob), not in a record")
    return str(value)


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=_json_default)


def _pull_dirs(source_dir: Path) -> list[Path]:
    if not source_dir.is_dir():
        return []
    return sorted(p for p in source_dir.iterdir() if p.is_dir() and (p / MANIFEST).is_file())


def _part_files(pull_dir: Path, table: str) -> list[Path]:
    return sorted(pull_dir.glob(f"{table}-[0-9][0-9][0-9][0-9][0-9].jsonl"))


def _read_jsonl(path: Path) -> Iterable[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    record = json.loads(line)
                    if not isinstance(record, dict) or ID not in record:
                        raise ValueError(f"not a record with {ID!r}")
                    yield record
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read snapshot file ({error.__class__.__name__}); expected UTF-8 JSON lines written by `pisar pull`") from None
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise UserError(f"{path}:{number}: damaged snapshot record ({error}); expected one JSON object per line — restore the file or pull again") from None


@dataclass
class PullResult:
    """What a pull or import did: its folder, records added per table, and the source's totals."""

    source: str
    pull_dir: Path
    added: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)

    @property
    def records_added(self) -> int:
        return sum(self.added.values())

    def summary(self) -> str:
        parts = [f"{table}: +{self.added.get(table, 0)} (total {n})" for table, n in sorted(self.total.items())]
        return f"{self.source} -> {self.pull_dir}: " + ", ".join(parts or ["nothing"])


class Pull:
    """One pull of one source: an append-only folder with its manifest and (optional) cursor."""

    def __init__(self, raw_dir: Path, source: str, pull_dir: Path, manifest: dict):
        self.raw_dir = Path(raw_dir)
        self.source = source
        self.dir = pull_dir
        self.manifest = manifest
        self.added: dict[str, int] = {}
        self._hashes: dict[str, dict] = dict(manifest.get("files", {}))
        self._known: dict[str, set[str]] = {}

    @classmethod
    def open(cls, raw_dir: str | Path, source: str, params: dict, tools: dict[str, str], resume: bool = True) -> Pull:
        """Continue the latest incomplete pull with the same params, or start a new one."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        source_dir = Path(raw_dir) / source
        params = json.loads(dumps(params))
        if resume:
            for pull_dir in reversed(_pull_dirs(source_dir)):
                manifest = json.loads((pull_dir / MANIFEST).read_text(encoding="utf-8"))
                if manifest["status"] == "incomplete" and manifest["params"] == params:
                    return cls(Path(raw_dir), source, pull_dir, manifest)
        source_dir.mkdir(parents=True, exist_ok=True)
        pull_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
        pull_dir = source_dir / pull_id
        pull_dir.mkdir()
        manifest = {
            "source": source,
            "pull_id": pull_id,
            "params": params,
            "tool_versions": tools,
            "started_at": now(),
            "finished_at": None,
            "status": "incomplete",
            "record_count": 0,
            "files": {},
        }
        pull = cls(Path(raw_dir), source, pull_dir, manifest)
        pull._write_manifest()
        return pull

    @property
    def source_dir(self) -> Path:
        return self.raw_dir / self.source

    @property
    def cursor(self) -> dict | None:
        path = self.dir / CURSOR
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def save_cursor(self, cursor: dict) -> None:
        write_text(self.dir / CURSOR, dumps(cursor))

    def known_ids(self, table: str) -> set[str]:
        """Record ids of ``table`` in every pull of this source (this one included)."""
        if table not in self._known:
            self._known[table] = {
                str(record[ID])
                for pull_dir in _pull_dirs(self.source_dir)
                for part in _part_files(pull_dir, table)
                for record in _read_jsonl(part)
            }
        return self._known[table]

    def add(self, table: str, records: Iterable[dict], **context) -> int:
        """Write the records not seen before as one new part file; returns how many were new.

        Each record must carry ``_id``; ``context`` keys (e.g. ``_app_id="com.x"``) and
        ``_fetched_at`` are added to every record.
        """
        known = self.known_ids(table)
        fetched_at = now()
        lines, ids = [], set()
        for record in records:
            record_id = str(record[ID])
            if record_id in known or record_id in ids:
                continue
            ids.add(record_id)
            lines.append(dumps({**record, **context, "_fetched_at": record.get("_fetched_at", fetched_at)}))
        if lines:
            index = len(_part_files(self.dir, table)) + 1
            write_text(self.dir / f"{table}-{index:05d}.jsonl", "\n".join(lines) + "\n")
            known.update(ids)
            self.added[table] = self.added.get(table, 0) + len(lines)
            self._write_manifest()
        return len(lines)

    def add_blob(self, data: bytes, ext: str) -> str:
        """Store bytes by content hash; returns the path relative to the source folder.

        A blob already stored by any pull of this source is not written again.
        """
        name = f"{sha256_bytes(data)}.{ext.lstrip('.').lower()}"
        for pull_dir in _pull_dirs(self.source_dir):
            if (pull_dir / "files" / name).is_file():
                return f"{pull_dir.name}/files/{name}"
        write_bytes(self.dir / "files" / name, data)
        return f"{self.dir.name}/files/{name}"

    def finish(self) -> PullResult:
        self.manifest["status"] = "complete"
        self.manifest["finished_at"] = now()
        self._write_manifest()
        tables = sorted({part.name.rsplit("-", 1)[0] for pull_dir in _pull_dirs(self.source_dir) for part in pull_dir.glob("*-*.jsonl")})
        total = {table: len(self.known_ids(table)) for table in tables}
        return PullResult(self.source, self.dir, dict(self.added), total)

    def _write_manifest(self) -> None:
        files, records = {}, 0
        for path in sorted(p for p in self.dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relpath = path.relative_to(self.dir).as_posix()
            if relpath in (MANIFEST, CURSOR):
                continue
            # Part files and blobs never change once written, so their hashes are computed once.
            if relpath not in self._hashes:
                entry = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
                if relpath.endswith(".jsonl"):
                    entry["records"] = sum(1 for _ in _read_jsonl(path))
                self._hashes[relpath] = entry
            files[relpath] = self._hashes[relpath]
            records += files[relpath].get("records", 0)
        self.manifest["files"] = files
        self.manifest["record_count"] = records
        write_text(self.dir / MANIFEST, json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n")


def _require_raw(raw_dir: Path) -> None:
    if not Path(raw_dir).is_dir():
        raise UserError(f"{raw_dir}: no raw snapshot folder; expected the folder `pisar pull ... --raw` wrote (default data/raw)")


def available_sources(raw_dir: str | Path) -> list[str]:
    """Sources with at least one pull in the snapshot; UserError when there is none."""
    raw_dir = Path(raw_dir)
    _require_raw(raw_dir)
    found = [source for source in SOURCES if _pull_dirs(raw_dir / source)]
    if not found:
        raise UserError(f"{raw_dir}: no source found in the raw snapshot; expected one of {', '.join(SOURCES)} (run `pisar pull`)")
    return found


def has_table(raw_dir: str | Path, source: str, table: str) -> bool:
    return any(_part_files(pull_dir, table) for pull_dir in _pull_dirs(Path(raw_dir) / source))


def _as_text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def read_table(raw_dir: str | Path, source: str, table: str) -> pl.DataFrame:
    """Every record of ``table`` over all pulls of ``source``, first occurrence of each ``_id`` kept.

    Order is stable (pull, part file, line). All columns are Utf8: strings as stored, other
    values JSON-encoded (``5``, ``true``, ``[...]``), since the same field may be a number from
    a fetch and a string from a CSV dump. ``_pull_id`` names the pull each record came from.
    """
    import polars as pl

    raw_dir = Path(raw_dir)
    _require_raw(raw_dir)
    if not _pull_dirs(raw_dir / source):
        raise UserError(f"{raw_dir / source}: no pull of source {source!r} in the raw snapshot; run `pisar pull` for it first")
    columns: dict[str, list] = {}
    seen: set[str] = set()
    n = 0
    for pull_dir in _pull_dirs(raw_dir / source):
        for part in _part_files(pull_dir, table):
            for record in _read_jsonl(part):
                if str(record[ID]) in seen:
                    continue
                seen.add(str(record[ID]))
                record = {**record, "_pull_id": pull_dir.name}
                for key in record:
                    if key not in columns:
                        columns[key] = [None] * n
                for key, values in columns.items():
                    values.append(_as_text(record.get(key)))
                n += 1
    return pl.DataFrame({key: pl.Series(key, values, dtype=pl.Utf8) for key, values in columns.items()}, height=n)


def input_files(raw_dir: str | Path) -> list[dict]:
    """Every file of the snapshot as ``{"path", "sha256", "bytes"}`` (path relative to raw_dir, sorted).

    Hashes come from the manifests where recorded; a file a crash left out of its manifest is hashed here.
    """
    raw_dir = Path(raw_dir)
    available_sources(raw_dir)
    out = []
    for source in SOURCES:
        for pull_dir in _pull_dirs(raw_dir / source):
            recorded = json.loads((pull_dir / MANIFEST).read_text(encoding="utf-8"))["files"]
            for path in sorted(p for p in pull_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
                relpath = path.relative_to(pull_dir).as_posix()
                entry = recorded.get(relpath) or {"sha256": sha256_file(path), "bytes": path.stat().st_size}
                out.append({"path": path.relative_to(raw_dir).as_posix(), "sha256": entry["sha256"], "bytes": entry["bytes"]})
    return out
