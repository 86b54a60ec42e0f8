"""The raw snapshot store: what the sources returned, untouched, append-only.

Layout (one folder per source and pull)::

    RAW/<source>/.lock                           held by the one import or pull writing to the source
    RAW/<source>/<pull_id>/manifest.json         source, params, tool versions, times, status, files
    RAW/<source>/<pull_id>/<table>-00001.jsonl   one record per line, as the source returned it
    RAW/<source>/<pull_id>/cursor.json           where a resumable pull continues
    RAW/<source>/<pull_id>/files/<sha256>.<ext>  binary blobs (screenshots, images) by content hash

Every record carries ``_id`` (the source's own record id), ``_fetched_at`` and context keys such
as ``_app_id``. Records are written exactly once, also under concurrency and interruption:

- one pull or import writes to a source at a time (a lock on ``RAW/<source>/.lock``; a second one
  waits for it), and it decides what is new only once it holds the lock;
- a record is identified by its id and the hash of its content: one already stored with the same
  content is skipped, so re-importing a file adds nothing (and adds no empty pull folder); one
  stored with other content (a review edited since, a record a cut dump had stored cut) is written
  again as a new version that supersedes the earlier one (``_supersedes`` names the earlier
  pull; the manifest counts them under ``replaced``), and readers take the newest version;
- each batch of records goes to a new part file written under a temporary name and moved into
  place, then the cursor and the manifest are replaced the same way. A pull stopped at any point
  keeps every batch already written and stays ``incomplete``; running the same command again
  resumes it. Readers (the build) see complete pulls only, so a half-finished import is never
  half-used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import platform
import secrets
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pisar_data.atomic import write_bytes, write_text
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file

if TYPE_CHECKING:
    import polars as pl

SOURCES = ("google_play", "app_store", "pew_atp", "opera", "screens")
ID = "_id"
SUPERSEDES = "_supersedes"
MANIFEST = "manifest.json"
CURSOR = "cursor.json"
LOCK = ".lock"
PART_RECORDS = 10_000  # records per part file: an interrupted import keeps every finished part
NOT_CONTENT = ("_fetched_at", SUPERSEDES)  # fields that say when/how a record was stored, not what it is


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


def content_hash(record: dict) -> str:
    """SHA-256 of a stored record's content (key order and storage fields ignored)."""
    content = {key: value for key, value in record.items() if key not in NOT_CONTENT}
    return sha256_bytes(json.dumps(content, ensure_ascii=False, sort_keys=True, default=_json_default).encode("utf-8"))


def _read_manifest(pull_dir: Path) -> dict:
    try:
        return json.loads((pull_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"{pull_dir / MANIFEST}: damaged snapshot manifest ({error.__class__.__name__}); restore it or pull again") from None


def _pull_dirs(source_dir: Path, *, incomplete: bool = False) -> list[Path]:
    """The source's complete pulls, oldest first (with ``incomplete``, every pull)."""
    if not source_dir.is_dir():
        return []
    pulls = sorted(p for p in source_dir.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    return pulls if incomplete else [p for p in pulls if _read_manifest(p).get("status") == "complete"]


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


class _SourceLock:
    """An exclusive lock on RAW/<source>/.lock for one pull; a second pull of the source waits for it.

    A POSIX record lock (``lockf``): the kernel drops it when the holder dies, even by kill -9, and a
    process never waits for itself.
    """

    def __init__(self, source_dir: Path):
        source_dir.mkdir(parents=True, exist_ok=True)
        self.path = source_dir / LOCK
        self._handle = open(self.path, "a+")
        try:
            fcntl.lockf(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print(f"{source_dir}: another `pisar pull` is writing to this source; waiting for it to finish", file=sys.stderr)
            fcntl.lockf(self._handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.lockf(self._handle, fcntl.LOCK_UN)
            self._handle.close()


class Blob(NamedTuple):
    """A file stored by :meth:`Pull.add_blob`: its path relative to the source folder, and its SHA-256."""

    file: str
    sha256: str


@dataclass
class PullResult:
    """What a pull or import did: its folder (None when nothing was new), records added per table, and the source's totals."""

    source: str
    pull_dir: Path | None
    added: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)

    @property
    def records_added(self) -> int:
        return sum(self.added.values())

    def summary(self) -> str:
        parts = []
        for table, n in sorted(self.total.items()):
            replaced = f", {self.replaced[table]} replaced an earlier version" if self.replaced.get(table) else ""
            parts.append(f"{table}: +{self.added.get(table, 0)}{replaced} (total {n})")
        where = self.pull_dir if self.pull_dir is not None else "nothing new, no pull folder added"
        return f"{self.source} -> {where}: " + ", ".join(parts or ["nothing"])


class Pull:
    """One pull of one source: an append-only folder with its manifest and (optional) cursor.

    Holds the source's lock from `open` to `finish` (or `close`); use it as a context manager.
    """

    def __init__(self, raw_dir: Path, source: str, pull_dir: Path, manifest: dict, lock: _SourceLock):
        self.raw_dir = Path(raw_dir)
        self.source = source
        self.dir = pull_dir
        self.manifest = manifest
        self.added: dict[str, int] = {}
        self.replaced: dict[str, int] = dict(manifest.get("replaced", {}))
        self._lock = lock
        self._hashes: dict[str, dict] = dict(manifest.get("files", {}))
        self._known: dict[str, dict[str, tuple[str, str]]] = {}
        # Other complete pulls of the source; fixed while this pull holds the lock.
        self._others = [p for p in _pull_dirs(self.source_dir) if p != pull_dir]

    @classmethod
    def open(cls, raw_dir: str | Path, source: str, params: dict, tools: dict[str, str], resume: bool = True, notes: dict | None = None) -> Pull:
        """Continue the latest incomplete pull with the same params, or start a new one.

        ``notes`` go into the manifest as they are (e.g. what a truncated dump lost).
        """
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        source_dir = Path(raw_dir) / source
        params = json.loads(dumps(params))
        lock = _SourceLock(source_dir)
        try:
            if resume:
                for pull_dir in reversed(_pull_dirs(source_dir, incomplete=True)):
                    manifest = _read_manifest(pull_dir)
                    if manifest["status"] == "incomplete" and manifest["params"] == params:
                        manifest.update(notes or {})
                        return cls(Path(raw_dir), source, pull_dir, manifest, lock)
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
                **(notes or {}),
            }
            pull = cls(Path(raw_dir), source, pull_dir, manifest, lock)
            pull._write_manifest()
        except BaseException:
            lock.release()
            raise
        return pull

    def __enter__(self) -> Pull:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the source's lock (an unfinished pull stays ``incomplete``, to be resumed)."""
        self._lock.release()

    @property
    def source_dir(self) -> Path:
        return self.raw_dir / self.source

    @property
    def cursor(self) -> dict | None:
        path = self.dir / CURSOR
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def save_cursor(self, cursor: dict) -> None:
        write_text(self.dir / CURSOR, dumps(cursor))

    def _versions(self, table: str) -> dict[str, tuple[str, str]]:
        """id -> (content hash, pull name) of the newest stored version, over the complete pulls and this one."""
        if table not in self._known:
            pulls = [*self._others, self.dir]
            self._known[table] = {
                str(record[ID]): (content_hash(record), pull_dir.name)
                for pull_dir in pulls
                for part in _part_files(pull_dir, table)
                for record in _read_jsonl(part)
            }
        return self._known[table]

    def add(self, table: str, records: Iterable[dict], **context) -> int:
        """Write the records not stored before (by id and content) as new part files; returns how many.

        Each record must carry ``_id``; ``context`` keys (e.g. ``_app_id="com.x"``) and
        ``_fetched_at`` are added to every record. Within one call the first record of an id counts.
        """
        versions = self._versions(table)
        fetched_at = now()
        lines, seen = [], set()
        for record in records:
            record_id = str(record[ID])
            if record_id in seen:
                continue
            seen.add(record_id)
            stored = json.loads(dumps({**record, **context, "_fetched_at": record.get("_fetched_at", fetched_at)}))
            digest = content_hash(stored)
            earlier = versions.get(record_id)
            if earlier is not None:
                if earlier[0] == digest:
                    continue
                stored[SUPERSEDES] = earlier[1]
                self.replaced[table] = self.replaced.get(table, 0) + 1
            lines.append(dumps(stored))
            versions[record_id] = (digest, self.dir.name)
        for start in range(0, len(lines), PART_RECORDS):
            part = lines[start : start + PART_RECORDS]
            index = len(_part_files(self.dir, table)) + 1
            relpath = f"{table}-{index:05d}.jsonl"
            data = ("\n".join(part) + "\n").encode("utf-8")
            write_bytes(self.dir / relpath, data)
            self._hashes[relpath] = {"sha256": sha256_bytes(data), "bytes": len(data), "records": len(part)}
            self.added[table] = self.added.get(table, 0) + len(part)
            self._write_manifest()
        return len(lines)

    def add_blob(self, data: bytes, ext: str) -> Blob:
        """Store bytes by content hash; returns their path relative to the source folder and the hash.

        A blob already stored by a complete pull of this source (or this one) is not written again.
        """
        sha256 = sha256_bytes(data)
        name = f"{sha256}.{ext.lstrip('.').lower()}"
        for pull_dir in [*self._others, self.dir]:
            if (pull_dir / "files" / name).is_file():
                return Blob(f"{pull_dir.name}/files/{name}", sha256)
        write_bytes(self.dir / "files" / name, data)
        return Blob(f"{self.dir.name}/files/{name}", sha256)

    def finish(self) -> PullResult:
        """Mark the pull complete and release the lock. A pull that stored nothing is removed."""
        try:
            self.manifest["status"] = "complete"
            self.manifest["finished_at"] = now()
            self._write_manifest()
            stored_nothing = not any(p.is_file() and p.name not in (MANIFEST, CURSOR) for p in self.dir.rglob("*"))
            if stored_nothing:
                shutil.rmtree(self.dir)
            pulls = [*self._others, *([] if stored_nothing else [self.dir])]
            tables = sorted({part.name.rsplit("-", 1)[0] for pull_dir in pulls for part in pull_dir.glob("*-[0-9]*.jsonl")})
            total = {table: len(self._versions(table)) for table in tables}
            return PullResult(self.source, None if stored_nothing else self.dir, dict(self.added), total, dict(self.replaced))
        finally:
            self.close()

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
        if self.replaced:
            self.manifest["replaced"] = dict(self.replaced)
        write_text(self.dir / MANIFEST, json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n")


def _require_raw(raw_dir: Path) -> None:
    if not Path(raw_dir).is_dir():
        raise UserError(f"{raw_dir}: no raw snapshot folder; expected the folder `pisar pull ... --raw` wrote (default data/raw)")


def available_sources(raw_dir: str | Path) -> list[str]:
    """Sources with at least one complete pull in the snapshot; UserError when there is none.

    Incomplete pulls (interrupted, or an import that failed half-way) are named on stderr: a build
    does not read them until the command that made them is run again and completes.
    """
    raw_dir = Path(raw_dir)
    _require_raw(raw_dir)
    for source in SOURCES:
        complete = set(_pull_dirs(raw_dir / source))
        for pull_dir in _pull_dirs(raw_dir / source, incomplete=True):
            if pull_dir not in complete:
                print(f"note: {pull_dir}: incomplete pull, not read; run the `pisar pull` that made it again to finish it", file=sys.stderr)
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
    """Every record of ``table`` over the complete pulls of ``source``: the newest version of each ``_id``.

    Order is stable (where an id first appears: pull, part file, line). All columns are Utf8: strings
    as stored, other values JSON-encoded (``5``, ``true``, ``[...]``), since the same field may be a
    number from a fetch and a string from a CSV dump. ``_pull_id`` names the pull each version came from.
    """
    import polars as pl

    raw_dir = Path(raw_dir)
    _require_raw(raw_dir)
    pulls = _pull_dirs(raw_dir / source)
    if not pulls:
        raise UserError(f"{raw_dir / source}: no complete pull of source {source!r} in the raw snapshot; run `pisar pull` for it first (again, if it was interrupted)")
    newest: dict[str, dict] = {}
    for pull_dir in pulls:
        for part in _part_files(pull_dir, table):
            for record in _read_jsonl(part):
                newest[str(record[ID])] = {**record, "_pull_id": pull_dir.name}
    keys = list(dict.fromkeys(key for record in newest.values() for key in record))
    return pl.DataFrame(
        {key: pl.Series(key, [_as_text(record.get(key)) for record in newest.values()], dtype=pl.Utf8) for key in keys},
        height=len(newest),
    )


def input_files(raw_dir: str | Path) -> list[dict]:
    """Every file of the snapshot as ``{"path", "sha256", "bytes"}`` (path relative to raw_dir, sorted).

    Hashes come from the manifests where recorded; a file a crash left out of its manifest is hashed here.
    """
    raw_dir = Path(raw_dir)
    available_sources(raw_dir)
    out = []
    for source in SOURCES:
        for pull_dir in _pull_dirs(raw_dir / source):
            recorded = _read_manifest(pull_dir)["files"]
            for path in sorted(p for p in pull_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
                relpath = path.relative_to(pull_dir).as_posix()
                entry = recorded.get(relpath) or {"sha256": sha256_file(path), "bytes": path.stat().st_size}
                out.append({"path": path.relative_to(raw_dir).as_posix(), "sha256": entry["sha256"], "bytes": entry["bytes"]})
    return out
