"""OPeRA actions -> tuples: action text/type, rationale filter, screen text, session intent, survey personas."""

from __future__ import annotations

import json

import pandas as pd
import polars as pl

from curation.stages import BuildContext
from curation.stages.opera import Config, describe_action, map_survey, row_id, run, visible_text
from pisar_data.schema import ACTION_TYPES, PERSONA_VOCABULARY

HTML = """<html><head><title>t</title><script>var x = 1;</script><style>.a{}</style></head>
<body><nav>Hello, sign in</nav><input placeholder="Search Amazon" />
<div>Anker USB C Cable <span>$12.99</span></div><button aria-label="Add to Cart">Add to Cart</button></body></html>"""


def _action(action_id, ts, kind, *, click_type=None, semantic_id=None, meta=None, text=None, rationale=None,
            products=None, url="https://www.amazon.com/", image=None):
    return {"action_id": action_id, "session_id": "u1_2024-01-01T10:00_2024-01-01T10:30", "user_key": "hash-u1",
            "timestamp": ts, "action_type": kind, "click_type": click_type, "semantic_id": semantic_id,
            "element_meta": json.dumps(meta) if meta else None, "input_text": text, "rationale": rationale,
            "products": json.dumps(products) if products else None, "url": url, "page_meta": None,
            "simplified_html": HTML, "image_path": image, "context_id": "amazon.com", "context_name": "amazon.com"}


SURVEY = {"Demographic Information": {"Gender": "Female", "Age": "35-44 years old", "City": "Austin, TX",
                                      "Education level": "Bachelor's degree", "Yearly household income or stipend": "$100,000-$149,999",
                                      "Employment status": "Full-time employee"},
          "Shopping Preference": {"Online shopping frequency": "Once to twice a week", "Amazon Prime membership": "Yes"}}


def test_visible_text_skips_scripts_and_keeps_labels():
    text = visible_text(HTML)
    assert "var x" not in text and ".a{}" not in text and "<" not in text
    # head/title skipped; placeholder and aria-label kept; a label repeated by its element's text kept once
    assert text.splitlines() == ["Hello, sign in", "Search Amazon", "Anker USB C Cable", "$12.99", "Add to Cart"]


def test_action_text_and_type_for_each_kind():
    assert describe_action({"action_type": "click", "click_type": "purchase", "element_meta": json.dumps({"name": "add_to_cart_button", "data": {"text": "Add to Cart"}})}) == ("clicked 'Add to Cart'", "add_to_cart")
    assert describe_action({"action_type": "click", "click_type": "product_link", "semantic_id": "search_results.product_3.title_link"}) == ("clicked 'title link'", "open_product")
    assert describe_action({"action_type": "input", "semantic_id": "nav_search_box", "input_text": "usb c cable"}) == ("typed 'usb c cable' into the search box", "search")
    assert describe_action({"action_type": "input", "semantic_id": "gift_message", "input_text": "Happy birthday"}) == ("typed 'Happy birthday' into 'gift message'", "type_text")
    assert describe_action({"action_type": "terminate"}) == ("ended the shopping session", "end_session")
    for click_type in ("search", "review", "filter", "quantity", "product_option", "cart_side_bar", "suggested_term", "nav_bar",
                       "page_related", "cart_page_select", "other", "never_seen"):
        assert describe_action({"action_type": "click", "click_type": click_type})[1] in ACTION_TYPES


def test_element_label_comes_from_the_element_in_the_html_first():
    html = '<div><button id="search_button"><span>Go</span></button><input id="qty" value="2"/><a id="x">Other</a></div>'
    assert describe_action({"action_type": "click", "click_type": "search", "semantic_id": "search_button", "simplified_html": html,
                            "element_meta": json.dumps({"name": "search button"})}) == ("clicked 'Go'", "search")
    assert describe_action({"action_type": "click", "click_type": "quantity", "semantic_id": "qty", "simplified_html": html}) == ("clicked '2'", "select_option")


def test_survey_mapping_uses_the_persona_vocabulary():
    attributes, extra = map_survey(SURVEY)
    assert attributes["gender"] == "woman" and attributes["age_group"] == "30-49" and attributes["region"] == "South"
    assert attributes["education"] == "college graduate" and attributes["income"] == "$75k-$150k" and attributes["employment"] == "employed"
    assert extra == ["shops online once to twice a week", "Amazon Prime member"]
    for name, value in attributes.items():
        assert value is None or value in PERSONA_VOCABULARY[name]


def test_real_opera_surveys_map_to_the_vocabulary(real_samples):
    users = pd.read_csv(real_samples / "opera" / "user.csv")
    mapped = [map_survey(json.loads(s))[0] for s in users["survey"]]
    for attributes in mapped:
        for name, value in attributes.items():
            assert value is None or value in PERSONA_VOCABULARY[name], (name, value)
        assert attributes["gender"] in ("woman", "man") and attributes["age_group"] and attributes["education"] == "postgraduate"
        assert attributes["income"] and attributes["employment"]
    assert {m["gender"] for m in mapped} == {"woman", "man"}


def test_run_builds_rows_only_for_rationales_with_session_intent(tmp_path):
    actions = pl.DataFrame([
        _action("a1", "2024-01-01T10:00:01", "input", semantic_id="nav_search_box", text="usb c cable"),
        _action("a2", "2024-01-01T10:00:05", "click", click_type="product_link", semantic_id="results.product_1",
                products=[{"asin": "B1", "title": "Anker USB C Cable"}], rationale="It had the most reviews  and a fair price."),
        _action("a3", "2024-01-01T10:00:09", "click", click_type="purchase", meta={"name": "add_to_cart", "data": {"text": "Add to Cart"}},
                products=[{"asin": "B1", "title": "Anker USB C Cable"}], rationale="I need a spare cable for work.", image="/tmp/shot.png"),
        _action("a4", "2024-01-01T10:00:12", "terminate", rationale="Done, got what I came for."),
    ])
    users = pl.DataFrame({"user_key": ["hash-u1"], "survey": [json.dumps(SURVEY)]})
    result = run({"opera_actions": actions, "opera_users": users}, Config(), BuildContext(tmp_path, tmp_path, seed=0))
    rows = {r["action"]: r for r in result.tables["opera_tuples"].to_dicts()}
    assert len(rows) == 3 and result.counts["with_rationale"] == 3
    opened = rows["clicked the product 'Anker USB C Cable'"]
    assert opened["intent"] == "shop on amazon.com for 'usb c cable'"
    assert opened["rationale"] == "It had the most reviews and a fair price."
    added = rows["clicked 'Add to Cart' for 'Anker USB C Cable'"]
    assert added["action_type"] == "add_to_cart" and added["intent"] == "shop on amazon.com for 'usb c cable' (last viewed: Anker USB C Cable)"
    assert rows["ended the shopping session"]["intent"].endswith("1 item in cart)")
    assert added["image_path"] == "/tmp/shot.png" and "Add to Cart" in added["screen_text"] and added["screen_source"] == "opera_screenshot"
    assert added["persona_source"] == "opera_survey" and added["persona"].startswith("A woman aged 30-49 in the South")
    assert added["id"] == row_id("u1_2024-01-01T10:00_2024-01-01T10:30", "a3") and "u1" not in added["id"]
    assert result.counts["rows_without_screenshot"] == 2
