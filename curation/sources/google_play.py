"""Google Play: reviews and listing metadata through google-play-scraper, plus native dump imports.

Tables written: ``reviews`` (id ``reviewId``), ``apps`` (id ``appId``) and ``screenshots``
(one record per stored listing screenshot: context_id, sha256, file, width, height, url).
"""

from __future__ import annotations

import ast
import http.client
import re
import sys
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path

import httpx

from curation.snapshot import ID, Pull, PullResult, tool_versions
from curation.sources import ImageConfig, log_to_stderr, normalize_image, require_columns, screen_image_record
from curation.sources.http import (
    DEFAULT_POLICY,
    FetchError,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    Transient,
    is_transient_status,
    with_retries,
)
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.user_files import read_records

SOURCE = "google_play"
TOOLS = ("google-play-scraper", "httpx", "pillow", "pandas")
SORTS = ("newest", "most_relevant", "rating")
REVIEW_COLUMNS = ("reviewId", "content", "score", "at")
APP_COLUMNS = ("appId", "title")
DUMP = "a google-play-scraper dump (reviews() or app() rows as CSV, JSON or JSONL)"
TRUNCATED_HINT = "re-export it, or pass --allow-truncated to import the complete records only"
# app() fields that pandas writes as Python reprs of lists/dicts.
LITERAL_FIELDS = ("histogram", "categories", "screenshots", "comments")


def _parse_literal(value):
    if isinstance(value, str) and value[:1] in "[{(":
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def import_dump(
    path: str | Path,
    raw_dir: str | Path,
    app_id: str | None,
    lang: str | None = None,
    country: str | None = None,
    allow_truncated: bool = False,
) -> PullResult:
    """Import a google-play-scraper dump: ``reviews()`` rows or ``app()`` rows (CSV/JSON/JSONL).

    A truncated dump is refused unless ``allow_truncated``: then its cut record is left out and
    the manifest says so (``truncated_input``).
    """
    path = Path(path)
    dump = read_records(path, DUMP, allow_truncated=allow_truncated, hint=TRUNCATED_HINT)
    rows = dump.rows
    columns = set().union(*(row.keys() for row in rows))
    if "appId" in columns and "reviewId" not in columns:
        require_columns(path, rows, APP_COLUMNS, "google-play-scraper app() dump", nonempty=("appId",))
        table = "apps"
        records = [
            {**{k: _parse_literal(v) if k in LITERAL_FIELDS else v for k, v in row.items()}, ID: row["appId"], "_app_id": row["appId"]}
            for row in rows
        ]
    else:
        require_columns(path, rows, REVIEW_COLUMNS, "google-play-scraper reviews() dump", nonempty=("reviewId", "score", "at"))
        if not app_id:
            raise UserError(f"{path}: a reviews dump needs the app it belongs to; pass --app PACKAGE_NAME")
        table = "reviews"
        records = [{**row, ID: row["reviewId"], "_app_id": app_id} for row in rows]
    params = {"from_file": path.name, "sha256": sha256_file(path), "app_id": app_id, "lang": lang, "country": country}
    notes = {"truncated_input": dump.cut} if dump.cut else None
    with Pull.open(raw_dir, SOURCE, params, tool_versions(*TOOLS), notes=notes) as pull:
        pull.add(table, records, _lang=lang, _country=country)
        return pull.finish()


def _gp_call(call: Callable, what: str, policy: RetryPolicy, sleep: Callable[[float], None], limiter: RateLimiter):
    """Run a google-play-scraper call with our retries and rate limit; its own errors are mapped to ours."""
    from google_play_scraper.exceptions import ExtraHTTPError, NotFoundError

    def attempt():
        limiter.wait()
        try:
            return call()
        except NotFoundError:
            raise
        except ExtraHTTPError as error:
            match = re.search(r"[Ss]tatus code (\d+)", str(error))
            status = int(match.group(1)) if match else 0
            if status == 0 or is_transient_status(status):
                raise Transient(f"HTTP {status}" if status else str(error)) from None
            raise FetchError(f"{what}: HTTP {status}; expected 200") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as error:
            raise Transient(f"network error ({type(error).__name__}: {error})") from None
        except (IndexError, ValueError) as error:
            # The batchexecute reply did not have the expected shape (throttling pages look like this).
            raise Transient(f"unexpected response ({type(error).__name__})") from None

    return with_retries(attempt, what, policy, sleep)


def _review_record(item: list) -> dict:
    from google_play_scraper.constants.element import ElementSpecs

    return {key: spec.extract_content(item) for key, spec in ElementSpecs.Review.items()}


def pull(
    raw_dir: str | Path,
    app_id: str,
    count: int | None = None,
    lang: str = "en",
    country: str = "us",
    sort: str = "newest",
    screenshots: int = 8,
    page_size: int = 200,
    policy: RetryPolicy = DEFAULT_POLICY,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = log_to_stderr,
) -> PullResult:
    """Fetch ``app()`` metadata, up to ``screenshots`` listing screenshots and ``count`` reviews (all when None).

    ``log`` receives one progress line per page.

    The continuation token is persisted after every page, so an interrupted pull continues
    where it stopped when the same command runs again.
    """
    import google_play_scraper
    from google_play_scraper.constants.request import Formats
    from google_play_scraper.exceptions import NotFoundError
    from google_play_scraper.features import reviews as gp_reviews

    if sort not in SORTS:
        raise UserError(f"--sort: unknown order {sort!r}; expected one of {', '.join(SORTS)}")
    params = {"app_id": app_id, "count": count, "lang": lang, "country": country, "sort": sort}
    context = {"_app_id": app_id, "_lang": lang, "_country": country}
    limiter = RateLimiter(policy.min_interval, sleep)
    # Looked up before the pull folder exists, so a wrong app id leaves the snapshot untouched.
    try:
        app = _gp_call(
            lambda: google_play_scraper.app(app_id, lang=lang, country=country), f"Google Play app {app_id}", policy, sleep, limiter
        )
    except NotFoundError:
        raise UserError(
            f"--app {app_id}: no such app on Google Play ({lang}/{country}); expected a package name like com.spotify.music"
        ) from None
    with Pull.open(raw_dir, SOURCE, params, tool_versions(*TOOLS)) as pull_:
        cursor = pull_.cursor or {"app_done": False, "token": None, "fetched": 0, "done": False}

        if not cursor["app_done"]:
            pull_.add("apps", [{**app, ID: app_id}], **context)
            client = HttpClient(transport, policy, sleep)
            shots = []
            for url in (app.get("screenshots") or [])[:screenshots]:
                try:
                    image = normalize_image(client.get(url).content, url, ImageConfig())
                except UserError as error:  # one bad or vanished screenshot must not stop the pull
                    print(f"warning: skipping screenshot: {error}", file=sys.stderr)
                    continue
                shots.append({**screen_image_record(pull_, app_id, image), "url": url})
            pull_.add("screenshots", shots, **context)
            cursor = {**cursor, "app_done": True}
            pull_.save_cursor(cursor)

        url = Formats.Reviews.build(lang=lang, country=country)
        order = getattr(google_play_scraper.Sort, sort.upper()).value
        while not cursor["done"]:
            want = page_size if count is None else min(page_size, count - cursor["fetched"])
            if want <= 0:
                break
            token = cursor["token"]
            # The public reviews() swallows every error and reports it as "no more reviews", which would
            # end a pull early and silently; the page function it wraps raises, so we page with it.
            items, token = _gp_call(
                lambda want=want, token=token: gp_reviews._fetch_review_items(url, app_id, order, want, None, None, token),
                f"Google Play reviews of {app_id}",
                policy,
                sleep,
                limiter,
            )
            records = [{**record, ID: record["reviewId"]} for record in map(_review_record, items)]
            added = pull_.add("reviews", records, **context)
            token = token if isinstance(token, str) else None
            cursor = {"app_done": True, "token": token, "fetched": cursor["fetched"] + len(records), "done": token is None or not records}
            pull_.save_cursor(cursor)
            log(f"{app_id}: page of {len(records)} reviews, {added} new ({cursor['fetched']} fetched)")
        return pull_.finish()
