"""Rule extraction: every action cue, the rating as evidence, intents, cleaning and the drop rules."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from curation import recipe
from curation.stages import BuildContext
from curation.extractors import Drop, Extraction, ReviewInput
from curation.stages.extract import Config, RuleExtractor, run
from pisar_data.errors import UserError
from pisar_data.schema import ACTION_TYPES


def extract(text: str, rating: int | None = 2, title: str | None = None, genre: str | None = "Productivity", reply: str | None = None):
    review = ReviewInput("gp-1", text, title, rating, reply, "Chatly", genre)
    return RuleExtractor(Config()).extract(review)


CUES = [
    ("cancel", "I cancelled my premium subscription because the sync kept failing on my tablet.", 1),
    ("cancel", "Asked for a refund after the export feature broke all my saved reports.", 1),
    ("update", "I reinstalled the app twice and the notifications still never arrive on time.", 2),
    ("update", "I cleared the cache and it still crashes whenever I open the calendar view.", 2),
    ("uninstall", "Uninstalled it because the battery drain was terrible after the last version.", 1),
    ("uninstall", "I deleted the app, the ads popped up every ten seconds during my workouts.", 1),
    ("switch_app", "Switched to Telegram since messages here arrive hours late for my whole team.", 1),
    ("switch_app", "We are looking for alternatives because the pricing doubled without any notice.", 2),
    ("stop_using", "I stopped using it once the offline mode disappeared from the free plan.", 2),
    ("pay", "I paid for the pro plan because the export to spreadsheet saves me hours.", 4),
    ("pay", "I have done an in app purchase but the coins never showed up in my wallet.", 1),
    ("contact_support", "I contacted support about the missing invoices and nobody answered for weeks.", 1),
    ("contact_support", "Customer service took three days to reset my locked account password.", 2),
    ("recommend", "Highly recommend it, the shared shopping lists keep my family organised.", 5),
    ("keep_using", "I still use it every day for tracking expenses even with the clunky charts.", 3),
    ("keep_using", "I've been using it for two years to plan lessons with my students.", 5),
    ("rate", "The calendar sync drops events from my work account every few days.", 2),
]


@pytest.mark.parametrize(("action_type", "text", "rating"), CUES)
def test_each_action_cue(action_type, text, rating):
    result = extract(text, rating)
    assert isinstance(result, Extraction), result
    assert result.action_type == action_type
    assert result.action_type in ACTION_TYPES
    assert "Chatly" in result.action
    assert result.rationale


def test_every_review_action_type_has_a_cue_test():
    review_types = {"uninstall", "switch_app", "stop_using", "pay", "cancel", "contact_support", "update", "recommend", "keep_using", "rate"}
    assert review_types <= set(ACTION_TYPES)
    assert {t for t, _, _ in CUES} == review_types


def test_negated_cue_does_not_count():
    result = extract("I would never uninstall it, the offline maps saved my trip through the mountains.", 5)
    assert result.action_type != "uninstall"


def test_rating_is_evidence_against_praise_cues():
    # "must have" about a missing feature in a 2-star review is not a recommendation of the app
    assert extract("Viewing shared screens on the tablet is a must have and it does not work.", 2).action_type == "rate"
    assert extract("Not recommended. It asks for my location and microphone for no reason.", 5).action_type == "rate"


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


def test_rationale_is_cleaned_of_identifiers_and_emoji():
    result = extract("Support at help@chatly.example or +1 555 123 4567 never replied 😡😡!!! "
                     "See https://example.com/bug the sync drops my notes.", 1)
    for bad in ("@", "555", "http", "😡", "!!!"):
        assert bad not in result.rationale


def test_rationale_is_cut_at_the_configured_length():
    text = " ".join(f"The export of report number {i} fails with a timeout error." for i in range(40))
    result = RuleExtractor(Config(max_rationale_chars=120)).extract(ReviewInput("x", text, None, 2, None, "Chatly", None))
    assert len(result.rationale) <= 122


def test_stated_intent_and_genre_fallback():
    stated = extract("Every time I try to open a thread I get a message unavailable error.", 2)
    assert stated.intent_source == "stated" and stated.intent.startswith("open a thread")
    fallback = extract("The dark theme makes the small grey text unreadable at night.", 2, genre="Game Sports")
    assert fallback.intent_source == "genre" and fallback.intent == "play Chatly"
    assert extract("The dark theme makes the small grey text unreadable at night.", 2, genre=None).intent == "use Chatly"


@pytest.mark.parametrize(("text", "reason"), [
    ("good", "too_short"),
    ("Nice app", "too_short"),
    ("Very very good game that is", "no_rationale"),
    ("Worst app ever!!! 😡😡😡", "no_rationale"),
    ("ये गेम बहुत ही अच्छा है और हमें इसमें हमें नए नए फीचर्स देखने को मिलते", "non_latin_script"),
])
def test_drop_rule(text, reason):
    result = extract(text, 5)
    assert isinstance(result, Drop) and result.reason == reason


def test_app_name_is_not_a_reason():
    # "Chatly" and "chat" carry no reason; only the app's name and praise remain
    assert isinstance(extract("Chatly is the best chatly ever, love chatly", 5), Drop)


def test_unknown_extractor_is_a_recipe_error():
    with pytest.raises(UserError, match=r"\[extract\]: extractor: unknown extractor 'gpt'"):
        recipe.from_dict({"extract": {"extractor": "gpt"}})


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
    assert result.counts["in"] == 3 and result.counts["out"] == 2 and result.counts["dropped_too_short"] == 1
    assert result.counts["action_uninstall"] == 1 and result.counts["action_rate"] == 1


def test_sentence_that_only_states_the_action_is_not_the_rationale():
    result = extract("Deleted the app today. The transfer failed but the money still left my account.", 1)
    assert result.action_type == "uninstall"
    assert result.rationale == "The transfer failed but the money still left my account."
