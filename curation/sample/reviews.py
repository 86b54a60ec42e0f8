"""Compose the sample's reviews from the catalog and the templates with a seeded RNG.

Returns plain records in each scraper's own shape (``google_play_reviews``: the keys of
google-play-scraper's ``reviews()``; ``app_store_reviews``: app-store-scraper 0.3.5's review dict).
The mix per app is set by `Mix`; the traps (short, foreign, spam, PII, exact and near duplicates,
cross-store copies) are placed on purpose so every cleaning step has work to do.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from curation.sample import templates as T
from curation.sample.catalog import APPS, App

FIRST_DAY = datetime(2024, 1, 1)
LAST_DAY = datetime(2025, 10, 31)

# The same text posted to an app on each store (cross-store duplicate).
CROSS_STORE_REVIEW = (
    "Since the last update the app crashes every time I open it. I uninstalled it and went back to "
    "the old app I used before, because I lost a whole week of my work."
)


@dataclass(frozen=True)
class Mix:
    """How many reviews of each kind one app gets (the rest are action/opinion reviews)."""

    short: int = 5  # "good", "👍": dropped by the length filter
    foreign: int = 2  # Spanish / Amharic / Hindi: dropped or kept by the language filter
    exact_repeats: int = 2  # the same text again under another user
    near_repeats: int = 3  # typo, dropped word, case/punctuation change
    opinion_share: float = 0.15  # share of the remaining reviews without a stated action
    pii_share: float = 0.12  # reviews with an e-mail, phone, URL or @handle appended
    reply_share_negative: float = 0.35  # developer replies on 1–3 star reviews
    reply_share_positive: float = 0.1


MIX = Mix()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, app: App, rng: random.Random) -> str:
    problem, problem2 = rng.sample(app.problems, 2)
    praise, praise2 = rng.sample(app.praises, 2)
    values = {
        "task": rng.choice(app.tasks), "problem": problem, "problem2": problem2, "problem_cap": _cap(problem),
        "praise": praise, "praise2": praise2, "praise_cap": _cap(praise), "minor": rng.choice(app.minor_issues),
        "competitor": rng.choice(app.competitors), "premium": app.premium, "price": app.price,
        "version": rng.choice(app.versions), "app": app.name.split(" - ")[0].split(":")[0], "genre": app.genre.lower(),
    }
    return template.format(**values)


def _pii(rng: random.Random, name: str) -> str:
    snippet = rng.choice(T.PII_SNIPPETS)
    local = name.lower()
    return snippet.format(
        email=f"{local}.{rng.randint(10, 99)}@example.com", phone=rng.choice(T.PHONES),
        slug=f"{rng.getrandbits(32):08x}", handle=f"@{local}_{rng.randint(100, 999)}",
    )


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    i = rng.choice(candidates)
    w = words[i]
    j = rng.choice([k for k in range(1, len(w) - 2) if w[k] != w[k + 1]])  # swapping "ee" would change nothing
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _drop_word(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    del words[rng.randrange(1, len(words))]
    return " ".join(words)


def _flatten_case(text: str, rng: random.Random) -> str:
    return re.sub(r"[.!,]+", "", text.lower())


NEAR_DUPLICATE_EDITS = (_typo, _drop_word, _flatten_case)


def _person(rng: random.Random, store: str) -> tuple[str, str]:
    """(user name, first name used in a developer reply). All names are invented."""
    roll = rng.random()
    if store == "app_store" and roll < 0.6:
        return f"{rng.choice(T.HANDLE_WORDS)}_{rng.randint(1950, 2009)}", "there"
    if roll < 0.2:
        return f"User {rng.randint(100, 9999)}", "there"
    first = rng.choice(T.FIRST_NAMES)
    if roll < 0.35:
        return f"{first} {rng.choice(T.INVENTED_SURNAMES)[0]}.", first
    return f"{first} {rng.choice(T.INVENTED_SURNAMES)}", first


def _texts(app: App, rng: random.Random, mix: Mix) -> list[tuple[str, int, str]]:
    """(kind, rating, text) for one app, in no particular order."""
    n_plain = app.review_count - mix.short - mix.foreign - mix.exact_repeats - mix.near_repeats - len(_extras(app))
    out: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    while len(out) < n_plain:
        pool = T.OPINION_TEMPLATES if rng.random() < mix.opinion_share else T.ACTION_TEMPLATES
        kind, (lo, hi), template = rng.choice(pool)
        opener = rng.choice(T.OPENERS + T.OPENERS_NEGATIVE if hi <= 3 else T.OPENERS)
        closers = T.CLOSERS_NEGATIVE if hi <= 2 else T.CLOSERS_MIXED if hi == 3 else T.CLOSERS_POSITIVE
        body = _fill(template, app, rng)
        if opener.endswith(", ") and not body.startswith(("I ", "I'")):
            body = body[:1].lower() + body[1:]
        text = opener + body + rng.choice(closers).format(genre=app.genre.lower())
        if app.store == "app_store" and rng.random() < 0.3:
            text = text.replace(". ", ".\n", 1)  # multi-line App Store reviews
        if rng.random() < mix.pii_share:
            text += _pii(rng, rng.choice(T.FIRST_NAMES))
        if body.lower() in seen:  # same filled template under another opener would be an unplanned near-duplicate
            continue
        seen.add(body.lower())
        out.append((kind, rng.randint(lo, hi), text))
    out += [("short", rng.randint(1, 5), text) for text in rng.sample(T.SHORT_REVIEWS, mix.short)]
    # foreign reviews go round-robin over the apps so every language shows up
    start = APPS.index(app) * mix.foreign
    foreign = [T.FOREIGN_REVIEWS[(start + k) % len(T.FOREIGN_REVIEWS)] for k in range(mix.foreign)]
    out += [(f"foreign:{lang}", rating, text) for lang, rating, text in foreign]
    originals = [r for r in out if r[0] != "short" and not r[0].startswith("foreign")]
    out += [("exact_repeat", rating, text) for _, rating, text in rng.sample(originals, mix.exact_repeats)]
    for edit, (_, rating, text) in zip(itertools.cycle(NEAR_DUPLICATE_EDITS), rng.sample(originals, mix.near_repeats)):
        out.append((f"near_repeat:{edit.__name__.strip('_')}", rating, edit(text, rng)))
    return out


def _extras(app: App) -> list[tuple[str, int, str]]:
    """Texts placed on specific apps: the cross-store copy and the cross-app spam."""
    extras = {
        "com.example.stridefit": [("cross_store", 1, CROSS_STORE_REVIEW)],
        "1987654321": [("cross_store", 1, CROSS_STORE_REVIEW)],
        "com.example.tempomusic": [("spam", 5, T.SPAM_REVIEWS[0])],
        "com.example.forkful": [("spam", 5, T.SPAM_REVIEWS[0])],
        "com.example.northwindbank": [("spam", 5, T.SPAM_REVIEWS[1])],
        "com.example.zoomorides": [("spam", 5, T.SPAM_REVIEWS[1])],
        "1234567890": [("spam", 5, T.SPAM_REVIEWS[1])],
    }
    return extras.get(app.app_id, [])


def _when(rng: random.Random) -> datetime:
    span = int((LAST_DAY - FIRST_DAY).total_seconds())
    return FIRST_DAY + timedelta(seconds=rng.randrange(span))


def _version_at(app: App, when: datetime) -> str:
    share = (when - FIRST_DAY) / (LAST_DAY - FIRST_DAY)
    return app.versions[min(int(share * len(app.versions)), len(app.versions) - 1)]


def _reply(app: App, rng: random.Random, rating: int, first: str, kind: str) -> str | None:
    if kind in ("short", "spam") or kind.startswith("foreign"):
        return None
    share = MIX.reply_share_negative if rating <= 3 else MIX.reply_share_positive
    if rng.random() >= share:
        return None
    template = T.DEVELOPER_THANKS if rating >= 4 else rng.choice(T.DEVELOPER_REPLIES)
    return template.format(first=first, domain=app.domain, version=app.versions[-1], app=app.name.split(" - ")[0].split(":")[0])


def _reviews(app: App) -> list[dict]:
    """Reviews of one app as neutral dicts (text, rating, when, user, reply…), newest first."""
    rng = random.Random(f"pisar-sample:{app.app_id}")
    texts = _texts(app, rng, MIX) + _extras(app)
    out = []
    for kind, rating, text in texts:
        user, first = _person(rng, app.store)
        when = _when(rng)
        reply = _reply(app, rng, rating, first, kind)
        out.append({
            "kind": kind, "text": text, "rating": rating, "when": when, "user": user, "first": first,
            "reply": reply, "replied": when + timedelta(hours=rng.randint(2, 120)) if reply else None,
            "version": _version_at(app, when), "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "thumbs": rng.choice((0, 0, 0, 0, 1, 2, 5, 13, 48)), "edited": rng.random() < 0.08,
            "reply_id": rng.randint(20_000_000, 49_999_999),
        })
    out.sort(key=lambda r: r["when"], reverse=True)
    return out


def _legacy_review_id(r: dict) -> str:
    """Older Play reviews carry ``gp:AOqpTO…`` ids instead of UUIDs."""
    token = random.Random(r["uuid"]).choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", k=77)
    return "gp:AOqpTO" + "".join(token)


def google_play_reviews(app: App, with_app_version: bool = True) -> list[dict]:
    """Records shaped like google-play-scraper ``reviews(app_id, sort=NEWEST)[0]``. Dumps from
    scraper versions without ``appVersion`` also have legacy ids on their older reviews."""
    records = []
    for i, r in enumerate(_reviews(app)):
        version = r["version"] if i % 7 else None  # some reviews come from unknown versions
        legacy = not with_app_version and r["when"] < datetime(2024, 7, 1)
        record = {
            "reviewId": _legacy_review_id(r) if legacy else r["uuid"], "userName": r["user"],
            "userImage": f"https://example.com/avatars/sample-{r['uuid'][:8]}.png",
            "content": r["text"], "score": r["rating"], "thumbsUpCount": r["thumbs"],
            "reviewCreatedVersion": version, "at": r["when"], "replyContent": r["reply"], "repliedAt": r["replied"],
        }
        if with_app_version:
            record["appVersion"] = version
        records.append(record)
    return records


def app_store_reviews(app: App, with_responses: bool = True) -> list[dict]:
    """Records shaped like app-store-scraper 0.3.5 ``AppStore(...).reviews``."""
    rng = random.Random(f"pisar-sample-titles:{app.app_id}")
    records = []
    for r in _reviews(app):
        titles = T.APP_STORE_TITLES_POS if r["rating"] >= 4 else T.APP_STORE_TITLES_NEG
        record = {
            "date": r["when"], "review": r["text"], "rating": r["rating"], "isEdited": r["edited"],
            "userName": r["user"], "title": rng.choice(titles),
        }
        if with_responses and r["reply"]:
            record["developerResponse"] = {
                "id": r["reply_id"], "body": r["reply"], "modified": r["replied"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        records.append(record)
    return records


def review_kinds(app: App) -> dict[str, int]:
    """How many reviews of each kind an app has (for the README and tests)."""
    counts: dict[str, int] = {}
    for r in _reviews(app):
        kind = r["kind"].split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
