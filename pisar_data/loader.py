"""`load_dataset("pisar")`: a local dataset folder first, then the Hub repo."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pisar_data.errors import UserError
from pisar_data.schema import FEATURES, SPLITS

DEFAULT_HUB_REPO = "pisar-project/pisar"
HUB_REPO_ENV = "PISAR_HUB_REPO"
HUB_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*")  # ORG/NAME (or NAME); a path is anything else


def hub_repo() -> str:
    """The Hub dataset repo used when no local folder is found (``$PISAR_HUB_REPO``, else the default)."""
    return os.environ.get(HUB_REPO_ENV) or DEFAULT_HUB_REPO


def _is_dataset_folder(path: Path) -> bool:
    return (path / "data").is_dir() and any((path / "data").glob("*.parquet"))


def _local_folder(name_or_path: str | os.PathLike) -> Path | None:
    path = Path(name_or_path).expanduser()
    if _is_dataset_folder(path):
        return path
    if str(name_or_path) == "pisar" and _is_dataset_folder(Path.cwd() / "pisar"):
        return Path.cwd() / "pisar"
    if path.exists():
        raise UserError(f"{path}: not a PiSAR dataset folder; expected data/{{train,validation,test}}-*.parquet inside")
    if not HUB_ID.fullmatch(str(name_or_path)):
        raise UserError(f"{path}: no such dataset folder; expected the folder `pisar build --out DIR` wrote (or a Hub dataset id ORG/NAME)")
    return None


def load_dataset(name_or_path: str | os.PathLike = "pisar", split: str | None = None, **kwargs):
    """Load PiSAR as a ``datasets.DatasetDict`` (or one ``Dataset`` when ``split`` is given).

    ``name_or_path`` is a dataset folder written by ``pisar build``, or ``"pisar"``: the folder
    ``./pisar`` if it exists, otherwise the Hub repo named by ``$PISAR_HUB_REPO``
    (default ``pisar-project/pisar``). Any other string is taken as a Hub repo id.
    Extra keyword arguments go to ``datasets.load_dataset``.
    """
    import datasets

    if split is not None and split not in SPLITS:
        raise UserError(f"split {split!r} is not a PiSAR split; expected one of {', '.join(SPLITS)}")
    local = _local_folder(name_or_path)
    if local is not None:
        data_files = {s: str(local / "data" / f"{s}-*.parquet") for s in SPLITS if any((local / "data").glob(f"{s}-*.parquet"))}
        result = datasets.load_dataset("parquet", data_files=data_files, features=FEATURES, split=split, **kwargs)
    else:
        repo = hub_repo() if str(name_or_path) == "pisar" else str(name_or_path)
        try:
            result = datasets.load_dataset(repo, split=split, **kwargs)
        except (OSError, ValueError) as error:  # ConnectionError, DatasetNotFoundError (a FileNotFoundError), …
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UserError(f"{name_or_path}: not a local dataset folder, and the Hub dataset {repo} could not be loaded ({first})") from None
    return result
