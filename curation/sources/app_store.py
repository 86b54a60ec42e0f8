"""App Store: customer reviews from Apple's public RSS JSON feed, metadata from the iTunes lookup API,
and imports of app-store-scraper dumps.

Tables written: ``reviews`` (id: the feed entry id; for dumps, which have none, a hash of app id +
userName + date + title + review) and ``apps`` (id: trackId).
"""

from __future__ import annotations

import ast
import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx

from curation.snapshot import ID, Pull, PullResult, tool_versions
from curation.sources import log_to_stderr, require_columns
from curation.sources.http import DEFAULT_POLICY, HttpClient, RetryPolicy
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.user_files import read_records

SOURCE = "app_store"
TOOLS = ("httpx", "pandas")
FEED_URL = "https://itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
LOOKUP_URL = "https://itunes.apple.com/lookup"
FEED_PAGES = 10  # the feed serves at most 10 pages of 50 reviews
DUMP_COLUMNS = ("date", "review", "rating", "title", "userName")
DUMP = "an app-store-scraper reviews dump (CSV, JSON or JSONL)"
TRUNCATED_HINT = "re-export it, or pass --allow-truncated to import the complete records only"


class AppStoreFeed:
    """The one interface to Apple's public endpoints: app lookup and customer-review feed pages."""

    def __init__(self, client: HttpClient, country: str = "us"):
        self.client = client
        self.country = country

    def lookup(self, app_id: str) -> dict | None:
        data = self.client.get_json(LOOKUP_URL, {"id": app_id, "country": self.country})
        results = data.get("results") or []
        return results[0] if results else None

    def reviews_page(self, app_id: str, page: int) -> list[dict]:
        """Review entries of one feed page; [] past the last page."""
        data = self.client.get_json(FEED_URL.format(country=self.country, page=page, app_id=app_id))
        entries = (data.get("feed") or {}).get("entry") or []
        if isinstance(entries, dict):
            entries = [entries]
        # Older feed versions put the app itself first on page 1; it has no rating.
        return [entry for entry in entries if "im:rating" in entry]


def _canonical_date(value) -> str:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).isoformat()
    except ValueError:
        return str(value)


def dump_record_id(app_id: str, row: dict) -> str:
    key = "\x1f".join(
        [
            app_id,
            str(row.get("userName") or ""),
            _canonical_date(row.get("date")),
            str(row.get("title") or ""),
            str(row.get("review") or ""),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _parse_response(value):
    if isinstance(value, str) and value.startswith("{"):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def import_dump(path: str | Path, raw_dir: str | Path, app_id: str, country: str | None = None, allow_truncated: bool = False) -> PullResult:
    """Import an app-store-scraper ``review()`` dump (CSV with or without the index column, JSON, JSONL).

    A truncated dump is refused unless ``allow_truncated``: then its cut record is left out and
    the manifest says so (``truncated_input``).
    """
    path = Path(path)
    dump = read_records(path, DUMP, allow_truncated=allow_truncated, hint=TRUNCATED_HINT)
    rows = dump.rows
    require_columns(path, rows, DUMP_COLUMNS, "app-store-scraper reviews dump", nonempty=("date", "rating"))
    if not app_id:
        raise UserError(f"{path}: a reviews dump needs the app it belongs to; pass --app-id NUMERIC_ID")
    records = []
    for row in rows:
        row = dict(row)
        if "developerResponse" in row:
            row["developerResponse"] = _parse_response(row["developerResponse"])
        records.append({**row, ID: dump_record_id(str(app_id), row)})
    params = {"from_file": path.name, "sha256": sha256_file(path), "app_id": str(app_id), "country": country}
    notes = {"truncated_input": dump.cut} if dump.cut else None
    with Pull.open(raw_dir, SOURCE, params, tool_versions(*TOOLS), notes=notes) as pull:
        pull.add("reviews", records, _app_id=str(app_id), _country=country)
        return pull.finish()


def pull(
    raw_dir: str | Path,
    app_id: str,
    country: str = "us",
    policy: RetryPolicy = DEFAULT_POLICY,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = log_to_stderr,
) -> PullResult:
    """Fetch the app's lookup record and every feed page (1..10); the next page is persisted after each."""
    app_id = str(app_id)
    if not app_id.isdigit():
        raise UserError(f"--app-id {app_id}: expected the App Store's numeric id (the digits after 'id' in the app's URL)")
    feed = AppStoreFeed(HttpClient(transport, policy, sleep), country)
    params = {"app_id": app_id, "country": country}
    context = {"_app_id": app_id, "_country": country}
    # Looked up before the pull folder exists, so a wrong app id leaves the snapshot untouched.
    app = feed.lookup(app_id)
    if app is None:
        raise UserError(f"--app-id {app_id}: no such app in the {country} App Store (the lookup API returned nothing)")
    with Pull.open(raw_dir, SOURCE, params, tool_versions(*TOOLS)) as pull_:
        cursor = pull_.cursor or {"app_done": False, "page": 1, "done": False}
        if not cursor["app_done"]:
            pull_.add("apps", [{**app, ID: str(app.get("trackId", app_id))}], **context)
            cursor = {**cursor, "app_done": True}
            pull_.save_cursor(cursor)
        while not cursor["done"]:
            page = cursor["page"]
            entries = feed.reviews_page(app_id, page)
            added = pull_.add("reviews", [{**entry, ID: entry["id"]["label"]} for entry in entries], **context)
            cursor = {"app_done": True, "page": page + 1, "done": not entries or page >= FEED_PAGES}
            pull_.save_cursor(cursor)
            log(f"{app_id}: feed page {page}: {len(entries)} reviews, {added} new")
        return pull_.finish()
