"""Near-duplicate removal for review texts: exact hash, exact word-level joins for short texts,
MinHash LSH for long ones, every removal checked against the text that is kept.

What a duplicate is — the rule, on the normalized texts as bags of words (word order free): a *typo*
is a pair of words at Damerau-Levenshtein distance 1 (both 3+ letters, one 4+); with n the shorter
text's word count,

- n <= 2: at most one typo, no word added ("good" = "goood" = "Good!!", but "good" != "good game");
- 3 <= n < ``short_words`` (8): at most one word edit — a typo, an added word or a dropped word
  ("the app keeps crashing" = "the app keeps crashing again"); a replaced word is a different review
  ("great bank app 👍👍" != "terrible bank app 👍👍");
- n >= ``short_words``: typos + words added <= 1 + n // ``edit_every``, and the other side may have
  n // ``replace_every`` words of its own (replaced words), and the texts' exact Jaccard over their
  shingles is >= ``threshold``.

A short review *contained* in a longer one ("best study platform" in "pw is best platform online
study") is therefore not a duplicate of it. That containment was the cause of the lost reviews of
issue 17: the earlier rule allowed 3 appended words at any length, so a 3-word review was "an edited
copy" of every 6-word review holding its words, and was removed when the longer one had the smaller id.

Phases, one named function each (timed by :func:`deduplicate`, which runs them in order):

1. :func:`normalize` — NFKC, lower case, punctuation dropped, emoji split off as words (variation
   selectors and joiners dropped, a run of one emoji kept once), whitespace collapsed. A text
   longer than ``max_chars`` after this is compared for exact duplicates only (counted as
   ``texts_capped``): the memory of every later phase is bounded per record, and two long texts that
   differ only past the cap are never taken for near duplicates.
2. :func:`exact_groups` — 64-bit hash of the normalized text; only each group's representative (the
   survivor rule below) goes on.
3. :func:`one_edit_pairs` — short texts (up to ``short_words`` words): every pair within one word
   edit, found *exactly* by joins on word bags (a bag is the sum of 64-bit word hashes): equal bags,
   a bag equal to another minus one word, and a bag equal to another with one word replaced by a typo
   neighbour (typo neighbours come from shared one-letter deletions over the vocabulary). These
   pairs are duplicates by the rule; no estimate, no Python per pair.
4. :func:`shingle` / :func:`signatures` / :func:`lsh_candidates` — long texts (``short_words`` words
   or more): character 4-grams inside words, MinHash signatures (datasketch's ``affine32`` scheme,
   vectorised: see "Signatures" below), banding into ``bands`` × ``rows``.
5. :func:`agreement` / :func:`jaccard` — cheap vectorised filters on the long candidates: signature
   agreement far below ``threshold`` rejects, then the exact Jaccard must reach ``threshold``.
6. :func:`assign_survivors` — texts in id order; a text not yet taken is kept and takes every text
   not yet taken that is a duplicate of it (long pairs pass :func:`edit_check` here, only when the
   answer can change a survivor), then every text that is a duplicate of one of those and close
   enough to the kept one (:func:`second_degree`: two copies of one review, each one edit from it,
   never a replaced word). Every
   removed text is compared with the text kept for it, never only with a neighbour, so no chain
   ("good app for kids" ~ "good app for" ~ "good app for me") carries a review into another's cluster.
7. :func:`decisions` — one row per removed text: cluster_id, kept_id, removed_id, jaccard (exact
   Jaccard of the removed and the kept text; 1.0 for exact duplicates), kind (exact|near).

Survivor rule (deterministic, independent of input order): texts are put in the order of their id
(string order) and every index below is a rank in that order; a cluster keeps its smallest id, and
``cluster_id`` is derived from that id only.

Signatures: datasketch's own per-document path (one Python object and one ``update_batch`` call per
text, one ``MinHashLSH.insert`` per text) costs tens of microseconds per text. This module applies the
same permutations (drawn as datasketch draws them: ``numpy.random.RandomState(seed)``, odd ``a`` and
``b`` below 2^32, input pre-mixed with MurmurHash3's finalizer, ``a*h + b mod 2^32``) to a chunk of
texts of similar shingle count at once, one shingle position at a time with an element-wise running
minimum. datasketch is the reference, not a dependency: the tests check the signatures bit for bit
against ``datasketch.MinHash.bulk`` and the banding against ``datasketch.MinHashLSH``, and
``bench/dedup_peers.py`` runs it side by side (importing it costs a second of start-up, through scipy).
rensa (Rust) was measured as the signature engine: its flat-hash digest matrix computes 15M shingles ×
160 permutations in 1.0 s against 2.3 s here on one thread, but the matrix leaves Rust only as Python
lists (2.3 s more) and its LSH answers per query or with flags, not pairs; so the numpy path is the
faster whole, without a compiled dependency. ``bench/dedup_peers.py`` compares the command with both
libraries end to end.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np
import polars as pl
from rapidfuzz.distance import DamerauLevenshtein

Progress = Callable[..., Iterable]
_NO_PROGRESS: Progress = lambda items, description="", total=None: items  # noqa: E731

_U64 = np.uint64
_WORD_SEED = 3  # polars hash seed of a word in a bag
_GOLDEN = _U64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of near-duplicate removal (defaults = the reference recipe).

    short_words, edit_every, replace_every: the duplicate rule (module docstring). 8 words splits app
        reviews about in half; below it one word is an eighth of the text or more, so only one word
        edit is allowed; above it the allowance grows by one edit per 8 words and one replaced word
        per 20. Measured with ``bench/dedup_accuracy.py`` (held-out and public sets).
    shingling: for long texts, ``"wcharN"`` (default ``wchar4``): character N-grams inside each word
        framed by spaces (" good " -> " goo", "good", "ood "), the text's set being the union over its
        words; ``"charN"``: character N-grams across the whole text; ``"wordN"``: word N-grams. Inside
        words, a typo touches only the N-grams of one word and word order does not matter.
    num_perm: MinHash permutations (= bands * rows).
    bands, rows: LSH banding of long texts. A pair with Jaccard s becomes a candidate with probability
        ``1 - (1 - s**rows)**bands``; with 32 bands × 5 rows: **s=0.5: 0.64, s=0.6: 0.92, s=0.7: 0.998,
        s=0.8: >0.99999**. Rows=5 keeps candidates linear at scale: an unrelated pair at s=0.03
        collides with p=7.8e-7 (4 rows: 2.6e-5, 33× more candidates at 1M texts). Long duplicates by
        the rule are mostly above s=0.7.
    threshold: the least exact Jaccard (over the shingle sets) of a long duplicate pair.
    max_chars: longer normalized texts are compared for exact duplicates only. A 5 MB "review" would
        otherwise need millions of shingles and words, and gigabytes in the padded signature chunks;
        app-store reviews stay far below it (Google Play allows 500 characters, the App Store about
        6,000).
    max_bucket_all_pairs: an LSH bucket with at most this many texts yields all its pairs; a larger
        one yields a star (smallest id to every member) plus a chain (neighbours in id order), which
        keeps candidate counts linear on very repetitive input.
    seed: MinHash permutation seed (datasketch ``seed``).
    chunk_docs: texts per vectorised signature chunk (texts of about the same shingle count, one
        shingle position at a time): the 256 × 160 temporaries (160 KB) stay in the CPU cache;
        measured fastest among 128–1024.
    workers: threads for the signature chunks (numpy releases the GIL).
    """

    short_words: int = 8
    edit_every: int = 8
    replace_every: int = 20
    shingling: str = "wchar4"
    num_perm: int = 160
    bands: int = 32
    rows: int = 5
    threshold: float = 0.5
    max_chars: int = 10_000
    max_bucket_all_pairs: int = 8
    seed: int = 1
    chunk_docs: int = 256
    workers: int = 2

    def __post_init__(self) -> None:
        kind, n = self.shingle_kind()
        if kind not in ("char", "word", "wchar") or n < 1:
            raise ValueError(f"shingling must be 'wcharN', 'charN' or 'wordN' (e.g. wchar4, char5, word3), got {self.shingling!r}")
        if self.bands * self.rows != self.num_perm:
            raise ValueError(f"bands × rows must equal num_perm, got {self.bands} × {self.rows} != {self.num_perm}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be a number in (0, 1], got {self.threshold!r}")
        for name in ("short_words", "edit_every", "replace_every", "max_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive whole number, got {getattr(self, name)!r}")

    def shingle_kind(self) -> tuple[str, int]:
        kind = self.shingling.rstrip("0123456789")
        digits = self.shingling[len(kind) :]
        return kind, int(digits) if digits else 0

    def detection_probability(self, jaccard: float) -> float:
        return 1.0 - (1.0 - jaccard**self.rows) ** self.bands

    def allows(self, words: int, typos: int, extra: int, replaced: int) -> bool:
        """The duplicate rule for a pair whose shorter text has ``words`` words (module docstring)."""
        if words <= 2:
            return typos <= 1 and extra == 0 and replaced == 0
        if words < self.short_words:
            return typos + extra <= 1 and replaced == 0
        return typos + extra <= 1 + words // self.edit_every and replaced <= words // self.replace_every

    @classmethod
    def with_perm(cls, num_perm: int, **overrides) -> DedupConfig:
        """A config with ``num_perm`` permutations and the default rows per band (bands = num_perm / rows)."""
        rows = overrides.pop("rows", cls.rows)
        if num_perm % rows:
            raise ValueError(f"num_perm must be a multiple of rows ({rows}), got {num_perm}")
        return cls(num_perm=num_perm, bands=num_perm // rows, rows=rows, **overrides)


@dataclass
class DedupResult:
    kept: np.ndarray  # bool per input row (input order)
    decisions: pl.DataFrame  # cluster_id, kept_id, removed_id, jaccard, kind
    counts: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------- phases


def normalize(texts: pl.Series) -> pl.Series:
    """Comparison form of each text: NFKC, lower case, every run of punctuation and spaces -> one
    space, emoji as separate words (variation selectors and joiners dropped, a run of one emoji once).

    ASCII texts (most reviews) skip the Unicode steps: NFKC leaves them unchanged and they hold no emoji.
    """
    texts = texts.fill_null("")
    unicode = texts.str.contains(r"[^\x00-\x7F]")
    if unicode.any():
        rows = np.flatnonzero(unicode.to_numpy())
        subset = texts.gather(rows)
        # NFKC changes few texts and polars' is slow on every one: only those not already normalized.
        changes = np.flatnonzero([not unicodedata.is_normalized("NFKC", t) for t in subset.to_list()])
        if len(changes):
            subset = subset.scatter(changes, subset.gather(changes).str.normalize("NFKC"))
        texts = texts.scatter(rows, subset.str.replace_all(r"(\p{So})[\x{FE00}-\x{FE0F}]?", " ${1} "))
    normalized = texts.str.to_lowercase().str.replace_all(r"[^\p{L}\p{M}\p{N}\p{So}]+", " ").str.strip_chars()
    # Repeated emoji ("👍 👍 👍"): only texts with two emoji in a row go through the (slower) list step.
    repeated = normalized.str.contains(r"\p{So} \p{So}")
    if not repeated.any():
        return normalized
    words = normalized.filter(repeated).str.split(" ")
    again = (pl.element() == pl.element().shift(1)).fill_null(False) & pl.element().str.contains(r"^\p{So}$")
    collapsed = words.list.eval(pl.element().filter(~again)).list.join(" ")
    return normalized.scatter(np.flatnonzero(repeated.to_numpy()), collapsed)


def exact_groups(normalized: pl.Series) -> np.ndarray:
    """For each text (id-ranked), the rank of its exact-duplicate representative (smallest rank).

    A text that normalizes to nothing (empty, punctuation only) has no content to compare and is
    its own representative: it is never a duplicate.
    """
    ranks = np.arange(len(normalized), dtype=np.int64)
    frame = pl.DataFrame({"key": normalized.hash(seed=0).to_numpy(), "rank": ranks})
    representative = frame.with_columns(rep=pl.col("rank").min().over("key"))["rep"].to_numpy()
    return np.where((normalized.str.len_bytes() > 0).to_numpy(), representative, ranks)


@dataclass
class Shingles:
    hashes: np.ndarray  # uint32, all documents' shingles back to back (duplicates within a document possible)
    offsets: np.ndarray  # int64, len = docs + 1

    def of(self, doc: int) -> np.ndarray:
        return self.hashes[self.offsets[doc] : self.offsets[doc + 1]]


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    # datasketch's pre-mix for the affine32 scheme (MurmurHash3 finalizer).
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _char_shingles(texts: pl.Series, n: int) -> Shingles:
    # Code points of all texts back to back, each followed by n-1 zeros so that a text shorter than n
    # still yields one (zero-padded) shingle and no shingle spans two texts.
    pad = "\0" * (n - 1)
    joined = texts.str.join(pad).item() if len(texts) else ""
    codes = np.frombuffer((joined + pad).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
    lengths = texts.str.len_chars().to_numpy().astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + n - 1)[:-1])) if len(texts) else np.zeros(0, np.int64)
    counts = np.where(lengths > 0, np.maximum(lengths - n + 1, 1), 0)
    rolled = np.zeros(max(len(codes) - n + 1, 0), dtype=_U64)
    for k in range(n):
        rolled = rolled * _GOLDEN + codes[k : len(codes) - n + 1 + k]
    positions = np.repeat(starts, counts) + _ranges(counts)
    hashes = (_fmix64(rolled[positions]) & _U64(0xFFFFFFFF)).astype(np.uint32)
    return Shingles(hashes, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))


def _word_char_shingles(texts: pl.Series, n: int) -> Shingles:
    # Each word framed by spaces is shingled on its own; a text's shingles are the union over its
    # words. Computed on the whole framed text " w1 w2 ... " at once: a window of n characters is a
    # word's shingle when no space is inside it (only at its ends); a word too short for one window
    # (" a ") gives one window padded with zeros, as _char_shingles pads a short text.
    framed = pl.select(pl.when(texts.str.len_bytes() > 0).then(" " + texts + " ").otherwise(pl.lit(""))).to_series()
    pad = "\0" * (n - 1)
    joined = framed.str.join(pad).item() if len(framed) else ""
    codes = np.frombuffer((joined + pad).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
    lengths = framed.str.len_chars().to_numpy().astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + n - 1)[:-1])) if len(texts) else np.zeros(0, np.int64)
    windows = max(len(codes) - n + 1, 0)
    rolled = np.zeros(windows, dtype=_U64)
    for k in range(n):
        rolled = rolled * _GOLDEN + codes[k : windows + k]
    space = codes == 32
    text_of = np.repeat(np.arange(len(texts)), lengths + n - 1)[:windows]
    inside = np.arange(windows) + n <= (starts + lengths)[text_of]  # the window ends inside its text
    spaced = np.zeros(windows, dtype=bool)
    for k in range(1, n - 1):
        spaced |= space[k : windows + k]
    keep = inside & ~spaced
    # Short words: a space, 1..n-3 letters, a space.
    short = np.zeros(windows, dtype=bool)
    padded = np.zeros(windows, dtype=_U64)
    for letters in range(1, n - 2):
        ends_here = space[:windows] & space[letters + 1 : windows + letters + 1]
        for k in range(1, letters + 1):
            ends_here &= ~space[k : windows + k]
        ends_here &= np.arange(windows) + letters + 2 <= (starts + lengths)[text_of]
        if ends_here.any():
            at = np.flatnonzero(ends_here)
            value = np.zeros(len(at), dtype=_U64)
            for k in range(n):
                value = value * _GOLDEN + (codes[at + k] if k < letters + 2 else _U64(0))
            padded[at] = value
            short |= ends_here
    rolled = np.where(short, padded, rolled)
    chosen = np.flatnonzero(keep | short)
    hashes = (_fmix64(rolled[chosen]) & _U64(0xFFFFFFFF)).astype(np.uint32)
    counts = np.bincount(text_of[chosen], minlength=len(texts))
    return Shingles(hashes, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))


def _word_shingles(texts: pl.Series, n: int) -> Shingles:
    words = texts.str.split(" ")
    lengths = np.where(texts.str.len_bytes().to_numpy() > 0, words.list.len().to_numpy(), 0).astype(np.int64)
    token_hashes = words.explode().hash(seed=0).to_numpy() if len(texts) else np.zeros(0, _U64)
    # `explode` keeps one (empty) token for an empty text; drop those.
    token_hashes = token_hashes[np.repeat(lengths > 0, np.maximum(lengths, 1))]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(texts) else np.zeros(0, np.int64)
    padded = np.concatenate((token_hashes, np.zeros(n - 1, _U64)))
    counts = np.where(lengths > 0, np.maximum(lengths - n + 1, 1), 0)
    positions = np.repeat(starts, counts) + _ranges(counts)
    lengths_at = np.repeat(lengths, counts)
    offset_in_doc = _ranges(counts)
    rolled = np.zeros(len(positions), dtype=_U64)
    for k in range(n):
        inside = offset_in_doc + k < lengths_at  # a short text's single shingle is its words, unpadded
        rolled = rolled * _GOLDEN + np.where(inside, padded[np.minimum(positions + k, len(padded) - 1)], _U64(0))
    hashes = (_fmix64(rolled) & _U64(0xFFFFFFFF)).astype(np.uint32)
    return Shingles(hashes, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique's hash-based path is far slower than a sort on large uint64 arrays (numpy 2.x).
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _ranges(counts: np.ndarray) -> np.ndarray:
    """concatenate(arange(c) for c in counts), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)


def shingle(texts: list[str] | pl.Series, config: DedupConfig, chunk: int = 20_000) -> Shingles:
    """Shingle hashes (uint32, the 'hashfunc' values datasketch would be fed) of normalized texts.

    Works through ``chunk`` texts at a time so the intermediate arrays stay cache- and memory-sized.
    """
    kind, n = config.shingle_kind()
    series = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.Utf8)
    function = {"char": _char_shingles, "word": _word_shingles, "wchar": _word_char_shingles}[kind]
    parts = [function(series.slice(start, chunk), n) for start in range(0, len(series), chunk)]
    if not parts:
        return Shingles(np.zeros(0, np.uint32), np.zeros(1, np.int64))
    bases = np.cumsum([0] + [len(p.hashes) for p in parts[:-1]])
    offsets = np.concatenate([parts[0].offsets[:1]] + [p.offsets[1:] + base for p, base in zip(parts, bases)])
    return Shingles(np.concatenate([p.hashes for p in parts]), offsets)


def permutations(config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutations for ``(num_perm, seed)``, drawn as datasketch draws them."""
    generator = np.random.RandomState(config.seed)
    a = generator.randint(0, 1 << 31, config.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, config.num_perm, dtype=np.uint32)
    return a, b


def signatures(shingles: Shingles, config: DedupConfig, progress: Progress = _NO_PROGRESS, docs: np.ndarray | None = None) -> np.ndarray:
    """(texts, num_perm) uint32 MinHash hash values, identical to datasketch's for the same inputs.

    Only the rows of ``docs`` (default: all) are computed; the others, and texts without shingles,
    keep datasketch's empty value (2^32 - 1) everywhere.
    """
    a, b = permutations(config)
    total = len(shingles.offsets) - 1
    out = np.full((total, config.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    counts = np.diff(shingles.offsets)
    # Texts in order of their shingle count, so a chunk's texts have about the same count and padding
    # each to the chunk's longest (repeating its first shingle: the minimum is unchanged) costs little.
    order = np.arange(total) if docs is None else np.asarray(docs, dtype=np.int64)
    order = order[np.argsort(counts[order], kind="stable")]
    order = order[counts[order] > 0]
    starts = list(range(0, len(order), config.chunk_docs))

    def one_chunk(start: int) -> None:
        members = order[start : start + config.chunk_docs]
        sizes = counts[members]
        width = int(sizes[-1])  # sorted by count: the last is the longest
        columns = np.minimum(np.arange(width)[:, None], sizes[None, :] - 1)
        mixed = _fmix32(shingles.hashes[shingles.offsets[members][None, :] + columns])  # (width, chunk)
        best = np.full((len(members), config.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
        permuted = np.empty_like(best)
        for position in range(width):
            np.multiply(mixed[position, :, None], a[None, :], out=permuted)
            np.add(permuted, b[None, :], out=permuted)
            np.minimum(best, permuted, out=best)
        out[members] = best

    with ThreadPoolExecutor(max_workers=max(1, config.workers)) as pool:
        for _ in progress(pool.map(one_chunk, starts), "dedup: signatures (chunks)", len(starts)):
            pass
    return out


_BAND_MULTIPLIERS = _fmix64(np.arange(1, 65, dtype=_U64)) | _U64(1)


def band_keys(sigs: np.ndarray, config: DedupConfig, chunk: int = 65_536) -> np.ndarray:
    """(bands, docs) uint64: one key per band, equal exactly when the band's ``rows`` values are equal.

    A random odd linear combination of the rows; unequal rows collide with probability ~2^-64, and
    such a pair is rejected by verification anyway. Computed over contiguous row chunks.
    """
    keys = np.empty((config.bands, len(sigs)), dtype=_U64)
    multipliers = _BAND_MULTIPLIERS[: config.rows]
    for start in range(0, len(sigs), chunk):
        part = sigs[start : start + chunk].reshape(-1, config.bands, config.rows)
        key = part[:, :, 0].astype(_U64) * multipliers[0]
        for row in range(1, config.rows):
            key += part[:, :, row].astype(_U64) * multipliers[row]
        keys[:, start : start + chunk] = key.T
    return keys


def lsh_candidates(
    keys: np.ndarray, eligible: np.ndarray, config: DedupConfig, progress: Progress = _NO_PROGRESS
) -> np.ndarray:
    """Candidate pairs (k, 2) int64 with i < j: documents (where ``eligible``) sharing a band key."""
    docs = np.flatnonzero(eligible)
    # Sort (key, doc) packed into one uint64 — the key's high bits above the doc's rank — with numpy's
    # fast unstable sort; members of a bucket come out in id order. Dropping the key's low bits only
    # adds (rare) false candidates, which verification rejects.
    doc_bits = _U64(max(int(len(keys[0]) - 1).bit_length(), 1))
    found = []
    for band in progress(range(config.bands), "dedup: LSH bands", config.bands):
        packed = np.sort((keys[band, docs] >> doc_bits) << doc_bits | docs.astype(_U64))
        sorted_keys, members = packed >> doc_bits, (packed & ((_U64(1) << doc_bits) - _U64(1))).astype(np.int64)
        boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
        run_starts = np.concatenate(([0], boundaries))
        run_sizes = np.diff(np.concatenate((run_starts, [len(sorted_keys)])))
        found.extend(_bucket_pairs(members, run_starts, run_sizes, config.max_bucket_all_pairs))
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(found)
    codes = _sorted_unique(pairs[:, 0].astype(_U64) << _U64(32) | pairs[:, 1].astype(_U64))
    return np.stack(((codes >> _U64(32)).astype(np.int64), (codes & _U64(0xFFFFFFFF)).astype(np.int64)), axis=1)


def _bucket_pairs(members: np.ndarray, run_starts: np.ndarray, run_sizes: np.ndarray, all_pairs_up_to: int) -> list:
    pairs = []
    for size in range(2, all_pairs_up_to + 1):
        starts = run_starts[run_sizes == size]
        if len(starts):
            groups = members[starts[:, None] + np.arange(size)]
            template = np.array(list(combinations(range(size), 2)))
            pairs.append(np.stack((groups[:, template[:, 0]].ravel(), groups[:, template[:, 1]].ravel()), axis=1))
    big = run_sizes > all_pairs_up_to
    if big.any():
        sizes, starts = run_sizes[big], run_starts[big]
        inner = np.repeat(starts, sizes - 1) + _ranges(sizes - 1) + 1
        first = np.repeat(starts, sizes - 1)
        pairs.append(np.stack((members[first], members[inner]), axis=1))  # star: first (smallest id) -> every member
        pairs.append(np.stack((members[inner - 1], members[inner]), axis=1))  # chain: neighbours in id order
    return pairs


def jaccard(shingles: Shingles, pairs: np.ndarray, chunk: int = 10_000) -> np.ndarray:
    """Exact Jaccard of the shingle *sets* of each pair (vectorised, ``chunk`` pairs at a time).

    Both sides' shingles go into one array of (pair, shingle, side) codes and one sort: after dropping
    repeats, a (pair, shingle) seen from both sides is in the intersection, each distinct one in the
    union. Small chunks keep the sort in the CPU cache (measured ~2× faster than 100k-pair chunks).
    """
    if len(pairs) > chunk:
        return np.concatenate([jaccard(shingles, pairs[start : start + chunk], chunk) for start in range(0, len(pairs), chunk)])
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    parts = []
    for side in (0, 1):
        docs = pairs[:, side]
        counts = shingles.offsets[docs + 1] - shingles.offsets[docs]
        index = np.repeat(shingles.offsets[docs], counts) + _ranges(counts)
        owner = np.repeat(np.arange(len(pairs), dtype=_U64), counts)
        parts.append(owner << _U64(33) | shingles.hashes[index].astype(_U64) << _U64(1) | _U64(side))
    codes = _sorted_unique(np.concatenate(parts))  # each (pair, shingle, side) once
    shingle_key = codes >> _U64(1)
    first = np.concatenate(([True], shingle_key[1:] != shingle_key[:-1]))
    owners = (codes >> _U64(33)).astype(np.int64)
    union = np.bincount(owners[first], minlength=len(pairs))
    inter = np.bincount(owners[~first], minlength=len(pairs))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def agreement(sigs: np.ndarray, pairs: np.ndarray, chunk: int = 10_000) -> np.ndarray:
    """MinHash estimate of each pair's Jaccard: the share of signature values the two agree on."""
    out = np.zeros(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        out[start : start + chunk] = (sigs[part[:, 0]] == sigs[part[:, 1]]).sum(axis=1) / sigs.shape[1]
    return out


# ------------------------------------------------------------------------- short texts: word bags


@dataclass
class WordBags:
    """The words of some texts: ``docs`` (ranks), each one's word count and bag (sum of its 64-bit word
    hashes mod 2^64: equal bags are equal multisets of words), and every word with its owner and hash."""

    docs: np.ndarray
    lengths: np.ndarray
    bags: np.ndarray
    owner: np.ndarray  # rank of the text of each word
    hashes: np.ndarray  # uint64 hash of each word
    words: pl.Series  # each word


def word_bags(normalized: pl.Series, docs: np.ndarray) -> WordBags:
    words = normalized.gather(docs).str.split(" ")
    lengths = words.list.len().to_numpy().astype(np.int64)
    flat = words.explode()
    hashes = flat.hash(seed=_WORD_SEED).to_numpy().astype(_U64)
    bags = np.zeros(len(docs), _U64)
    if len(hashes):
        bags = np.add.reduceat(hashes, np.concatenate(([0], np.cumsum(lengths)[:-1])))
    return WordBags(docs, lengths, bags, np.repeat(docs, lengths), hashes, flat)


def typo_neighbours(vocabulary: pl.DataFrame, longest: int = 32) -> pl.DataFrame:
    """(hash, neighbour) for every pair of vocabulary words (columns hash, word) that are one typo apart:
    Damerau-Levenshtein distance 1, both 3+ letters, one 4+ (words over ``longest`` letters are left out).

    Three small exact joins, one per kind of typo: a substitution leaves the same word when the same
    position is deleted from both; an insertion makes a word whose deletion is the other word; a
    transposition of two neighbouring letters spells the other word.
    """
    vocabulary = vocabulary.with_columns(length=pl.col("word").str.len_chars()).filter(pl.col("length").is_between(3, longest))
    spelled = vocabulary.select(neighbour="hash", key=pl.col("word").hash(seed=5))
    four = vocabulary.filter(pl.col("length") >= 4)  # equal lengths need 4+ letters; an insertion makes one
    word = pl.col("word")
    deletions = pl.concat(
        [
            four.filter(pl.col("length") > p).select("hash", position=pl.lit(p), key=(word.str.slice(0, p) + word.str.slice(p + 1)).hash(seed=5))
            for p in range(longest)
        ]
    )
    transposed = pl.concat(
        [
            four.filter((pl.col("length") > p + 1) & (word.str.slice(p, 1) != word.str.slice(p + 1, 1))).select(
                "hash", key=(word.str.slice(0, p) + word.str.slice(p + 1, 1) + word.str.slice(p, 1) + word.str.slice(p + 2)).hash(seed=5)
            )
            for p in range(longest - 1)
        ]
    )
    substituted = deletions.join(deletions.rename({"hash": "neighbour"}), on=["key", "position"]).select("hash", "neighbour")
    inserted = deletions.join(spelled, on="key").select("hash", "neighbour")
    swapped = transposed.join(spelled, on="key").select("hash", "neighbour")
    pairs = pl.concat([substituted, inserted, inserted.select(hash="neighbour", neighbour="hash"), swapped])
    return pairs.filter(pl.col("hash") != pl.col("neighbour")).unique()


def one_edit_pairs(bags: WordBags, chunk: int = 200_000) -> np.ndarray:
    """Pairs (i, j), i < j (ranks), of short texts that are duplicates by the rule: equal bags, one word
    added (the shorter text has 3+ words), or one typo — all found by exact joins on bag keys."""
    frame = pl.DataFrame({"doc": bags.docs, "bag": bags.bags, "length": bags.lengths})
    found = [frame.join(frame, on="bag", suffix="_b").filter(pl.col("doc") < pl.col("doc_b")).select("doc", "doc_b")]
    words = pl.DataFrame({"doc": bags.owner, "hash": bags.hashes}).unique(["doc", "hash"]).join(frame, on="doc")
    # One word added: the longer text's bag minus one of its words is the shorter text's bag.
    minus_one = words.filter(pl.col("length") >= 4).select("doc", key=pl.col("bag") - pl.col("hash"))
    shorter = frame.filter(pl.col("length") >= 3).select(doc_b="doc", key="bag")
    found.append(minus_one.join(shorter, on="key").select("doc", "doc_b"))
    # One typo: the text's bag with one word swapped for a typo neighbour is the other text's bag.
    vocabulary = bags.words.unique()
    neighbours = typo_neighbours(pl.DataFrame({"hash": vocabulary.hash(seed=_WORD_SEED), "word": vocabulary}))
    bag_of = frame.select(doc_b="doc", key="bag")
    # In slices: a common word has dozens of typo neighbours, and the swapped bags are only joined.
    for start in range(0, len(words), chunk):
        swapped = words.slice(start, chunk).join(neighbours, on="hash").select("doc", key=pl.col("bag") - pl.col("hash") + pl.col("neighbour"))
        found.append(swapped.join(bag_of, on="key").select("doc", "doc_b"))
    pairs = pl.concat(found).select(i=pl.min_horizontal("doc", "doc_b"), j=pl.max_horizontal("doc", "doc_b")).filter(pl.col("i") != pl.col("j"))
    return pairs.unique().sort("i", "j").to_numpy().astype(np.int64).reshape(-1, 2)


# -------------------------------------------------------------------------- long texts and survivors


def word_edits(a: list[str], b: list[str]) -> tuple[int, int, int]:
    """(typos, words only in a, words only in b) between two bags of words, typos matched greedily
    (in sorted order) after the words they share are taken out."""
    bag_a, bag_b = Counter(a), Counter(b)
    only_a = sorted((bag_a - bag_b).elements())
    only_b = sorted((bag_b - bag_a).elements())
    typos = 0
    for word in list(only_a):
        match = next((other for other in only_b if _one_typo(word, other)), None)
        if match is not None:
            only_a.remove(word)
            only_b.remove(match)
            typos += 1
    return typos, len(only_a), len(only_b)


def _one_typo(a: str, b: str) -> bool:
    return (
        min(len(a), len(b)) >= 3
        and max(len(a), len(b)) >= 4
        and abs(len(a) - len(b)) <= 1
        and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1
    )


def edit_check(a: str, b: str, config: DedupConfig) -> bool:
    """The duplicate rule (module docstring) for two normalized texts, whatever their length."""
    words_a, words_b = a.split(), b.split()
    n = min(len(words_a), len(words_b))
    if n == 0:
        return False
    if abs(len(words_a) - len(words_b)) > 1 + n // config.edit_every:
        return False  # more words added than any allowance
    typos, only_a, only_b = word_edits(words_a, words_b)
    return config.allows(n, typos, max(only_a, only_b), min(only_a, only_b))


def assign_survivors(
    docs: int,
    pairs: np.ndarray,
    known: np.ndarray,
    texts: pl.Series,
    config: DedupConfig,
    progress: Progress = _NO_PROGRESS,
) -> tuple[np.ndarray, dict]:
    """(survivor rank of every text, counts). ``pairs`` (i, j), i < j, are candidate duplicates;
    ``known`` marks those already known to be duplicates by the rule (short texts), the others get
    :func:`edit_check` when, and only when, the answer can change a survivor. ``texts``: the
    normalized texts by rank.

    Texts are taken in id order. A text not yet taken is kept (so the smallest id of a cluster is its
    survivor) and takes (1) every text not yet taken that is a duplicate of it, then (2) every text not
    yet taken that is a duplicate of one taken in (1) and passes :func:`second_degree` (two copies of
    one review, each one edit from it, are two edits apart; never a replaced word). A chain
    "good app for kids" ~ "good app for" ~ "good app for me" keeps the first and the last apart.
    A pair that shares no text with any other pair (most duplicates) is settled without the loop.
    """
    survivor = np.arange(docs, dtype=np.int64)
    counts = {"edit_checks": 0, "rejected_by_edit_check": 0, "second_degree": 0}
    if len(pairs) == 0:
        return survivor, counts
    degree = np.bincount(pairs.ravel(), minlength=docs)
    alone = (degree[pairs[:, 0]] == 1) & (degree[pairs[:, 1]] == 1)
    involved = np.unique(np.concatenate((pairs[~alone].ravel(), pairs[alone & ~known].ravel())))
    text = dict(zip(involved.tolist(), texts.gather(involved).to_list()))

    def duplicate(a: int, b: int, is_known: bool) -> bool:
        if is_known:
            return True
        counts["edit_checks"] += 1
        if edit_check(text[a], text[b], config):
            return True
        counts["rejected_by_edit_check"] += 1
        return False

    settled = alone & known
    survivor[pairs[settled, 1]] = pairs[settled, 0]
    for i, j in pairs[alone & ~known].tolist():
        if duplicate(i, j, False):
            survivor[j] = i

    rest, rest_known = pairs[~alone], known[~alone]
    both = np.concatenate((rest, rest[:, ::-1]))
    flags = np.concatenate((rest_known, rest_known))
    order = np.lexsort((both[:, 1], both[:, 0]))
    both, flags = both[order], flags[order]
    nodes, starts = np.unique(both[:, 0], return_index=True)
    ends = np.append(starts[1:], len(both))
    neighbours = {n: (both[s:e, 1].tolist(), flags[s:e].tolist()) for n, s, e in zip(nodes.tolist(), starts.tolist(), ends.tolist())}
    taken = bytearray(docs)
    for kept in progress(nodes.tolist(), "dedup: survivors", len(nodes)):
        if taken[kept]:
            continue
        first = []
        for other, is_known in zip(*neighbours[kept]):
            if not taken[other] and other > kept and duplicate(kept, other, is_known):
                taken[other] = 1
                survivor[other] = kept
                first.append(other)
        for middle in first:
            for other, is_known in zip(*neighbours[middle]):
                if not taken[other] and other > kept and second_degree(text[kept], text[middle], text[other], config) and duplicate(middle, other, is_known):
                    taken[other] = 1
                    survivor[other] = kept
                    counts["second_degree"] += 1
    return survivor, counts


def second_degree(kept: str, middle: str, other: str, config: DedupConfig) -> bool:
    """Whether ``other``, a duplicate of ``middle``, which is a duplicate of ``kept``, may join ``kept``'s
    cluster (two copies of one review, each one edit from it, are two edits apart):

    - when ``other`` brings no word that ``middle`` lacks (each of its words is in ``middle`` or a typo
      of one: a copy that dropped or mistyped a word of it), at any length;
    - under ``short_words`` words, also when ``other`` is at most two word edits from ``kept`` with no
      replaced word (a typo and an added word, or two added words; never for 1-2-word texts).

    A text that adds a word where ``kept`` lost one (a replaced word) stays apart: "good app for me"
    does not join "good app for kids" through "good app for"; nor does a long text that adds words."""
    _, only_other, _ = word_edits(other.split(), middle.split())
    if only_other == 0:
        return True
    words_kept, words_other = kept.split(), other.split()
    n = min(len(words_kept), len(words_other))
    if not 3 <= n < config.short_words:
        return False
    typos, only_kept, only_other = word_edits(words_kept, words_other)
    return min(only_kept, only_other) == 0 and typos + max(only_kept, only_other) <= 2


def cluster_id(kept_id: str) -> str:
    return "dup-" + hashlib.sha256(kept_id.encode("utf-8")).hexdigest()[:16]


def _cluster_ids(kept_ids: pl.Series) -> pl.Series:
    unique = kept_ids.unique()
    names = pl.Series([cluster_id(k) for k in unique.to_list()], dtype=pl.Utf8)
    return kept_ids.replace_strict(unique, names)


def decisions(ids: pl.Series, survivor: np.ndarray, representative: np.ndarray, texts: pl.Series, config: DedupConfig) -> pl.DataFrame:
    """One row per removed text (ids, ranks and ``texts`` in id order), sorted by cluster then removed id."""
    removed = np.flatnonzero(survivor != np.arange(len(ids)))
    kept = survivor[removed]
    # The Jaccard of two texts equals that of their exact-duplicate representatives.
    pairs = np.stack((representative[kept], representative[removed]), axis=1)
    involved = np.unique(pairs)
    position = np.zeros(len(ids), dtype=np.int64)
    position[involved] = np.arange(len(involved))
    scores = jaccard(shingle(texts.gather(involved), config), position[pairs])
    exact = representative[removed] == representative[kept]
    kept_ids = ids.gather(kept)
    frame = pl.DataFrame(
        {
            "cluster_id": _cluster_ids(kept_ids),
            "kept_id": kept_ids,
            "removed_id": ids.gather(removed),
            "jaccard": np.where(exact, 1.0, scores),
            "kind": np.where(exact, "exact", "near"),
        },
        schema={"cluster_id": pl.Utf8, "kept_id": pl.Utf8, "removed_id": pl.Utf8, "jaccard": pl.Float64, "kind": pl.Utf8},
    )
    return frame.sort("cluster_id", "removed_id")


def _series(values: Iterable[str | None] | pl.Series) -> pl.Series:
    return values.cast(pl.Utf8) if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.Utf8)


# ---------------------------------------------------------------------------------------- driver


def deduplicate(
    ids: Iterable[str] | pl.Series, texts: Iterable[str | None] | pl.Series, config: DedupConfig = DedupConfig(), progress: Progress = _NO_PROGRESS, log: Callable[[str], None] = lambda m: None
) -> DedupResult:
    """Run every phase over (id, text) pairs (sequences or polars Series); ids must be unique. Returns
    the kept mask in input order."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str, detail: str = "") -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[f"seconds_{phase}"] = round(now - clock, 3)
        log(f"dedup: {phase} {detail} ({now - clock:.2f}s)".replace("  ", " "))
        clock = now

    frame = pl.DataFrame({"id": _series(ids), "text": _series(texts)})
    if frame["id"].n_unique() != len(frame):
        raise ValueError("ids must be unique")
    frame = frame.with_row_index("input_row").sort("id")
    ranked_ids = frame["id"]
    full = normalize(frame["text"])
    capped = (full.str.len_chars() > config.max_chars).to_numpy()
    normalized_series = full.zip_with(pl.Series(~capped), pl.repeat("", len(frame), eager=True)) if capped.any() else full
    lap("normalize", f"{len(frame)} texts, {int(capped.sum())} over {config.max_chars} characters (exact duplicates only)")

    representative = exact_groups(full)
    del full
    ranks = np.arange(len(frame))
    is_rep = representative == ranks
    lap("exact_hash", f"{int((~is_rep).sum())} exact duplicates")

    words = np.where(normalized_series.str.len_bytes().to_numpy() > 0, normalized_series.str.count_matches(" ").to_numpy().astype(np.int64) + 1, 0)
    short = is_rep & (words >= 1) & (words <= config.short_words)
    long = is_rep & (words >= config.short_words)
    short_pairs = one_edit_pairs(word_bags(normalized_series, np.flatnonzero(short)))
    lap("short_pairs", f"{len(short_pairs)} duplicate pairs among {int(short.sum())} short texts")

    shingles = shingle(normalized_series.zip_with(pl.Series(long), pl.repeat("", len(frame), eager=True)), config)
    lap("shingle", f"{len(shingles.hashes)} shingles of the long texts")

    sigs = signatures(shingles, config, progress, np.flatnonzero(long))
    lap("signatures", f"{int(long.sum())} x {config.num_perm}")

    candidates = lsh_candidates(band_keys(sigs, config), long, config, progress)
    lap("lsh", f"{len(candidates)} candidate pairs among {int(long.sum())} long texts")

    estimate = agreement(sigs, candidates)
    del sigs
    margin = 5.0 * np.sqrt(config.threshold * (1.0 - config.threshold) / config.num_perm)
    # Pairs whose word counts differ by more than the rule allows any text to add need no Jaccard.
    fewer = np.minimum(words[candidates[:, 0]], words[candidates[:, 1]])
    within = np.abs(words[candidates[:, 0]] - words[candidates[:, 1]]) <= 1 + fewer // config.edit_every
    plausible = candidates[(estimate >= config.threshold - margin) & within]
    above = plausible[jaccard(shingles, plausible) >= config.threshold]
    lap("jaccard", f"{len(above)} of {len(candidates)} candidates at Jaccard >= {config.threshold}")

    pairs = np.concatenate((short_pairs, above))
    known = np.concatenate((np.ones(len(short_pairs), bool), np.zeros(len(above), bool)))
    survivor, assign_counts = assign_survivors(len(frame), pairs, known, normalized_series, config, progress)
    survivor = survivor[representative]
    lap("survivors", f"{int((survivor != ranks).sum())} removed")

    table = decisions(ranked_ids, survivor, representative, normalized_series, config)
    lap("decisions", f"{len(table)} removed")

    kept_ranked = survivor == ranks
    kept = np.zeros(len(frame), dtype=bool)
    kept[frame["input_row"].to_numpy()] = kept_ranked
    exact_removed = int((table["kind"] == "exact").sum())
    counts = {
        "in": len(frame),
        "out": int(kept.sum()),
        **{k: v for k, v in asdict(config).items() if k not in ("chunk_docs", "workers")},
        "lsh_midpoint_jaccard": round((1 - 0.5 ** (1 / config.bands)) ** (1 / config.rows), 3),
        **{f"detection_p_at_{s}": round(config.detection_probability(s), 4) for s in (0.5, 0.7, 0.8, 0.9)},
        "exact_removed": exact_removed,
        "near_removed": len(table) - exact_removed,
        "clusters": int(table["cluster_id"].n_unique()),
        "short_texts": int(short.sum()),
        "long_texts": int(long.sum()),
        "short_duplicate_pairs": len(short_pairs),
        "long_candidate_pairs": len(candidates),
        "long_rejected_below_threshold": len(candidates) - len(above),
        "long_edit_checks": assign_counts["edit_checks"],
        "long_rejected_by_edit_check": assign_counts["rejected_by_edit_check"],
        "second_degree_removed": assign_counts["second_degree"],
        "texts_capped": int(capped.sum()),
        "empty_texts": int(((words == 0) & ~capped).sum()),
        **timings,
    }
    return DedupResult(kept=kept, decisions=table, counts=counts)
