"""`pisar pull SOURCE ...`: fetch a public source, or import a dump of it, into the raw snapshot."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT_RAW = "data/raw"

DESCRIPTION = """\
Fetch a public source (or import a file you already have) into the raw snapshot: an append-only
folder per source and pull under --raw, records exactly as the source returned them, a manifest
with parameters, tool versions and SHA-256 of every file. Pulls are resumable (run the same
command again after an interruption) and idempotent (records already in the snapshot are skipped;
a corrected record replaces its earlier version). Concurrent pulls of one source wait for each
other. A truncated dump is refused unless --allow-truncated is given.
"""

EXAMPLES = """\
examples:
  pisar pull google-play --app com.spotify.music --count 2000 --lang en --country us
  pisar pull google-play --from-file reviews.csv --app com.spotify.music   # a google-play-scraper dump
  pisar pull google-play --from-file apps.csv                              # an app() metadata dump
  pisar pull app-store --app-id 324684580 --country us
  pisar pull app-store --from-file slack.csv --app-id 618783545            # an app-store-scraper dump
  pisar pull pew-atp --sav "ATP W17.sav"
  pisar pull opera                                # NEU-HAI/OPeRA from the Hub (HF_TOKEN if needed)
  pisar pull opera --local ./OPeRA                # a local copy (parquet, or CSV from datasets)
  pisar pull screens --context com.spotify.music --from-dir ./screens
"""


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="pisar pull", description=DESCRIPTION, epilog=EXAMPLES, formatter_class=formatter)
    sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")

    def add(name: str, help: str, description: str, examples: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help, description=description, epilog="examples:\n" + examples, formatter_class=formatter)
        command.add_argument("--raw", type=Path, default=Path(DEFAULT_RAW), help=f"raw snapshot folder (default: {DEFAULT_RAW})")
        return command

    gp = add(
        "google-play",
        "Google Play reviews + listing (google-play-scraper)",
        "Reviews (newest first by default), app() metadata and up to --screenshots listing screenshots of one app.\n"
        "With --from-file, import a google-play-scraper dump instead: reviews() rows or app() rows, as CSV\n"
        "written by pandas (BOM, index column and appVersion optional), JSON or JSONL.",
        "  pisar pull google-play --app com.spotify.music --count 500\n  pisar pull google-play --from-file app_reviews.csv --app com.nautilus.realcricket\n",
    )
    gp.add_argument("--app", help="package name, e.g. com.spotify.music (the id= in the Play Store URL)")
    gp.add_argument("--count", type=int, default=None, help="reviews to fetch (default: all)")
    gp.add_argument("--lang", default=None, help="review language (default: en)")
    gp.add_argument("--country", default=None, help="store country (default: us)")
    gp.add_argument("--sort", default="newest", choices=("newest", "most_relevant", "rating"), help="review order (default: newest)")
    gp.add_argument("--screenshots", type=int, default=8, help="listing screenshots to download (default: 8)")
    gp.add_argument("--from-file", type=Path, help="import a native dump instead of fetching")
    gp.add_argument("--allow-truncated", action="store_true", help="import a truncated dump without its cut last record (recorded in the manifest)")

    ap = add(
        "app-store",
        "App Store reviews (Apple's public review feed)",
        "Up to 500 most recent reviews (10 feed pages of 50) and the iTunes lookup record of one app.\n"
        "With --from-file, import an app-store-scraper dump (CSV with or without the index column, JSON, JSONL).",
        "  pisar pull app-store --app-id 618783545 --country us\n  pisar pull app-store --from-file Slack-app-reviews.csv --app-id 618783545\n",
    )
    ap.add_argument("--app-id", help="numeric App Store id (the digits after 'id' in the app's URL)")
    ap.add_argument("--country", default=None, help="store country (default: us)")
    ap.add_argument("--from-file", type=Path, help="import an app-store-scraper dump instead of fetching")
    ap.add_argument("--allow-truncated", action="store_true", help="import a truncated dump without its cut last record (recorded in the manifest)")

    pew = add(
        "pew-atp",
        "Pew ATP wave demographics (.sav)",
        "Read a Pew Research Center American Trends Panel wave (SPSS .sav, 2016-era or newer variable names);\n"
        "keeps each respondent's demographic codes and wave weight. QKEY is stored only as a salted hash.",
        '  pisar pull pew-atp --sav "ATP W17.sav"\n',
    )
    pew.add_argument("--sav", type=Path, required=True, help="the wave's SPSS file")

    op = add(
        "opera",
        "OPeRA shopper traces (Hugging Face)",
        "Action, session, user (and optionally image) tables of NEU-HAI/OPeRA, from the Hub (set HF_TOKEN\n"
        "if the dataset asks for one) or from a local copy (parquet, or CSV as datasets writes it).",
        "  pisar pull opera\n  pisar pull opera --images --variant full\n  pisar pull opera --local ./OPeRA\n",
    )
    where = op.add_mutually_exclusive_group()
    where.add_argument("--repo", default="NEU-HAI/OPeRA", help="Hub dataset (default: NEU-HAI/OPeRA)")
    where.add_argument("--local", type=Path, help="a local copy instead of the Hub")
    op.add_argument("--variant", default="filtered", choices=("filtered", "full"), help="dataset variant (default: filtered)")
    op.add_argument("--images", action="store_true", help="also download the screenshots (several GB)")
    op.add_argument("--revision", default=None, help="Hub revision (default: main)")

    sc = add(
        "screens",
        "your own screen images for an app or site",
        "Screen images (png/jpg/webp) of one app or site; each may have a Rico-style view-hierarchy .json\n"
        "or a .txt with its visible text beside it (same file stem).",
        "  pisar pull screens --context com.spotify.music --from-dir ./screens/spotify\n",
    )
    sc.add_argument("--context", required=True, help="the app package, App Store id or site (e.g. amazon.com)")
    sc.add_argument("--from-dir", type=Path, required=True, help="folder of screen images")
    return parser


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[str], None]]:
    """A one-line live status on stderr (silent when stderr is not a terminal); yields its update function."""
    from rich.console import Console

    with Console(stderr=True).status(what) as status:
        yield lambda message: status.update(message)


def main(argv: list[str]) -> int:
    from pisar_data.errors import UserError

    args = _parser().parse_args(argv)
    if args.source == "google-play":
        from curation.sources import google_play

        if args.from_file:
            result = google_play.import_dump(args.from_file, args.raw, args.app, args.lang, args.country, args.allow_truncated)
        elif not args.app:
            raise UserError("google-play: expected --app PACKAGE_NAME (or --from-file DUMP)")
        else:
            with _progress(f"pulling {args.app} from Google Play") as log:
                result = google_play.pull(
                    args.raw, args.app, args.count, args.lang or "en", args.country or "us", args.sort, args.screenshots, log=log
                )
    elif args.source == "app-store":
        from curation.sources import app_store

        if not args.app_id:
            raise UserError("app-store: expected --app-id NUMERIC_ID")
        if args.from_file:
            result = app_store.import_dump(args.from_file, args.raw, args.app_id, args.country, args.allow_truncated)
        else:
            with _progress(f"pulling {args.app_id} from the App Store") as log:
                result = app_store.pull(args.raw, args.app_id, args.country or "us", log=log)
    elif args.source == "pew-atp":
        from curation.sources import pew_atp

        result = pew_atp.import_sav(args.sav, args.raw)
    elif args.source == "opera":
        from curation.sources import opera

        if args.local:
            result = opera.import_local(args.local, args.raw)
        else:
            with _progress(f"downloading {args.repo} ({args.variant}) and importing it"):
                result = opera.pull(args.raw, args.repo, args.variant, args.images, args.revision)
    else:
        from curation.sources import screens

        result = screens.import_dir(args.from_dir, args.raw, args.context)
    print(result.summary())
    return 0
