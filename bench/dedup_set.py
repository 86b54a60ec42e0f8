"""The labelled near-duplicate set of the dedup benchmarks, built from real app reviews (seeded).

Used by ``bench/dedup_accuracy.py`` and ``bench/dedup_peers.py``; nothing here is timed.

Real reviews: the Google Play ``content`` and App Store ``review`` columns of ``../shared/real-samples``
(600 reviews, present in CI; the *held-out* part, never used while choosing the rules) and
``bench/data/public_reviews.parquet`` (17.2k texts from public scraper dumps, see its README).

What a duplicate is (the specification the engine implements, checked here by an independent
brute-force function, :func:`spec_duplicate`): two texts compared as bags of words after folding
case, punctuation and repeated emoji (``"Good app!!"`` = ``"good app"``, ``"👍👍👍"`` = ``"👍"``), word order
free. A *typo* is a pair of words at Damerau-Levenshtein distance 1 (both 3+ letters, one 4+). With n
the shorter text's word count: n <= 2: at most one typo, no word added; 3 <= n < 8: at most one word
edit (a typo, an added or a dropped word); n >= 8: typos + added words <= 1 + n // 8, and the other
side may have n // 20 words of its own (replaced words). So a replaced word in a short text ("good
app" / "good game") is a different review.

Ground truth = the *group* of one original review:
- originals: every real review whose folded text is new (real exact repeats join its group), in a
  seeded order, dropped when it is within one word (equal bags, one added/dropped/replaced word) of an
  earlier one;
- when the size asks for more originals than the real pool holds: composites (two real reviews of
  similar length joined, each pool review about once), then *walks* over the word bigrams of the real
  reviews (words as written), with lengths drawn from the real reviews' and enough short ones that
  about half of all records are under 8 words; filtered like the originals;
- look-alikes, each a new group: one replaced word (a vocabulary word at Damerau-Levenshtein
  distance 4+ from the one it replaces) in a text under 18 words, sometimes twice in a row (chains:
  "good app" -> "good game" -> "great game"), sometimes with an emoji tail; and pairs of different
  short reviews given the same stock tail ("... Thank you so much developers ❤️");
- duplicates (about 15% of the records): the real exact repeats and planted copies of any original
  or look-alike with case, punctuation, an adjacent swap or a repeated emoji changed, plus (for 3
  of 4 short copies, half of those of 1-2 words, every long one) the word edits the specification
  allows for its length (typos on different words, an added word or phrase, a dropped word);
- conflicts: a record that is a duplicate by the specification of an earlier record of another group
  (candidates: exact one-edit joins, and MinHash LSH for long texts, every pair of every bucket) is
  dropped, with its whole group when it is an original; so the truth never contradicts the
  specification.
Records are shuffled (seeded) and get ids ``r0000000``... in that order, so the survivor of a group is
any of its members. A few per cent more records are generated than asked for, to cover the conflicts.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from rapidfuzz.distance import DamerauLevenshtein

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "real-samples"
PUBLIC_REVIEWS = REPO / "bench" / "data" / "public_reviews.parquet"
SEED = 20261122
SHORT = 8  # "short" = fewer words than this
DUPLICATE_SHARE = 0.15
SHORT_SHARE = 0.5
APPENDED_WORDS = ["thanks", "please", "update", "now", "again", "guys", "overall", "👍", "🙏", "❤️", "😊"]
APPENDED_PHRASES = ["so far", "please fix", "love it", "5 stars", "well done", "for now", "thank you", "keep it up"]
STOCK_TAILS = ["Highly recommend this app to everyone!", "5 stars from me guys", "Thank you so much developers ❤️", "keep it up guys, well done"]
EMOJI_TAILS = ["👍👍", "🙏🙏", "❤️❤️", "😡😡", "🔥"]
KEYBOARD_NEIGHBOURS = dict(zip("abcdefghijklmnopqrstuvwxyz", "sqvsrdfgjhkkjbpolteyibeuta"))


# ------------------------------------------------------------------------------ the specification


def fold(texts: pl.Series) -> pl.Series:
    """Each text as its list of words: NFKC, lower case, runs of letters/digits, each emoji a word,
    a run of one emoji once."""
    words = (
        texts.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\x{FE00}-\x{FE0F}\x{200D}]", "")
        .str.extract_all(r"[\p{L}\p{M}\p{N}]+|\p{So}")
    )
    repeated_emoji = (pl.element() == pl.element().shift(1)).fill_null(False) & pl.element().str.contains(r"^\p{So}$")
    return words.list.eval(pl.element().filter(~repeated_emoji))


def _is_typo(a: str, b: str) -> bool:
    return min(len(a), len(b)) >= 3 and max(len(a), len(b)) >= 4 and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


def word_edits(a: list[str], b: list[str]) -> tuple[int, int, int]:
    """(typos, words only in a, words only in b) between two word bags, typos matched greedily."""
    rest_b = list(b)
    only_a = []
    for word in a:
        if word in rest_b:
            rest_b.remove(word)
        else:
            only_a.append(word)
    typos = 0
    for word in sorted(only_a):
        match = next((other for other in sorted(rest_b) if _is_typo(word, other)), None)
        if match is not None:
            rest_b.remove(match)
            typos += 1
    return typos, len(only_a) - typos, len(rest_b)


def spec_duplicate(a: list[str], b: list[str]) -> bool:
    n = min(len(a), len(b))
    if n == 0:
        return False
    # typos + words added = the larger side's count of words the other lacks, typos or not.
    budget = 1 if n < SHORT else 1 + n // SHORT
    if abs(len(a) - len(b)) > budget or sum((Counter(a) - Counter(b)).values()) > budget or sum((Counter(b) - Counter(a)).values()) > budget:
        return False
    typos, extra_a, extra_b = word_edits(a, b)
    more, fewer = max(extra_a, extra_b), min(extra_a, extra_b)
    if n <= 2:
        return typos <= 1 and more == 0
    if n < SHORT:
        return typos + more <= 1 and fewer == 0
    return typos + more <= 1 + n // SHORT and fewer <= n // 20


# ---------------------------------------------------------------- one-word relations (exact keys)


def _bags(words: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bag per text, text of each word, hash of each word): a bag is the sum of its 64-bit word
    hashes (mod 2^64), so equal bags are equal multisets and ``bag - hash(w)`` is the bag without w."""
    lengths = words.list.len().to_numpy().astype(np.int64)
    hashes = words.explode().drop_nulls().hash(seed=7).to_numpy().astype(np.uint64)
    owner = np.repeat(np.arange(len(words)), lengths)
    bag = np.zeros(len(words), np.uint64)
    nonempty = np.flatnonzero(lengths > 0)
    if len(hashes):
        bag[nonempty] = np.add.reduceat(hashes, np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty])
    return bag, owner, hashes


def within_one_word_of_earlier(words: pl.Series) -> np.ndarray:
    """Mask of texts with an equal bag, one added/dropped word or one replaced word to an earlier text."""
    bag, owner, hashes = _bags(words)
    has_words = words.list.len().to_numpy() > 0
    keys = pl.concat(
        [
            pl.DataFrame({"doc": np.flatnonzero(has_words), "key": bag[has_words]}),
            pl.DataFrame({"doc": owner, "key": bag[owner] - hashes}),
        ]
    )
    first = keys.with_columns(first=pl.col("doc").min().over("key"))
    return np.isin(np.arange(len(words)), first.filter(pl.col("first") < pl.col("doc"))["doc"].to_numpy())


def _deletions(vocabulary: list[str]) -> pl.DataFrame:
    """(word, variant): each word of 3+ letters with itself and its one-letter deletions. Two words at
    Damerau-Levenshtein distance 1 share a variant."""
    rows = [(w, v) for w in vocabulary if len(w) >= 3 for v in {w} | {w[:i] + w[i + 1 :] for i in range(len(w))}]
    return pl.DataFrame(rows, schema=["word", "variant"], orient="row")


def one_edit_pairs(words: pl.Series, typo_words_up_to: int = 2 * SHORT) -> np.ndarray:
    """(i, j) pairs, i < j, within one word edit by the specification: equal bags, one added/dropped
    word, or one typo (found through shared deletion variants of the differing word; only texts of up
    to ``typo_words_up_to`` words, where one typo is a large share of the text)."""
    bag, owner, hashes = _bags(words)
    has_words = words.list.len().to_numpy() > 0
    flat = pl.DataFrame({"doc": owner, "key": bag[owner] - hashes, "word": words.explode().drop_nulls()})
    short = flat.filter(pl.Series(words.list.len().to_numpy()[owner] <= typo_words_up_to))
    typo = short.join(_deletions(short["word"].unique().to_list()), on="word").select(
        "doc", key=pl.col("key").hash(seed=1) ^ pl.col("variant").hash(seed=2)
    )
    entries = {
        0: pl.DataFrame({"doc": np.flatnonzero(has_words), "key": bag[has_words]}),
        1: flat.select("doc", "key"),
        2: typo,
    }
    entries = {kind: table.unique() for kind, table in entries.items()}
    pairs = []
    for left, right in ((0, 0), (0, 1), (2, 2)):
        joined = entries[left].rename({"doc": "a"}).join(entries[right].rename({"doc": "b"}), on="key").filter(pl.col("a") != pl.col("b"))
        pairs.append(joined.select(i=pl.min_horizontal("a", "b"), j=pl.max_horizontal("a", "b")))
    return pl.concat(pairs).unique().sort("i", "j").to_numpy().reshape(-1, 2)


def long_candidate_pairs(words: pl.Series) -> np.ndarray:
    """(i, j) candidate pairs of texts of ``SHORT``+ words: MinHash LSH over in-word character 4-grams
    (the engine's own vectorised functions; each pair is then decided by :func:`spec_duplicate`)."""
    from pisar_data.minhash import DedupConfig, band_keys, lsh_candidates, shingle, signatures

    config = DedupConfig(max_bucket_all_pairs=100_000)  # every pair of a bucket, however large
    texts = words.list.join(" ")
    long = (words.list.len() >= SHORT).to_numpy()
    shingles = shingle(texts, config)
    sigs = signatures(shingles, config, docs=np.flatnonzero(long))
    return lsh_candidates(band_keys(sigs, config), long, config)


def duplicate_pairs(words: pl.Series) -> np.ndarray:
    """Every (i, j), i < j, that :func:`spec_duplicate` calls duplicates: candidates from
    :func:`one_edit_pairs` (exact) and :func:`long_candidate_pairs`."""
    pairs = np.concatenate((one_edit_pairs(words), long_candidate_pairs(words)))
    if not len(pairs):
        return pairs
    pairs = np.unique(pairs, axis=0)
    lists = words.to_list()
    return pairs[[spec_duplicate(lists[i], lists[j]) for i, j in pairs.tolist()]]


# -------------------------------------------------------------------------------------- the set


@dataclass
class LabelledSet:
    texts: list[str]
    groups: np.ndarray  # truth group of each record
    kinds: list[str]  # original | composite | lookalike | tail | repeat | edit

    @property
    def ids(self) -> list[str]:
        return [f"r{i:07d}" for i in range(len(self.texts))]

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({"id": self.ids, "text": self.texts})


def read_real_reviews(samples: Path | None, public: bool = True) -> list[str]:
    texts: list[str] = []
    if samples is not None:
        for folder, column in (("google_play", "content"), ("app_store", "review")):
            for path in sorted((samples / folder).glob("*.csv")):
                frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
                if column in frame.columns:
                    texts += frame[column].drop_nulls().to_list()
    if public:
        texts += pl.read_parquet(PUBLIC_REVIEWS)["text"].to_list()
    return [t.lstrip("\ufeff").strip() for t in texts if t and t.strip()]


def _typo(words: list[str], rng: random.Random, done: set[int]) -> list[str]:
    choices = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4 and i not in done]
    if not choices:
        return words
    i = rng.choice(choices)
    w = words[i]
    k = rng.choice([j for j, c in enumerate(w) if c.isalpha()][1:-1] or [0])
    kind = rng.choice(["substitute", "delete", "double", "transpose"])
    if kind == "substitute":
        w = w[:k] + KEYBOARD_NEIGHBOURS.get(w[k].lower(), "e") + w[k + 1 :]
    elif kind == "delete":
        w = w[:k] + w[k + 1 :]
    elif kind == "transpose" and k + 1 < len(w) and w[k] != w[k + 1]:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    else:
        w = w[: k + 1] + w[k:]
    done.add(i)
    return words[:i] + [w] + words[i + 1 :]


def _free_edit(words: list[str], rng: random.Random) -> list[str]:
    """An edit the specification ignores: case, punctuation, an adjacent swap, a repeated emoji."""
    style = rng.choice(["lower", "upper", "dots", "bang", "swap", "emoji"])
    if style == "lower":
        return [w.lower() for w in words]
    if style == "upper":
        return [w.upper() for w in words]
    if style == "dots":
        return [w.rstrip(".!,") for w in words[:-1]] + [words[-1] + "..."]
    if style == "swap" and len(words) >= 2:
        i = rng.randrange(len(words) - 1)
        return words[:i] + [words[i + 1], words[i]] + words[i + 2 :]
    if style == "emoji" and words[-1] and not words[-1][-1].isalnum() and ord(words[-1][-1]) > 0x2000:
        return words[:-1] + [words[-1] + words[-1][-1]]
    return words[:-1] + [words[-1].rstrip(".!") + "!!"]


def planted_copy(text: str, n_words: int, rng: random.Random) -> str:
    """A copy of ``text`` (``n_words`` folded words) with the word edits its length allows."""
    words = text.split()
    typo_done: set[int] = set()
    # Some copies are plain reposts (case, punctuation, emoji only), as many real duplicates are.
    word_edits_left = rng.choice([0, 1]) if n_words <= 2 else rng.choice([0, 1, 1, 1]) if n_words < SHORT + 1 else rng.choice([1, 2, 2])
    for _ in range(word_edits_left):
        kind = rng.choice(["typo"] if n_words <= 2 else ["typo", "add", "drop"])
        if kind == "typo":
            words = _typo(words, rng, typo_done)
        elif kind == "add":
            phrases = APPENDED_WORDS + (APPENDED_PHRASES if n_words >= 2 * SHORT else [])
            words = words + [rng.choice(phrases)]
            break  # a phrase may be two words: it is the last word edit
        elif len(words) >= 4:
            i = rng.randrange(len(words))
            words = words[:i] + words[i + 1 :]
            typo_done = {j - (j > i) for j in typo_done if j != i}
    for _ in range(rng.choice([0, 1, 1, 2])):
        words = _free_edit(words, rng)
    return " ".join(words)


def _far_word(word: str, vocabulary: list[str], rng: random.Random) -> str:
    for _ in range(100):
        other = rng.choice(vocabulary)
        if DamerauLevenshtein.distance(word, other) >= 4:
            return other
    return "zebra"


def _replace_word(text: str, vocabulary: list[str], rng: random.Random) -> str | None:
    words = text.split()
    positions = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 3]
    if not positions:
        return None
    i = rng.choice(positions)
    letters = "".join(c for c in words[i] if c.isalpha())
    words[i] = words[i].replace(letters, _far_word(letters.lower(), vocabulary, rng), 1)
    return " ".join(words)


def _composites(pool: list[str], pool_n: list[int], count: int, short_share: float, rng: random.Random) -> list[str]:
    """``count`` new reviews, each two pool reviews of similar length joined (each unordered pair once)."""
    by_length = sorted((w, i) for i, w in enumerate(pool_n) if w >= 2)
    lengths = np.array([w for w, _ in by_length])
    members = [i for _, i in by_length]
    short = [i for w, i in by_length if w <= 3]
    seen: set[tuple[int, int]] = set()
    texts: list[str] = []
    while len(texts) < count:
        if rng.random() < short_share:
            a, b = rng.choice(short), rng.choice(short)
        else:
            a = rng.choice(members)
            lo, hi = np.searchsorted(lengths, (pool_n[a] + 1) // 2), np.searchsorted(lengths, pool_n[a] * 2, side="right")
            b = members[rng.randrange(lo, hi)]
        pair = (min(a, b), max(a, b))
        if a == b or pair in seen:
            continue
        seen.add(pair)
        texts.append(pool[a].rstrip() + rng.choice([" ", ". ", ", ", "\n"]) + pool[b].lstrip())
    return texts


def markov_reviews(pool: list[str], lengths: np.ndarray, seed: int) -> list[str]:
    """One new review per entry of ``lengths`` (words), each a walk over the word bigrams of the real
    reviews (words as written, with their case and punctuation; a word without a successor restarts
    from the words that begin reviews). Vectorised: all walks take a step at once."""
    rng = np.random.default_rng(seed)
    tokens = [text.split() for text in pool]
    vocabulary, ids = np.unique(np.array([w for t in tokens for w in t], dtype=object), return_inverse=True)
    bounds = np.cumsum([0] + [len(t) for t in tokens])
    ids = ids.astype(np.int64)
    first = ids[bounds[:-1][np.diff(bounds) > 0]]
    inside = np.ones(len(ids), dtype=bool)
    inside[bounds[1:] - 1] = False  # the last word of a review has no successor in it
    prev, succ = ids[:-1][inside[:-1]], ids[1:][inside[:-1]]
    order = np.argsort(prev, kind="stable")
    prev, succ = prev[order], succ[order]
    start = np.searchsorted(prev, np.arange(len(vocabulary)))
    count = np.searchsorted(prev, np.arange(len(vocabulary)), side="right") - start
    words = np.full((len(lengths), int(lengths.max(initial=1))), -1, dtype=np.int64)
    current = first[rng.integers(0, len(first), len(lengths))]
    words[:, 0] = current
    for step in range(1, words.shape[1]):
        has_next = count[current] > 0
        pick = start[current] + (rng.random(len(current)) * np.maximum(count[current], 1)).astype(np.int64)
        restart = first[rng.integers(0, len(first), len(current))]
        current = np.where(has_next, succ[np.minimum(pick, len(succ) - 1)], restart)
        words[:, step] = np.where(step < lengths, current, -1)
    return [" ".join(vocabulary[row[row >= 0]]) for row in words]


def build(n: int | None, samples: Path | None = DEFAULT_SAMPLES, public: bool = True, seed: int = SEED) -> LabelledSet:
    """The set with ``n`` records (``None``: every usable real review, no composites)."""
    rng = random.Random(seed)
    reviews = read_real_reviews(samples, public)
    rng.shuffle(reviews)
    folded = fold(pl.Series(reviews, dtype=pl.Utf8)).list.join(" ").to_list()
    first: dict[str, str] = {}
    repeats: list[tuple[str, str]] = []
    for text, key in zip(reviews, folded):
        if key and key in first:
            repeats.append((key, text))
        elif key:
            first[key] = text
    pool = list(first.values())
    keep = ~within_one_word_of_earlier(fold(pl.Series(pool, dtype=pl.Utf8)))
    pool = [t for t, k in zip(pool, keep) if k]
    pool_n = fold(pl.Series(pool, dtype=pl.Utf8)).list.len().to_list()

    # Originals: the pool, then composites; generated with 5% to spare for the conflicts dropped below.
    duplicates = int((n or len(pool) / (1 - DUPLICATE_SHARE)) * DUPLICATE_SHARE)
    lookalike_count = max((n or len(pool)) // 25, 20)
    wanted = len(pool) if n is None else int((n - duplicates - lookalike_count) * 1.03)
    originals, kinds = pool[:wanted], ["original"] * min(wanted, len(pool))
    if wanted > len(pool):
        # Composites use each pool review about once; walks over the real word bigrams make the rest,
        # their lengths drawn from the pool's long reviews or uniform in 1..7 words, in rounds until
        # there are enough short and long originals left after the filter (short walks collide more).
        composites = min(wanted - len(pool), len(pool) // 2)
        short_wanted = SHORT_SHARE * wanted
        share = min(max((short_wanted - sum(w < SHORT for w in pool_n)) / (wanted - len(pool)), 0.0), 1.0)
        originals += _composites(pool, pool_n, composites, share, rng)
        kinds += ["composite"] * composites
        long_lengths = np.array([w for w in pool_n if w >= SHORT])
        draw = np.random.default_rng(seed)
        for round_seed in range(seed, seed + 5):
            counts = fold(pl.Series(originals, dtype=pl.Utf8)).list.len().to_numpy()
            short_missing = max(int(short_wanted - (counts < SHORT).sum()), 0)
            long_missing = max(wanted - len(originals) - short_missing, 0)
            if short_missing + long_missing == 0:
                break
            lengths = np.concatenate(
                (draw.integers(1, SHORT, int(short_missing * 1.3) + 1), long_lengths[draw.integers(0, len(long_lengths), int(long_missing * 1.1) + 1)])
            )
            originals += markov_reviews(pool, draw.permutation(lengths), round_seed)
            kinds += ["walk"] * len(lengths)
            keep = ~within_one_word_of_earlier(fold(pl.Series(originals, dtype=pl.Utf8)))
            originals, kinds = [t for t, k in zip(originals, keep) if k], [t for t, k in zip(kinds, keep) if k]
        originals, kinds = originals[:wanted], kinds[:wanted]
    counts = fold(pl.Series(originals, dtype=pl.Utf8)).list.len().to_list()

    # Look-alikes replace one word: a different review only below 20 words (the rule allows one
    # replaced word in 20); each is its own group.
    vocabulary = [w for w in fold(pl.Series(pool, dtype=pl.Utf8)).explode().drop_nulls().to_list() if len(w) >= 3 and w.isalpha()]
    short_originals = [i for i, c in enumerate(counts) if 1 <= c < SHORT]
    under_20 = [i for i, c in enumerate(counts) if 1 <= c < 18]
    records, groups, record_kinds = list(originals), list(range(len(originals))), list(kinds)
    added = 0
    while added < lookalike_count:
        kind = rng.choice(["replace", "replace", "chain", "emoji", "tail"])
        if kind == "tail":
            tail = rng.choice(STOCK_TAILS)
            for i in rng.sample(short_originals, 2):
                records.append(f"{originals[i].rstrip()} {tail}")
                record_kinds.append("tail")
                groups.append(len(groups))
                added += 1
            continue
        text = originals[rng.choice(short_originals if rng.random() < 0.7 else under_20)]
        for _ in range(2 if kind == "chain" else 1):
            text = _replace_word(text, vocabulary, rng)
            if text is None:
                break
            if kind == "emoji":
                text = f"{text} {rng.choice(EMOJI_TAILS)}"
            records.append(text)
            record_kinds.append("lookalike")
            groups.append(len(groups))
            added += 1

    # Duplicates: the real exact repeats, then planted copies of any original or look-alike.
    index_of = {key: i for i, key in enumerate(fold(pl.Series(records, dtype=pl.Utf8)).list.join(" ").to_list())}
    for key, text in repeats:
        if key in index_of:
            records.append(text)
            groups.append(index_of[key])
            record_kinds.append("repeat")
    word_counts = fold(pl.Series(records, dtype=pl.Utf8)).list.len().to_list()
    for _ in range(int(max(duplicates - len(repeats), 0) * 1.15)):
        source = rng.randrange(len(index_of))
        records.append(planted_copy(records[source], word_counts[source], rng))
        groups.append(groups[source])
        record_kinds.append("edit")

    # Conflicts: a record that is a duplicate (by the specification) of an earlier record of another
    # group goes, with its whole group when it is a group's first record (an original).
    words = fold(pl.Series(records, dtype=pl.Utf8))
    lists = words.to_list()
    groups_array = np.array(groups)
    drop = np.zeros(len(records), dtype=bool)
    is_copy = np.array([k == "edit" for k in record_kinds])
    drop[is_copy & ~np.array([spec_duplicate(lists[i], lists[groups[i]]) or lists[i] == lists[groups[i]] for i in range(len(records))])] = True
    for i, j in duplicate_pairs(words).tolist():
        if groups[i] != groups[j]:
            drop[j] = True
    dropped_groups = {groups[i] for i in np.flatnonzero(drop) if groups[i] == i}
    drop |= np.isin(groups_array, list(dropped_groups))
    order = [i for i in range(len(records)) if not drop[i]]
    random.Random(seed + 1).shuffle(order)
    if n is not None:
        if len(order) < n:
            print(f"dedup_set: {len(order)} records left of the {n} asked for (conflicts dropped more than the spare)")
        order = order[:n]
    return LabelledSet([records[i] for i in order], groups_array[order], [record_kinds[i] for i in order])


# ------------------------------------------------------------------------------------ scoring


def _pairs(frame: pl.DataFrame, by: list[str]) -> int:
    sizes = frame.group_by(by).len()["len"].to_numpy().astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _prf(frame: pl.DataFrame) -> tuple[float, float, float]:
    both, predicted, true = _pairs(frame, ["p", "t"]), _pairs(frame, ["p"]), _pairs(frame, ["t"])
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def score(labelled: LabelledSet, survivor: np.ndarray) -> dict:
    """Figures for one system's result: ``survivor[i]`` = index of the record that record i was kept as.

    Pairwise precision/recall/F1 (a predicted pair: two records with the same survivor; a true pair:
    two records of one group), the same over records of fewer than 8 words, *lost groups* (groups none
    of whose records was kept), *cross-group removals* (records removed as a duplicate of another
    group's record) and *merged clusters* (predicted clusters holding records of 2+ groups)."""
    survivor = np.asarray(survivor)
    kept = survivor == np.arange(len(survivor))
    if not kept[survivor].all():
        raise ValueError("a record was removed as a duplicate of a record that was itself removed")
    frame = pl.DataFrame({"p": survivor, "t": labelled.groups})
    short = fold(pl.Series(labelled.texts, dtype=pl.Utf8)).list.len().to_numpy() < SHORT
    precision, recall, f1 = _prf(frame)
    s_precision, s_recall, s_f1 = _prf(frame.filter(pl.Series(short)))
    lost = frame.filter(pl.Series(kept)).select("t").unique().height
    groups = frame.select("t").unique().height
    cross = int((labelled.groups[survivor] != labelled.groups).sum())
    merged = frame.group_by("p").agg(pl.col("t").n_unique()).filter(pl.col("t") > 1).height
    return {
        "records": len(survivor),
        "groups": groups,
        "kept": int(kept.sum()),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "short_precision": round(s_precision, 4),
        "short_recall": round(s_recall, 4),
        "short_f1": round(s_f1, 4),
        "lost_groups": groups - lost,
        "cross_group_removals": cross,
        "merged_clusters": merged,
    }


def survivors_from_decisions(ids: list[str], kept_ids: list[str], removed_ids: list[str]) -> np.ndarray:
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    survivor = np.arange(len(ids))
    survivor[[index[r] for r in removed_ids]] = [index[k] for k in kept_ids]
    return survivor
