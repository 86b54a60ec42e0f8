"""The intent: what the reviewer says they were doing ("when I try to open a thread" -> "open a
thread"), or, with nothing stated, a template from the app's genre (guidelines §5)."""

from __future__ import annotations

import re

from curation.extractors.text import content_words

_CLAUSE_END = re.compile(r"\s(?:and|but|because|since|so|when|while|until|then|which)\s", re.I)
# (trigger, pattern): a pattern is tried on sentences holding its trigger only.
_INTENT_PATTERNS = [
    ("to ", re.compile(r"\b(?:i|we|i'm|i am|we're|we are|was|were|been|keep|when)\s+(?:\w+\s+)?(?:trying|tried|try|attempting|attempted|wanted|want|needed|need)\s+to\s+([^.!?;,\n]{4,80})", re.I)),
    ("to ", re.compile(r"\b(?:figure out how|in order) to (?:even )?([^.!?;,\n]{4,80})", re.I)),
    ("when", re.compile(r"\bwhen (?:i|we)\s+(?:try to |tried to |want to )?(?!(?:got|get|getting|was|were|am|had|have|saw|see|first|received|receive|heard)\b)([^.!?;,\n]{4,80})", re.I)),
    ("us", re.compile(r"\b(?:i|we)(?:'ve| have)? (?:been |started |start )?(?:using|used|use) (?:it|this(?: app)?|the app|\w+)(?: \w+){0,3}? (for|as|to) (?!(?:a|the past|about|over|\d+|one|two|three|four|five|several|many)\b)([^.!?;\n]{4,80})", re.I)),
]

_GENRE_INTENTS = [
    (re.compile(r"game|sport|action|arcade|puzzle|casual|racing|strategy|simulation|role|card|board", re.I), "play {name}"),
    (re.compile(r"financ|bank", re.I), "bank, pay and transfer money with {name}"),
    (re.compile(r"business|productiv|communication", re.I), "communicate and coordinate work with {name}"),
    (re.compile(r"social|dating", re.I), "keep up with people on {name}"),
    (re.compile(r"shopping", re.I), "shop with {name}"),
    (re.compile(r"travel|navigation|maps|auto", re.I), "get around with {name}"),
    (re.compile(r"music|audio|video|entertainment|photo", re.I), "enjoy media with {name}"),
    (re.compile(r"education", re.I), "learn with {name}"),
    (re.compile(r"health|fitness|medical", re.I), "look after their health with {name}"),
    (re.compile(r"food|drink", re.I), "order food with {name}"),
]


def stated_intent(sents: list[str], name: str) -> str | None:
    """What the person says they were doing ("open a thread"), or "use NAME for/to …" for a stated purpose."""
    lowered = [sentence.lower() for sentence in sents]
    for trigger, pattern in _INTENT_PATTERNS:
        for sentence, lower in zip(sents, lowered, strict=True):
            if trigger not in lower:
                continue
            match = pattern.search(sentence)
            if match:
                phrase = _CLAUSE_END.split(match.group(match.lastindex), maxsplit=1)[0].strip(" '\",")
                if len(content_words(phrase)) >= 1:
                    phrase = phrase[0].lower() + phrase[1:]
                    return f"use {name} {match.group(1).lower()} {phrase}" if match.lastindex == 2 else phrase
    return None


def genre_intent(name: str, genre: str | None) -> str:
    for pattern, template in _GENRE_INTENTS:
        if genre and pattern.search(genre):
            return template.format(name=name)
    return f"use {name}"
