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


# The action type: read from the answer, mapped onto ACTION_TYPES, unknown (None) when absent or unrecognised.


def test_the_gold_target_parses_back_to_its_row():
    from conftest import toy_rows

    from pisar_data.task import target_text

    for row in toy_rows(6):
        parsed = parse_prediction(target_text(row))
        assert (parsed.action_type, parsed.action, parsed.rationale, parsed.parsed) == (row["action_type"], row["action"], row["rationale"], True)


def test_the_prompt_lists_every_action_type_with_its_description():
    from pisar_data.schema import ACTION_TYPES
    from pisar_data.task import SYSTEM_PROMPT

    assert '{"action_type": "...", "action": "...", "rationale": "..."}' in SYSTEM_PROMPT
    for name, description in ACTION_TYPES.items():
        assert f"\n- {name}: {description}" in SYSTEM_PROMPT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"action_type": "uninstall", "action": "a", "rationale": "r"}', "uninstall"),
        ('{"Action Type": "Add to cart", "action": "a", "rationale": "r"}', "add_to_cart"),
        ('{"actionType": "addToCart", "action": "a", "rationale": "r"}', "add_to_cart"),
        ('{"type": "KEEP-USING", "action": "a", "rationale": "r"}', "keep_using"),
        ('{"action_type": "uninstall: removed or is removing the app", "action": "a"}', "uninstall"),
        ('{"action_type": "open product page", "action": "a"}', "open_product"),
        ('{"action_type": "uninstalled", "action": "a"}', "uninstall"),
        ('{"action_type": "filters", "action": "a"}', "filter"),
        ('{"action_type": "rated", "action": "a"}', "rate"),
        ('{"action_type": "serach", "action": "a"}', "search"),  # one swapped pair of letters
        ('{"action_type": "read_review", "action": "a"}', "read_reviews"),  # one letter missing
        ('{"action_type": "search", "action": "a", "rationale": "r"', "search"),  # truncated: the field regex
        ('{"action": "a", "rationale": "r"}', None),  # no type: still an answer, type unknown
        ('{"action_type": "paid", "action": "a"}', None),  # irregular forms are not guessed
        ('{"action_type": "removed the app", "action": "a"}', None),
        ('{"action_type": "buy", "action": "a"}', None),
        ('{"action_type": "stop", "action": "a"}', None),  # a word of a name is not the name
        ('{"action_type": 3, "action": "a"}', None),
        ('{"action_type": null, "action": "a"}', None),
    ],
)
def test_action_type_spellings(raw, expected):
    parsed = parse_prediction(raw)
    assert parsed.parsed and parsed.action == "a"
    assert parsed.action_type == expected


def test_sem_sim_text_ignores_the_action_type():
    with_type = parse_prediction('{"action_type": "pay", "action": "paid", "rationale": "cheap"}')
    without = parse_prediction('{"action": "paid", "rationale": "cheap"}')
    assert with_type.text == without.text == "paid because cheap"
