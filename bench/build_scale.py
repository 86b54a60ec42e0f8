"""Scale benchmark: generate a raw snapshot of N review-like records over many apps and build it.

    python bench/build_scale.py --reviews 20000 [--apps 400] [--screens-per-app 4] [--seed 0] [--dir DIR] [--recipe FILE]

The snapshot is written in the documented raw layout through ``curation.snapshot.Pull`` (one
google_play pull with ``apps`` and ``reviews``, one screens pull with drawn screens and their text),
plus the embedded sample's Pew wave and OPeRA sessions. Review texts are composed from templates
(an action cue, a reason naming a screen, random details) so that every stage has real work: some
are contentless, some repeated (dedup), some in other languages. Then
``curation.build.build(recipe, raw, out, work)`` runs the whole build; a sampling thread records the
peak resident memory of each stage. Targets on a 2-core machine: 200,000 reviews in <= 15 minutes and
<= 8 GB, time growing no worse than linearly from 20k to 200k (run both sizes and compare).

The last line is exactly ``reviews=<int> rows=<int> build_s=<float> peak_rss_mb=<float>``.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

GENRES = ("Finance", "Music & Audio", "Travel & Local", "Food & Drink", "Health & Fitness", "Communication", "Shopping", "Productivity")
SCREENS = {
    "sign_in": ["Sign in", "Email", "Password", "Forgot password?", "Log in with Google"],
    "home": ["Home", "Recent activity", "Search", "Notifications", "Profile"],
    "payment": ["Payment", "Card number", "Pay now", "Subscription plan", "Upgrade to Premium"],
    "settings": ["Settings", "Notifications", "Dark mode", "Language", "Log out"],
    "error": ["Something went wrong", "Try again", "Connection failed", "Contact support"],
    "search": ["Search", "Recent searches", "Filters", "Sort by", "No results"],
    "cart": ["Your cart", "Checkout", "Promo code", "Delivery address", "Place order"],
    "player": ["Now playing", "Shuffle", "Repeat", "Download", "Add to playlist"],
}
CUES = [
    "I uninstalled it", "I deleted the app", "I switched to {rival}", "I stopped using it", "I paid for the premium plan",
    "I cancelled my subscription", "I contacted support", "I reinstalled the app", "I updated to the latest version",
    "I recommend it to my {people}", "I still use it every day", "I have been using it for {n} months",
]
REASONS = {
    "sign_in": ["the sign in page rejects my password", "it logs me out every {n} hours", "the forgot password email never arrives"],
    "home": ["the home screen takes {n} seconds to load", "recent activity shows the wrong {thing}", "the profile page is empty"],
    "payment": ["the payment screen charged me twice for the {thing}", "the upgrade to premium button does nothing", "the card number field rejects my card"],
    "settings": ["dark mode resets after every restart", "the notifications setting does not stick", "the language switch is hidden"],
    "error": ["it says something went wrong every time I open the {thing}", "connection failed appears on wifi", "try again never works"],
    "search": ["search returns no results for {thing}", "the filters reset when I scroll", "sort by price is broken"],
    "cart": ["the promo code is refused at checkout", "my cart empties before I can place the order", "the delivery address form loses my {thing}"],
    "player": ["shuffle keeps playing the same {n} songs", "downloads disappear from my {thing}", "the add to playlist button freezes"],
}
DETAILS = ["This started after the {month} update.", "My {people} have the same problem.", "I tried on {n} different phones.",
           "It happens mostly in the evening.", "Support answered after {n} days.", "I have used it since {year}.", ""]
STORY = {  # a free sentence from large pools, so generated reviews are not near-duplicates of each other
    "when": ["Yesterday", "Last night", "This morning", "On Sunday", "During my commute", "At lunch", "Twice this week", "Before my flight",
             "After work", "On payday", "While travelling", "At the airport", "In the store", "On my break", "Late on Friday"],
    "doing": ["paying my rent", "sending money to my sister", "booking a table", "checking my balance", "ordering groceries",
              "sharing a playlist", "planning a run", "uploading receipts", "renewing my plan", "looking for a coupon",
              "changing my address", "messaging my landlord", "tracking a parcel", "splitting a bill", "saving a recipe"],
    "subject": ["the screen", "the button", "the form", "the page", "the menu", "the popup", "the banner", "the list", "the timer", "the map"],
    "problem": ["froze for a minute", "went blank", "showed an old value", "jumped to the top", "asked me to verify again",
                "lost what I typed", "kept spinning", "closed the app", "showed someone else's name", "doubled the amount",
                "ignored my tap", "switched languages", "forgot my choice", "hid the confirm button", "played an advert"],
}
FILLERS = ["good", "nice app", "👍", "great", "ok", "bad", "love it", "worst app"]
OTHER_LANGUAGES = ["La aplicación no funciona después de la actualización", "ऐप खुलता नहीं है कृपया ठीक करें", "መተግበሪያው አይሰራም"]
WORDS = {
    "rival": ["Zelle", "Spotify", "Uber", "DoorDash", "Strava", "WhatsApp", "Etsy", "Notion", "Revolut", "Lyft"],
    "people": ["family", "friends", "coworkers", "students", "neighbours", "team"],
    "thing": ["statement", "playlist", "order", "receipt", "profile", "photo", "route", "invoice", "address", "basket"],
    "month": ["January", "March", "May", "July", "September", "November"],
}


def _fill(template: str, rng: random.Random) -> str:
    return template.format(n=rng.randint(2, 40), year=rng.randint(2015, 2024), **{k: rng.choice(v) for k, v in WORDS.items()})


def review_text(rng: random.Random, screen_types: list[str]) -> tuple[str, int]:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(FILLERS), rng.randint(1, 5)
    if roll < 0.10:
        return rng.choice(OTHER_LANGUAGES), rng.randint(1, 5)
    kind = rng.choice(screen_types)
    parts = [f"{_fill(rng.choice(CUES), rng)} because {_fill(rng.choice(REASONS[kind]), rng)}."]
    parts.append(f"{rng.choice(STORY['when'])} I was {rng.choice(STORY['doing'])} and {rng.choice(STORY['subject'])} {rng.choice(STORY['problem'])}.")
    if rng.random() < 0.5:
        parts.insert(0, f"{rng.choice(STORY['when'])} I was {rng.choice(STORY['doing'])} and {rng.choice(STORY['subject'])} {rng.choice(STORY['problem'])}.")
    parts.append(_fill(rng.choice(DETAILS), rng))
    parts.append(f"Ticket {rng.randint(1000, 99999)}." if rng.random() < 0.5 else "")
    return " ".join(p for p in parts if p), rng.choice([1, 1, 2, 2, 3, 4, 5])


def screen_png(title: str, lines: list[str], color: tuple[int, int, int], rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 640), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 360, 56], fill=color)
    draw.text((12, 20), title, fill="white")
    for i, line in enumerate(lines):
        y = 90 + 70 * i
        draw.rectangle([12, y, 348, y + 48], outline=color, width=2)
        draw.text((24, y + 16), line, fill="black")
    for _ in range(3):  # app- and screen-specific shapes, so perceptual hashes differ between screens
        x, y = rng.randint(0, 300), rng.randint(100, 580)
        draw.ellipse([x, y, x + rng.randint(20, 60), y + rng.randint(20, 60)], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def generate_snapshot(raw: Path, reviews: int, apps: int, screens_per_app: int, seed: int) -> None:
    import tomllib

    from curation.snapshot import ID, Pull
    from curation.sources import opera, pew_atp

    rng = random.Random(seed)
    app_ids = [f"com.bench.app{i:05d}" for i in range(apps)]
    screen_types = {app: rng.sample(sorted(SCREENS), k=min(screens_per_app, len(SCREENS))) for app in app_ids}

    pull = Pull.open(raw, "google_play", {"bench_reviews": reviews, "apps": apps, "seed": seed}, {}, resume=False)
    pull.add("apps", [{ID: app, "appId": app, "title": f"Bench App {i}", "genre": GENRES[i % len(GENRES)],
                       "summary": f"Bench app number {i}."} for i, app in enumerate(app_ids)])
    start = datetime(2024, 1, 1)
    batch = []
    for i in range(reviews):
        app = app_ids[min(int(rng.paretovariate(1.2)) - 1, apps - 1) if rng.random() < 0.3 else rng.randrange(apps)]
        text, score = review_text(rng, screen_types[app])
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 600))
        batch.append({ID: f"bench-{seed}-{i:08d}", "reviewId": f"bench-{seed}-{i:08d}", "userName": "Bench User", "content": text,
                      "score": score, "thumbsUpCount": 0, "at": when.isoformat(), "replyContent": None, "repliedAt": None,
                      "appVersion": "1.0", "_app_id": app, "_lang": "en", "_country": "us"})
        if len(batch) == 50_000:
            pull.add("reviews", batch)
            batch = []
    pull.add("reviews", batch)
    pull.finish()

    shots = Pull.open(raw, "screens", {"bench_screens": apps * screens_per_app, "seed": seed}, {}, resume=False)
    records = []
    for i, app in enumerate(app_ids):
        color = (rng.randint(0, 200), rng.randint(0, 200), rng.randint(0, 200))
        for kind in screen_types[app]:
            lines = SCREENS[kind]
            blob = shots.add_blob(screen_png(f"Bench App {i}", lines, color, rng), "png")
            records.append({ID: f"{app}:{blob.sha256}", "context_id": app, "sha256": blob.sha256, "file": blob.file, "width": 360, "height": 640,
                            "screen_text": "\n".join(lines), "text_source": "sidecar_text", "original_name": f"{kind}.png"})
    shots.add("screens", records)
    shots.finish()

    sample = REPO / "curation" / "sample"
    spec = tomllib.loads((sample / "sources.toml").read_text(encoding="utf-8"))
    for entry in spec.get("pew_atp", []):
        pew_atp.import_sav(sample / entry["file"], raw)
    for entry in spec.get("opera", []):
        opera.import_local(sample / entry["dir"], raw)


class MemorySampler:
    """Samples this process's resident memory every ``interval`` s and keeps the peak per stage."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.stage = "setup"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize() / 2**20

    def sample(self) -> None:
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), self.rss_mb())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, required=True, help="review-like records to generate")
    parser.add_argument("--apps", type=int, help="apps (contexts) to spread them over (default: reviews / 100, at least 20)")
    parser.add_argument("--screens-per-app", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, help="folder for the snapshot, work files and dataset (default: a temporary folder)")
    parser.add_argument("--recipe", type=Path, help="recipe TOML (default: the reference recipe, or every stage's defaults)")
    args = parser.parse_args(argv)
    apps = args.apps or max(20, args.reviews // 100)

    from curation import recipe as recipes
    from curation.build import build
    from curation.recipe import TABLE_STAGES

    base = args.dir or Path(tempfile.mkdtemp(prefix="pisar-scale-"))
    raw, work, out = base / "raw", base / "work", base / "dataset"
    started = time.perf_counter()
    generate_snapshot(raw, args.reviews, apps, args.screens_per_app, args.seed)
    print(f"generated {args.reviews:,} reviews over {apps:,} apps ({apps * args.screens_per_app:,} screens) in "
          f"{time.perf_counter() - started:.1f} s -> {raw}", flush=True)

    if args.recipe:
        recipe = recipes.load(args.recipe)
    elif recipes.REFERENCE_RECIPE.is_file():
        recipe = recipes.load(recipes.REFERENCE_RECIPE)
    else:
        recipe = recipes.from_dict({"name": "bench-defaults", "seed": args.seed})

    with MemorySampler() as memory:
        def log(message: str) -> None:
            memory.sample()
            text = message.strip()
            if text.startswith("[") and "]" in text:  # "[4/9] extract": a stage starts
                memory.stage = text.split("]", 1)[1].strip()
                memory.sample()
            elif memory.stage == TABLE_STAGES[-1] and text.startswith("rows "):  # the last stage is done: writing follows
                memory.stage = "write"
            print(message, flush=True)

        build_started = time.perf_counter()
        result = build(recipe, raw, out, work, log=log)
        build_s = time.perf_counter() - build_started

    print(f"\n{'stage':<12}{'seconds':>10}{'peak RSS MB':>14}")
    for stage in result.manifest["stages"]:
        print(f"{stage['name']:<12}{stage['seconds']:>10.1f}{memory.peaks.get(stage['name'], 0.0):>14.0f}")
    print(f"{'write':<12}{build_s - sum(s['seconds'] for s in result.manifest['stages']):>10.1f}{memory.peaks.get('write', 0.0):>14.0f}")
    peak = max(memory.peaks.values(), default=0.0)
    peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    rows = sum(result.manifest["splits"].values())
    print(f"reviews={args.reviews} rows={rows} build_s={build_s:.1f} peak_rss_mb={peak:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
