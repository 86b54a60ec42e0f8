"""Extraction, piece by piece: every action cue, how a cue's context is read, the rationale, the
intent, the drop rules and the stage — through the default extractor (and the rules alone where
the two must agree)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from curation.extractors import PRIORITY, Drop, Extraction, ReviewInput, make_extractor
from curation.extractors.config import Config
from curation.extractors.cues import find_candidates
from curation.stages import BuildContext
from curation.stages.extract import run
from pisar_data.schema import ACTION_TYPES

EXTRACTORS = ("hybrid", "rules")


def extract(text: str, rating: int | None = 2, title: str | None = None, genre: str | None = "Productivity",
            reply: str | None = None, extractor: str = "hybrid", **config):
    review = ReviewInput("gp-1", text, title, rating, reply, "Chatly", genre)
    return make_extractor(Config(extractor=extractor, **config)).extract_all([review], lambda items, description="", total=None: items)[0]


CUES = [
    ("cancel", "I cancelled my premium subscription because the sync kept failing on my tablet.", 1),
    ("cancel", "Asked for a refund after the export feature broke all my saved reports.", 1),
    ("cancel", "I closed my account after they lost two of my transfers this month.", 1),
    ("update", "I reinstalled the app twice and the notifications still never arrive on time.", 2),
    ("update", "I cleared the cache and it still crashes whenever I open the calendar view.", 2),
    ("uninstall", "Uninstalled it because the battery drain was terrible after the last version.", 1),
    ("uninstall", "I deleted the app, the ads popped up every ten seconds during my workouts.", 1),
    ("switch_app", "Switched to Telegram since messages here arrive hours late for my whole team.", 1),
    ("switch_app", "We are looking for alternatives because the pricing doubled without any notice.", 2),
    ("stop_using", "I stopped using it once the offline mode disappeared from the free plan.", 2),
    ("stop_using", "The offline mode disappeared from the free plan, so I no longer use it for trips.", 2),
    ("pay", "I paid for the pro plan because the export to spreadsheet saves me hours.", 4),
    ("pay", "I have done an in app purchase but the coins never showed up in my wallet.", 1),
    ("contact_support", "I contacted support about the missing invoices and nobody answered for weeks.", 1),
    ("contact_support", "Customer service told me to wait three days to reset my locked account password.", 2),
    ("recommend", "Highly recommend it, the shared shopping lists keep my family organised.", 5),
    ("keep_using", "I still use it every day for tracking expenses even with the clunky charts.", 3),
    ("keep_using", "I've been using it for two years to plan lessons, the templates save me an hour every week.", 5),
    ("rate", "The calendar sync drops events from my work account every few days.", 2),
]


@pytest.mark.parametrize("extractor", EXTRACTORS)
@pytest.mark.parametrize(("action_type", "text", "rating"), CUES)
def test_each_action_cue(action_type, text, rating, extractor):
    result = extract(text, rating, extractor=extractor)
    assert isinstance(result, Extraction), result
    assert result.action_type == action_type
    assert "Chatly" in result.action
    assert result.rationale


def test_every_review_action_type_has_a_cue_test_and_the_priority_covers_them():
    assert set(PRIORITY) == {t for t, _, _ in CUES}
    assert set(PRIORITY) <= set(ACTION_TYPES) and PRIORITY[-1] == "rate"


@pytest.mark.parametrize(("sentence", "negated", "hypothetical", "actor"), [
    ("I uninstalled it last night.", False, False, "first"),
    ("Uninstalling and moving on.", False, False, "implied"),
    ("I would never uninstall it.", True, True, "first"),
    ("If the login loop stays I will uninstall it.", False, True, "first"),
    ("Thinking of switching to another app.", False, True, "none"),
    ("My wife uninstalled it after the update.", False, False, "third"),
    ("You should uninstall it right now.", False, True, "second"),
    ("Uninstall this app before it charges you.", False, False, "second"),
    ("I recommend uninstalling it.", False, False, "second"),
])
def test_the_context_of_a_cue_is_read(sentence, negated, hypothetical, actor):
    [candidate] = [c for c in find_candidates([sentence]) if c.action_type == "uninstall" or c.action_type == "switch_app"]
    assert (candidate.negated, candidate.hypothetical, candidate.actor) == (negated, hypothetical, actor)


def test_a_cue_does_not_run_across_sentences_and_a_question_is_not_an_action():
    assert not [c for c in find_candidates(["I will never", "use the export again."]) if c.action_type == "stop_using"]
    [question] = [c for c in find_candidates(["How do I cancel my subscription?"]) if c.action_type == "cancel"]
    assert question.question
    assert extract("How do I cancel my subscription? The button in settings is greyed out.", 2).action_type == "rate"


def test_switching_to_the_reviewed_app_is_not_leaving_it():
    assert not [c for c in find_candidates(["We switched to Chatly from Skype last year."], frozenset({"chatly"}))
                if c.action_type == "switch_app"]


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_rating_is_evidence_against_praise_cues(extractor):
    # "must have" about a missing feature in a 2-star review is not a recommendation of the app
    assert extract("Viewing shared screens on the tablet is a must have and it does not work.", 2, extractor=extractor).action_type == "rate"
    assert extract("Not recommended. It asks for my location and microphone for no reason.", 5, extractor=extractor).action_type == "rate"


def test_rate_action_names_the_stars_and_evidence_records_reply():
    result = extract("The reminders fire an hour late on every phone I tried.", 1, reply="Sorry, please update.")
    assert result.action == "rated Chatly 1 star"
    assert '"developer_replied": true' in result.evidence


def test_rationale_keeps_reason_clause_and_specific_sentences_only():
    result = extract("Great app! I uninstalled it because it logs me out every morning. Worst app ever. "
                     "The password reset email never arrives.", 1)
    assert result.action_type == "uninstall"
    assert result.rationale.startswith("It logs me out every morning")
    assert "password reset email never arrives" in result.rationale
    assert "Worst app ever" not in result.rationale
    assert "Great app" not in result.rationale


def test_sentence_that_only_states_the_action_is_not_the_rationale():
    result = extract("Deleted the app today. The transfer failed but the money still left my account.", 1)
    assert result.action_type == "uninstall"
    assert result.rationale == "The transfer failed but the money still left my account."


def test_rationale_is_cleaned_of_identifiers_and_emoji():
    result = extract("Support at help@chatly.example or +1 555 123 4567 never replied 😡😡!!! "
                     "See https://example.com/bug the sync drops my notes.", 1)
    for bad in ("@", "555", "http", "😡", "!!!"):
        assert bad not in result.rationale


def test_rationale_is_cut_at_the_configured_length():
    text = " ".join(f"The export of report number {i} fails with a timeout error." for i in range(40))
    result = extract(text, 2, max_rationale_chars=120)
    assert len(result.rationale) <= 122


def test_stated_intent_and_genre_fallback():
    stated = extract("Every time I try to open a thread I get a message unavailable error.", 2)
    assert stated.intent_source == "stated" and stated.intent.startswith("open a thread")
    fallback = extract("The dark theme makes the small grey text unreadable at night.", 2, genre="Game Sports")
    assert fallback.intent_source == "genre" and fallback.intent == "play Chatly"
    assert extract("The dark theme makes the small grey text unreadable at night.", 2, genre=None).intent == "use Chatly"


@pytest.mark.parametrize("extractor", EXTRACTORS)
@pytest.mark.parametrize(("text", "reason"), [
    ("good", "too_short"),
    ("Nice app", "too_short"),
    ("Very very good game that is", "no_rationale"),
    ("Worst app ever!!! 😡😡😡", "no_rationale"),
    ("ये गेम बहुत ही अच्छा है और हमें इसमें हमें नए नए फीचर्स देखने को मिलते", "non_latin_script"),
    ("Bhai mera download nahi ho raha hai", "not_english"),
    ("Muy completo y recibe actualizaciones muy seguido", "not_english"),
])
def test_drop_rule(text, reason, extractor):
    result = extract(text, 5, extractor=extractor)
    assert isinstance(result, Drop) and result.reason == reason


@pytest.mark.parametrize("extractor", EXTRACTORS)
def test_app_name_is_not_a_reason(extractor):
    assert isinstance(extract("Chatly is the best chatly ever, love chatly", 5, extractor=extractor), Drop)


def _reviews(texts: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame({
        "review_id": [f"gp-{i:04d}" for i in range(len(texts))], "source": ["google_play"] * len(texts),
        "context_id": ["com.chatly"] * len(texts), "context_name": ["Chatly"] * len(texts), "genre": [None] * len(texts),
        "title": [None] * len(texts), "text": [t for t, _ in texts], "rating": pl.Series([r for _, r in texts], dtype=pl.Int32),
        "reply_text": [None] * len(texts), "app_version": [None] * len(texts), "lang": ["en"] * len(texts),
        "country": ["us"] * len(texts), "created_at": [datetime(2025, 1, 1)] * len(texts),
    })


def test_run_produces_tuples_drops_and_counts(tmp_path):
    reviews = _reviews([("Uninstalled it because the sync kept deleting my notes.", 1), ("good", 5),
                        ("The search never finds messages older than a week.", 2)])
    apps = pl.DataFrame({"context_id": ["com.chatly"], "source": ["google_play"], "context_name": ["Chatly"],
                         "genre": ["Communication"], "summary": ["chat"]})
    result = run({"reviews_dedup": reviews, "apps": apps}, Config(), BuildContext(tmp_path, tmp_path, seed=1))
    tuples, drops = result.tables["review_tuples"], result.tables["extract_drops"]
    assert tuples["id"].to_list() == ["gp-0000", "gp-0002"]  # ids are the stable review ids
    assert tuples["intent"][1] == "communicate and coordinate work with Chatly"  # genre from the apps table
    assert tuples.schema["rating"] == pl.Int32 and tuples.schema["created_at"] == pl.Datetime("us")
    assert drops.to_dicts() == [{"review_id": "gp-0001", "reason": "too_short"}]
    counts = result.counts
    assert counts["in"] == 3 and counts["out"] == 2 and counts["dropped_too_short"] == 1
    assert counts["action_uninstall"] == 1 and counts["action_rate"] == 1
    assert counts["extractor"] == "hybrid" and counts["extractor_version"].startswith("hybrid-1-")
