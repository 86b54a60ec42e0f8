"""PII patterns: nothing survives in realistic reviews and replies; ordinary numbers are left alone."""

from __future__ import annotations

import re

import pytest

from pisar_data.pii import find_pii, scrub

# (text, kinds that must be found)
REVIEWS = [
    ("Support never answered, mail me at jane.doe+bank@gmail.com", {"email"}),
    ("Call me on +251 91 123 4567 if you want details", {"phone"}),
    ("their hotline (555) 123-4567 is always busy", {"phone"}),
    ("UK number +44 20 7946 0958 rang out", {"phone"}),
    ("I called 0911-234-567 three times", {"phone"}),
    ("text me 555.123.4567 I will explain", {"phone"}),
    ("called 0911234567 no answer", {"phone"}),
    ("Scam! see https://bit.ly/3xYz9 and www.free-coins.example.com/win", {"url"}),
    ("Better app at coolbank.com, switch now", {"url"}),
    ("follow @cricket_fan99 for tips", {"handle"}),
    ("Contact Slack at feedback@slack.com or see slack.com/help", {"email", "url"}),
]
REPLIES = [
    ("Hi John, thanks for the feedback. Please write to support@nautilusmobile.com", {"name", "email"}),
    ("Dear Ms. Smith, we are sorry for the trouble.", {"name"}),
    ("Hello Sarah! The fix ships in 2.8.1.", {"name"}),
    ("Hey Abebe Kebede, please update the app.", {"name"}),
    ("We looked into it. Thanks, Mike", {"name"}),
]
CLEAN = [
    "Version 2.8.1 broke login, was fine in 2.7",
    "Paid $4.99 for premium, then €9.99, refund please",
    "Since 2024-05-01 and again on 12/05/2023 at 10:30",
    "5 stars, 100000 coins, 50% off, 1,299 birr",
    "Update 3.2.10.4 crashes on Android 14",
    "Hi there, thanks for reaching out!",
    "Hello everyone, love this app",
    "Dear team, please add dark mode",
]


@pytest.mark.parametrize("text,kinds", REVIEWS + REPLIES)
def test_pii_found_and_scrubbed(text, kinds):
    assert set(find_pii(text)) == kinds
    scrubbed, replaced = scrub(text)
    assert set(replaced) == kinds
    assert find_pii(scrubbed) == []
    for kind in kinds:
        assert f"[{kind}]" in scrubbed
    assert not re.search(r"@\w|\d{3}[\s.-]?\d{4}|https?://|www\.", scrubbed)


def test_reply_salutation_kept():
    assert scrub("Hi John, we fixed it.")[0] == "Hi [name], we fixed it."
    assert scrub("Dear Ms. Smith, sorry.")[0] == "Dear [name], sorry."


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_numbers_and_greetings_untouched(text):
    assert find_pii(text) == []
    assert scrub(text) == (text, [])


def test_none_and_empty():
    assert scrub(None) == (None, []) and find_pii(None) == [] and find_pii("") == []
