"""Turn the sessions of ``opera_data`` into rows of OPeRA's filtered_{action,session,user,image} configs.

Every field is a string except ``action_count``; element_meta, mouse_position, window_size,
page_meta and products are JSON strings, as the dataset card says. Each page is built once as
simplified HTML (with semantic ids) and drawn as a screenshot from the same blocks.
"""

from __future__ import annotations

import html
import json
import random
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from curation.sample import draw
from curation.sample.opera_data import PRODUCTS, SESSIONS, USERS

WINDOW = {"width": 1280, "height": 800}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _product_dict(asin: str, quantity: int = 1) -> dict:
    title, price, _, options = PRODUCTS[asin]
    return {"asin": asin, "title": title, "price": price, "quantity": quantity, "options": options[:1]}


def build_page(spec: tuple) -> dict:
    """A page: url, title, query, blocks (for the screenshot), html (with semantic ids), products."""
    kind, *args = spec
    if kind == "search":
        query, asins, filters = args
        blocks = [("heading", f'Results for "{query}"' if query else "Today's deals", None)]
        blocks += [("filter", f, f"filter_{_slug(f)}") for f in filters]
        blocks += [("product", PRODUCTS[a][0], PRODUCTS[a][1], PRODUCTS[a][2], f"product_{a}") for a in asins]
        parts = ['<input id="search_input" type="text" value="%s" placeholder="Search Amazon"/>' % html.escape(query),
                 '<button id="search_button">Go</button>']
        if query and not asins:
            parts.append('<ul id="suggestions"><li id="suggestion_%s">%s hdmi</li><li id="suggestion_%s_c">%s c</li></ul>'
                         % (_slug(query + " hdmi"), html.escape(query), _slug(query), html.escape(query)))
        parts += ['<label id="filter_%s"><input type="checkbox"/>%s</label>' % (_slug(f), html.escape(f))
                  for f in filters]
        parts += ['<div class="result"><a id="product_%s">%s</a><span class="price">%s</span><span class="rating">%s</span></div>'
                  % (a, html.escape(PRODUCTS[a][0]), PRODUCTS[a][1], PRODUCTS[a][2]) for a in asins]
        if asins:
            parts.append('<a id="pagination_next">Next</a>')
        url = f"https://www.amazon.com/s?k={quote_plus(query)}" if query else "https://www.amazon.com/"
        return {"url": url, "title": f"Amazon.com : {query}" if query else "Amazon.com", "query": query, "blocks": blocks,
                "html": "".join(parts), "products": [_product_dict(a) for a in asins]}
    if kind == "product":
        (asin,) = args
        title, price, rating, options = PRODUCTS[asin]
        blocks = [("heading", title, None), ("text", f"{rating}  |  {price}  |  FREE delivery Thursday", None),
                  ("text", "Options: " + ", ".join(options), None), ("button", "Add to Cart", "add_to_cart_button"),
                  ("button", "Buy Now", "buy_now_button"), ("text", "Customer reviews: see all reviews", "see_all_reviews")]
        parts = ['<a id="nav_back_to_results">Back to results</a>', '<h1 id="product_title">%s</h1>' % html.escape(title),
                 '<span id="price">%s</span>' % price, '<a id="see_all_reviews">%s</a>' % rating]
        parts += ['<button id="option_%s">%s</button>' % (_slug(o), html.escape(o)) for o in options]
        parts += ['<select id="quantity_select"><option>1</option></select><button id="quantity_increase">+</button>',
                  '<button id="add_to_cart_button">Add to Cart</button>', '<button id="buy_now_button">Buy Now</button>',
                  '<button id="subscribe_button">Subscribe &amp; Save</button>', '<button id="share_button">Share</button>']
        return {"url": f"https://www.amazon.com/{_slug(title)[:40]}/dp/{asin}", "title": f"Amazon.com: {title}",
                "query": "", "blocks": blocks, "html": "".join(parts), "products": [_product_dict(asin)]}
    if kind in ("cart", "checkout"):
        (asins,) = args
        items = [_product_dict(a) for a in dict.fromkeys(asins)]
        for item in items:
            item["quantity"] = asins.count(item["asin"])
        total = sum(float(i["price"].strip("$")) * i["quantity"] for i in items)
        heading = "Shopping Cart" if kind == "cart" else "Review your order"
        blocks = [("heading", heading, None)]
        blocks += [("product", i["title"], f'{i["price"]}  Qty: {i["quantity"]}', PRODUCTS[i["asin"]][2], None) for i in items]
        blocks += [("text", f"Subtotal ({len(asins)} items): ${total:.2f}", None),
                   ("button", "Proceed to checkout", "proceed_to_checkout") if kind == "cart"
                   else ("button", "Place your order", "place_order_button")]
        parts = ['<h1>%s</h1>' % heading]
        parts += ['<div class="cart-item"><input id="cart_item_checkbox" type="checkbox" checked/>%s '
                  '<span>%s</span><button id="delete_item">Delete</button></div>' % (html.escape(i["title"]), i["price"])
                  for i in items]
        parts.append('<span id="subtotal">$%.2f</span>' % total)
        parts.append('<button id="proceed_to_checkout">Proceed to checkout</button>' if kind == "cart"
                     else '<button id="place_order_button">Place your order</button>')
        parts.append('<a id="cart_sidebar_go_to_cart">Go to Cart</a>')
        url = "https://www.amazon.com/cart" if kind == "cart" else "https://www.amazon.com/checkout/spc"
        return {"url": url, "title": f"Amazon.com {heading}", "query": "", "blocks": blocks, "html": "".join(parts),
                "products": items, "cart": len(asins)}
    raise ValueError(f"unknown page kind {kind!r}")


def _mouse(page: dict, semantic_id: str, rng: random.Random) -> dict:
    """Where the pointer was: inside the clicked element when it is drawn, else somewhere on the page."""
    box = draw.page_targets(page).get(semantic_id)
    if semantic_id == "search_input":
        box = (236, 20, 1030, 60)
    if box is None:
        return {"x": rng.randint(40, 1200), "y": rng.randint(100, 760)}
    x0, y0, x1, y1 = box
    return {"x": rng.randint(x0 + 4, max(x0 + 4, min(x1, x0 + 400) - 4)), "y": rng.randint(y0 + 4, y1 - 4)}


def _raw_survey(survey: dict) -> dict:
    """The flat question -> answer form of the survey (raw_survey)."""
    demographics = survey["Demographic Information"]
    return {
        "Gender": demographics["Gender"], "Age": demographics["Age"],
        "Which city do you live in?": demographics["City"],
        "What is your highest level of education ?": demographics["Education level"],
        "What best describes your employment status over the last three months? - Selected Choice": demographics["Employment status"],
        "Use two sentences to describe yourself.": survey["Self Description"]["Two sentence description"],
        "How often do you shop online?": survey["Shopping Preference"]["Online shopping frequency"],
    }


def tables() -> dict[str, list[dict]]:
    """Rows of the four configs: action, session, user, image (image rows carry PNG bytes)."""
    rng = random.Random("pisar-sample:opera")
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in USERS]
    users = [{
        "user_id": uid,
        "survey": json.dumps(u["survey"], ensure_ascii=False),
        "raw_survey": json.dumps(_raw_survey(u["survey"]), ensure_ascii=False),
        "interview_transcript": u["interview"],
        "interview_transcript_processed": "### Summary\n[Participant] " + u["survey"]["Self Description"]["Two sentence description"],
    } for uid, u in zip(user_ids, USERS)]

    actions, sessions, images = [], [], []
    for user_index, start, steps in SESSIONS:
        when = datetime.fromisoformat(start)
        stamps = []
        for _ in steps:
            when += timedelta(seconds=rng.randint(4, 95), milliseconds=rng.randint(0, 999))
            stamps.append(when)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"  # noqa: E731
        session_id = f"{user_ids[user_index]}_{iso(datetime.fromisoformat(start))}_{iso(stamps[-1])}"
        sessions.append({"session_id": session_id, "user_id": user_ids[user_index], "action_count": len(steps)})
        page_spec = None
        for stamp, (step_page, (action_type, click_type, semantic_id, input_text, rationale)) in zip(stamps, steps):
            page_spec = step_page or page_spec  # a terminate step ends on the page before it
            page = build_page(page_spec)
            action_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            image_name = f"{session_id}_{action_id}.png"
            mouse = None if action_type == "terminate" else _mouse(page, semantic_id, rng)
            actions.append({
                "session_id": session_id, "action_id": action_id, "timestamp": iso(stamp), "action_type": action_type,
                "click_type": click_type, "semantic_id": semantic_id,
                "mouse_position": json.dumps(mouse) if mouse else None,
                "element_meta": json.dumps({"name": semantic_id.replace("_", " "),
                                            "data": {"semantic-id": semantic_id, "tag": "button"}})
                if action_type == "click" else None,
                "url": page["url"], "window_size": json.dumps(WINDOW),
                "page_meta": json.dumps({"url": page["url"], "title": page["title"]}),
                "simplified_html": f'<html><body><header id="nav_bar"><a id="nav_logo">amazon</a></header>{page["html"]}</body></html>',
                "rationale": rationale, "products": json.dumps(page["products"]), "input_text": input_text,
                "image": image_name,
            })
            images.append({"image": {"bytes": draw.render_page(page, mouse), "path": image_name}, "image_name": image_name})
    return {"action": actions, "session": sessions, "user": users, "image": images}
