"""Write files and folders so that a crash never leaves a half-written result in place.

Everything is first written under a temporary name beside the target (same filesystem) and then
moved into place with ``os.replace``; an existing target survives any failure before that move.
An output folder replaces an existing folder only if that folder is an earlier output of the same
kind (it holds the kind's marker file) or is empty, so a mistyped ``--out .`` cannot delete a user's files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pisar_data.errors import UserError


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
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


def check_replaceable(target: str | os.PathLike, marker: str) -> None:
    """Refuse ``target`` unless it is missing, an empty folder, or a folder holding ``marker``
    (a file every earlier output of this kind has). Call it before long work, too."""
    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise UserError(f"{target}: exists and is not a folder; expected a new or empty folder for the output")
    if (target / marker).is_file() or not any(target.iterdir()):
        return
    raise UserError(
        f"{target}: folder is not empty and is not an earlier output of this command (no {marker}); "
        "it would be replaced as a whole, so pass a new or empty folder"
    )


@contextlib.contextmanager
def output_dir(target: str | os.PathLike, marker: str) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it replaces ``target``, on failure it is removed.

    The old ``target`` (if any, see `check_replaceable`) is kept until the new one is complete,
    then swapped out. The new folder must contain ``marker``.
    """
    check_replaceable(target, marker)
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not (tmp / marker).is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise AssertionError(f"output for {target} has no {marker}; a later run could not replace it")
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
