"""The prediction parser (pisar_data.task.parse_prediction) on the outputs models really produce."""

import pytest

from pisar_data.task import Prediction, parse_prediction, scored_text

GOOD = Prediction("uninstalled the app", "it kept logging me out", True)


@pytest.mark.parametrize(
    "raw",
    [
        '{"action": "uninstalled the app", "rationale": "it kept logging me out"}',
        '```json\n{"action": "uninstalled the app", "rationale": "it kept logging me out"}\n```',
        'Sure! Here is my answer:\n{"action": "uninstalled the app", "rationale": "it kept logging me out"}\nHope this helps.',
        '<think>The user {maybe} wants...</think>{"action": "uninstalled the app", "rationale": "it kept logging me out"}',
        '{"Action": "uninstalled the app", "RATIONALE": "it kept logging me out"}',
        '{"note": {"x": 1}, "action": "uninstalled the app", "rationale": "it kept logging me out"}',
        '{"action": "uninstalled the app", "rationale": "it kept logging me out"',  # truncated generation
    ],
)
def test_parser_reads_json_in_its_usual_wrappings(raw):
    assert parse_prediction(raw) == GOOD


def test_parser_keeps_braces_and_escapes_inside_strings():
    parsed = parse_prediction('{"action": "typed \\"{promo}\\"", "rationale": "the field said {code}"}')
    assert parsed == Prediction('typed "{promo}"', "the field said {code}", True)


@pytest.mark.parametrize(
    "raw",
    [
        "", None, "I would probably uninstall it.", "{not json}", '{"answer": "x"}', "[1, 2, 3]", "{{{{",
        '{"transaction": "refund", "reason": "double charge" oops',  # a key that merely ends in "action"
        'My guess: the action: "uninstall" is likely, given the rationale: "ads"',  # prose, no object
    ],
)
def test_parser_rejects_garbage(raw):
    parsed = parse_prediction(raw)
    assert parsed == Prediction("", "", False)
    assert parsed.text == ""


def test_missing_rationale_is_parsed_with_an_empty_rationale():
    assert parse_prediction('{"action": "paid"}') == Prediction("paid", "", True)
    assert scored_text("paid", "") == "paid"
    assert scored_text(" paid ", " it was cheap ") == "paid because it was cheap"


# Regressions: each of these once slipped through the parser.


def test_parser_reads_python_style_single_quoted_dicts():
    assert parse_prediction("{'action': 'uninstalled the app', 'rationale': 'it kept logging me out'}") == GOOD


def test_parser_ignores_json_inside_an_unfinished_thinking_block():
    # A generation cut off while still thinking has no answer yet.
    assert parse_prediction('<think>maybe {"action": "paid", "rationale": "cheap"} or not').parsed is False


def test_parser_rejects_a_null_action():
    assert parse_prediction('{"action": null, "rationale": "cheap"}').parsed is False
