"""Write files and folders so that a crash never leaves a half-written result in place, and never
touch a file the command did not write.

Everything is first written under a temporary name beside the target (same filesystem) and then
moved into place with ``os.replace``; an existing target survives any failure before that move.

The one output-folder rule, for every ``--out``, ``--work`` and cache folder: a command replaces a
folder only if it is missing, empty, or an earlier output of the same command holding nothing but
what that command wrote. An output folder records what was written in ``OUTPUT_LISTING`` (beside
the command's own marker file, e.g. ``stats.json``), so a user's file put into it later, or an
input file inside it, makes the folder irreplaceable instead of deleted. Temporary folders a
killed run left beside the target are removed by the next run. Files and folders are created with
the user's umask (not the 0600/0700 of ``tempfile``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from pisar_data.errors import UserError

# Inside every output folder: the files the command wrote, so a later run can tell them from a user's.
OUTPUT_LISTING = ".pisar-output.json"


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (setting it races with other threads)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a live process of another user
        return True
    return True


def _leftover_pattern(name: str) -> re.Pattern:
    # .NAME.PID.XXXXXXXX.tmp (this module) or .NAME.XXXXXXXX.tmp (pisar before the pid was added),
    # and .NAME.old-PID (an earlier output being swapped out).
    return re.compile(rf"\.{re.escape(name)}\.(?:(?P<pid>\d+)\.)?[a-z0-9_]{{8}}\.tmp|\.{re.escape(name)}\.old-(?P<old>\d+)")


def remove_leftovers(target: str | os.PathLike) -> None:
    """Remove the temporary folders that killed runs left beside ``target`` (a live run's are kept)."""
    target = Path(target).absolute()
    if not target.parent.is_dir():
        return
    pattern = _leftover_pattern(target.name)
    for path in target.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match is None or not path.is_dir() or path.is_symlink():
            continue
        pid = match.group("pid") or match.group("old")
        if pid is not None and _pid_alive(int(pid)):
            continue
        if match.group("old") and not target.exists():
            os.replace(path, target)  # killed between the two renames of a swap: the earlier output comes back
            continue
        shutil.rmtree(path, ignore_errors=True)


def _listed_files(target: Path) -> set[str] | None:
    try:
        listing = json.loads((target / OUTPUT_LISTING).read_text(encoding="utf-8"))
        return set(listing["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir() or p.is_symlink())


def check_replaceable(target: str | os.PathLike, marker: str, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse ``target`` unless it is missing, an empty folder, or an earlier output of this command
    (it holds ``marker``) with nothing in it but the files that output wrote, and none of ``inputs``
    (the command's inputs and other outputs) is ``target`` or inside it.

    Call it before any work starts; it also removes what killed earlier runs left beside ``target``.
    """
    target = Path(target)
    remove_leftovers(target)
    for item in inputs:
        item = Path(item)
        if target.absolute() == item.absolute() or target.resolve() in item.resolve().parents:
            raise UserError(
                f"{target}: holds {item}, an input (or another output) of this command; the folder is replaced as a whole, "
                "so pass one outside it"
            )
    if not target.exists():
        return
    if not target.is_dir():
        raise UserError(f"{target}: exists and is not a folder; expected a new or empty folder for the output")
    if not any(target.iterdir()):
        return
    if not (target / marker).is_file():
        raise UserError(
            f"{target}: folder is not empty and is not an earlier output of this command (no {marker}); "
            "it would be replaced as a whole, so pass a new or empty folder"
        )
    listed = _listed_files(target)
    if listed is None:
        raise UserError(
            f"{target}: written by an older pisar that did not record its files ({OUTPUT_LISTING} missing), so it cannot tell "
            "them from yours; delete the folder yourself or pass a new one"
        )
    foreign = [name for name in _files(target) if name not in listed and name != OUTPUT_LISTING]
    if foreign:
        raise UserError(
            f"{target}: holds {foreign[0]}{f' and {len(foreign) - 1} more file(s)' if len(foreign) > 1 else ''} that this command "
            "did not write; the folder is replaced as a whole, so move them out or pass another folder"
        )


def _new_temp_dir(target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def _swap_in(tmp: Path, target: Path) -> None:
    written = [name for name in _files(tmp) if name != OUTPUT_LISTING]
    write_text(tmp / OUTPUT_LISTING, json.dumps({"files": written}, indent=1) + "\n")
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def output_dir(
    target: str | os.PathLike, marker: str, inputs: Iterable[str | os.PathLike] = (), keep_on_error: bool = False
) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it replaces ``target``, on failure it is removed.

    The old ``target`` (if any, see `check_replaceable`) is kept until the new one is complete,
    then swapped out. The new folder must contain ``marker``. With ``keep_on_error`` a failed run's
    folder replaces ``target`` too, once it holds ``marker`` (a work folder to inspect after a failure).
    """
    inputs = list(inputs)
    check_replaceable(target, marker, inputs)
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temp_dir(target)
    try:
        yield tmp
    except BaseException:
        if keep_on_error and (tmp / marker).is_file():
            _swap_in(tmp, target)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not (tmp / marker).is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise AssertionError(f"output for {target} has no {marker}; a later run could not replace it")
    _swap_in(tmp, target)


def check_output_file(path: str | os.PathLike, expected: str) -> Path:
    """Refuse ``path`` as an output file when it is a folder or lies under a file; returns it.

    Whether an existing file is an earlier output of the command is the command's own check, made
    by reading it before anything is written to it.
    """
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; expected {expected} (a file path)")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"{path}: {parent} is a file, not a folder; expected {expected} in a folder")
            break
    return path
