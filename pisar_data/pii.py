"""Personal data in free text: find it (``find_pii``) and replace it with placeholders (``scrub``).

Kinds, each replaced by ``[kind]``:
- ``email``: user@host.tld (spelled-out forms like "user at host dot com" are not attempted: too many false hits);
- ``url``: http(s)://…, www.…, and bare domains with a path or a common TLD (``bit.ly/x``, ``example.com``);
- ``phone``: international (+CC …) or national numbers of 7–15 digits with separators
  (``+251 91 123 4567``, ``(555) 123-4567``, ``0911-234-567``); a run of digits must look like a phone
  number — versions ("2.8.1"), prices ("$4.99"), dates ("2024-05-01", "05/01/2024"), times, percentages
  and counts ("5 stars", "100000 coins") are left alone;
- ``handle``: @name (social handles, mentions);
- ``name``: a person addressed in a developer reply — "Hi John,", "Dear Ms. Smith", "Hello Sarah!",
  "Thanks, Mike" at the start of a reply (the salutation is kept: "Hi [name],").

``find_pii(text)`` returns the kinds present (sorted, each once); the publish verifier calls it on
every published text and ``scrub`` must leave nothing it finds.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ly|me|app|info|biz|gov|edu|us|uk|in|et|de|fr|gl|gg|tv|ru|cn)"
    r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?(?![\w@-]|\.\w)"
)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z_][A-Za-z0-9_.]{1,30}[A-Za-z0-9_]")
# A phone number: optional +CC, then groups of digits separated by spaces, dots, dashes or brackets,
# 7–15 digits in all. Candidates are then screened by ``_looks_like_phone``.
PHONE = re.compile(r"(?<![\w.$€£¥+/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,18}\d(?![\w%/])(?!\.\d)")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_VERSION = re.compile(r"^\d+(?:\.\d+){1,3}$")
NAME = re.compile(
    r"(?m)(?:^|(?<=[.!?]\s))((?:Hi|Hello|Hey|Dear|Thanks|Thank you|Greetings)(?: there)?,?\s+)"
    r"((?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)(?=\s*[,!.:\n]|\s*$)"
)
# Words that follow "Hi"/"Thanks" without being a name.
_NOT_NAMES = {
    "there", "all", "everyone", "team", "guys", "folks", "friend", "friends", "again", "so", "for", "you",
    "a", "the", "user", "customer", "valued", "dear", "sir", "madam", "thanks", "thank", "we", "our", "your",
}
KINDS = ("email", "url", "phone", "handle", "name")


def _looks_like_phone(candidate: str) -> bool:
    stripped = candidate.strip()
    digits = sum(c.isdigit() for c in stripped)
    if not 7 <= digits <= 15 or _DATE.match(stripped) or (_VERSION.match(stripped) and digits < 9):
        return False
    if stripped.startswith("+") or "(" in stripped:
        return True
    # A bare run of digits (no separators) is only a phone when it is 9–12 digits long: counts,
    # amounts and ids in reviews ("100000 coins") are shorter or carry no separators.
    if stripped.isdigit():
        return 9 <= digits <= 12 and stripped[0] == "0"
    groups = re.split(r"[\s.-]+", stripped)
    return len(groups) >= 2 and all(g.isdigit() for g in groups)


def _is_name(match: re.Match) -> bool:
    words = re.sub(r"^(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+", "", match.group(2)).split()
    return bool(words) and words[0].lower() not in _NOT_NAMES


def _spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, replacement) of every PII span, non-overlapping, in text order."""
    found: list[tuple[int, int, str, str]] = []
    for kind, pattern in (("email", EMAIL), ("url", URL), ("handle", HANDLE)):
        found += [(m.start(), m.end(), kind, f"[{kind}]") for m in pattern.finditer(text)]
    found += [(m.start(), m.end(), "phone", "[phone]") for m in PHONE.finditer(text) if _looks_like_phone(m.group())]
    found += [(m.start(2), m.end(2), "name", "[name]") for m in NAME.finditer(text) if _is_name(m)]
    found.sort(key=lambda span: (span[0], -span[1]))
    spans: list[tuple[int, int, str, str]] = []
    for span in found:
        if not spans or span[0] >= spans[-1][1]:
            spans.append(span)
    return spans


def find_pii(text: str | None) -> list[str]:
    """The kinds of PII in ``text`` (sorted, each once); [] for None or clean text."""
    if not text:
        return []
    return sorted({kind for _, _, kind, _ in _spans(text)})


def scrub(text: str | None) -> tuple[str | None, list[str]]:
    """``text`` with every PII span replaced by ``[kind]``, and the kinds replaced (sorted, each once)."""
    if not text:
        return text, []
    spans = _spans(text)
    if not spans:
        return text, []
    parts, last = [], 0
    for start, end, _, replacement in spans:
        parts += [text[last:start], replacement]
        last = end
    parts.append(text[last:])
    return "".join(parts), sorted({kind for _, _, kind, _ in spans})
