"""The extract stage's parameters (recipe table ``[extract]``), shared by every extractor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Config:
    """Extraction parameters (the reference recipe's values are the defaults).

    extractor: which extractor runs, by name (``curation.extractors.EXTRACTORS``): "hybrid" (the
        offline default: cue rules for negation, hypotheticals, the actor and priority, plus a small
        linear model fitted on the development set's tuning part), "rules" (the cue rules alone),
        "llm" (a model behind an OpenAI-compatible or Anthropic endpoint; settings in ``llm``).
    min_words: reviews shorter than this (words, title included) carry no usable reason: "good app".
    min_rationale_words: a cleaned rationale needs at least this many words to be credible.
    max_rationale_chars: rationales are cut at a sentence boundary near this length (a typical
        store-review reason fits in 2-3 sentences; longer text dilutes anchoring).
    min_latin_share: share of letters that must be Latin script (the guidelines and cues are English).
    use_title: prepend the review title (App Store) as its own sentence.
    llm: the ``[extract.llm]`` table: endpoint, model and decoding of the LLM extractor
        (``curation.extractors.llm.LlmSettings`` documents each key); checked when the LLM extractor is chosen or the table is given.
    """

    extractor: str = "hybrid"
    min_words: int = 3
    min_rationale_words: int = 3
    max_rationale_chars: int = 400
    min_latin_share: float = 0.6
    use_title: bool = True
    llm: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        from curation.extractors import EXTRACTORS

        if self.extractor not in EXTRACTORS:
            raise ValueError(f"extractor: unknown extractor {self.extractor!r}; expected one of {', '.join(sorted(EXTRACTORS))}")
        if self.extractor == "llm" or self.llm:
            from curation.extractors.llm import LlmSettings
            from pisar_data.errors import UserError

            try:
                LlmSettings.from_table(self.llm, "llm")
            except UserError as error:
                raise ValueError(str(error)) from None  # the recipe reader adds the file and [extract]
