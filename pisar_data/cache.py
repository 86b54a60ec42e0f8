"""The project's on-disk cache: where it lives, and one small key-value store.

The cache root is ``$PISAR_CACHE_DIR`` when set, else ``~/.cache/pisar``. What lives there can
always be recomputed (OCR results of screens, the distilled static embedding model, …); deleting
the folder only costs time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

ENV = "PISAR_CACHE_DIR"


def cache_root() -> Path:
    """``$PISAR_CACHE_DIR``, else ``~/.cache/pisar``."""
    return Path(os.environ.get(ENV) or Path.home() / ".cache" / "pisar")


class KeyValueCache:
    """JSON values by string key in one SQLite file, safe to share between threads and runs."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        return None if found is None else json.loads(found[0])

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, json.dumps(value)))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
