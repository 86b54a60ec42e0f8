"""The guidelines' hard cases (curation/extraction_guidelines.md §1-4), through the default extractor:
only the reviewer's own, real action counts — not a negated one, a hypothetical, someone else's, or
advice to other people; being charged is not a refund; "never … again" is a stop; a named competitor
is a switch; generic praise, slang included, is no reason. And the priority order is written down
once (``PRIORITY``) and the guidelines state the same order."""

from __future__ import annotations

import re

import pytest

from curation.extractors import GUIDELINES, PRIORITY, Extraction, ReviewInput, make_extractor
from curation.extractors.config import Config

HARD_CASES = [
    # negations
    ("negation", "rate", "I would never uninstall it, the offline maps saved my trip through the mountains.", 5),
    ("negation", "rate", "I didn't pay for the premium plan and the free version still has no ads.", 4),
    ("negation", "rate", "I haven't contacted support yet, but the sync button does nothing on my tablet.", 2),
    # hypotheticals
    ("hypothetical", "rate", "If they don't fix the login loop I will uninstall this app for good.", 1),
    ("hypothetical", "rate", "Thinking of switching to another app because the search is so slow.", 2),
    ("hypothetical", "rate", "I might cancel my subscription if the price goes up again next month.", 3),
    ("hypothetical", "rate", "I would pay for premium if it had an offline mode for my commute.", 4),
    # someone else's action
    ("someone else", "rate", "My wife deleted it after the update wiped her saved playlists.", 2),
    ("someone else", "rate", "A friend recommended it to me, but the app crashes whenever I open the map.", 2),
    ("someone else", "rate", "My son plays it every day, though the ads between levels are far too long.", 3),
    # advice to others
    ("advice", "rate", "Don't download this, it drains the battery in an hour.", 1),
    ("advice", "rate", "You should uninstall it before it charges your card again.", 1),
    ("advice", "rate", "I recommend deleting this app, the notifications never stop.", 1),
    # being charged is not a refund
    ("charged me", "rate", "It charged me twice for the same ride and the receipt shows the wrong pickup.", 1),
    ("charged me", "cancel", "They charged me twice so I asked for a refund through the help page.", 1),
    # a named competitor
    ("competitor", "switch_app", "The drivers never show up, so I will now be using Bolt instead.", 1),
    ("competitor", "switch_app", "After the redesign we switched to Telegram for our family chats.", 2),
    ("competitor", "switch_app", "The stories are too short now. I'll stick to Wattpad.", 2),
    ("competitor", "rate", "We moved to Ridely from Uber and the drivers are much friendlier.", 5),  # moving *to* the app
    # never ... again
    ("never again", "stop_using", "The order arrived broken and I will never order from them again.", 1),
    ("never again", "stop_using", "Three cancelled rides in one night. Never again.", 1),
    ("never again", "stop_using", "I don't think we'll be using this service ever again after the driver cancelled twice.", 1),
    # the real actions those look like
    ("action", "uninstall", "Uninstalled it because the ads popped up every ten seconds during my workouts.", 1),
    ("action", "update", "I uninstalled and reinstalled it twice and the notifications still never arrive.", 2),
    ("action", "cancel", "I've been a Pro subscriber for years and just canceled after the price hike.", 2),
    ("action", "pay", "I have a lifetime subscription and the new themes are lovely.", 5),
    ("action", "contact_support", "When I tried to contact the call center nobody picked up for an hour.", 1),
    ("action", "contact_support", "I emailed support about the missing invoices and never heard back.", 1),
    ("action", "contact_support", "Support has not replied in two weeks and my account is still locked.", 1),
    ("action", "recommend", "Highly recommend it, the shared shopping lists keep my family organised.", 5),
    ("action", "keep_using", "I've been using it for six years to plan my rides, the saved places are handy.", 5),
]
NO_REASON = ["besttt, what i do without this app>>>>", "I swear bro this is a game changer", "good app", "Worst app ever!!!",
             "nice 👍", "good banking app", "great for learning languages", "Love it so much, thank you devs!!!"]


def _extract(text: str, rating: int, app: str = "Ridely"):
    review = ReviewInput("x", text, None, rating, None, app, "Travel & Local")
    return make_extractor(Config()).extract_all([review], lambda items, description="", total=None: items)[0]


@pytest.mark.parametrize(("case", "action_type", "text", "rating"), HARD_CASES, ids=[f"{c[0]}:{c[2][:30]}" for c in HARD_CASES])
def test_hard_case(case, action_type, text, rating):
    result = _extract(text, rating)
    assert isinstance(result, Extraction), result
    assert result.action_type == action_type


@pytest.mark.parametrize("text", NO_REASON)
def test_generic_praise_and_abuse_give_no_reason(text):
    assert not isinstance(_extract(text, 5), Extraction)


def test_the_priority_order_is_written_once_and_the_guidelines_state_it():
    text = GUIDELINES.read_text(encoding="utf-8")
    stated = re.search(r"^\s+(cancel > .* > rate)$", text, re.M).group(1).split(" > ")
    assert tuple(stated) == PRIORITY
    for action_type in PRIORITY:
        assert f"### `{action_type}`" in text  # every type has its section


def test_the_first_action_in_priority_wins():
    result = _extract("Paid for premium, it crashed, reinstalled twice, support never answered me, so I uninstalled it.", 1)
    assert result.action_type == "uninstall"
    assert _extract("I paid for the yearly plan and now I want my money back, the maps are wrong.", 1).action_type == "cancel"
