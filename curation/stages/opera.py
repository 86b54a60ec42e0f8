"""OPeRA shopper actions -> tuples. Only actions with a self-reported rationale become rows.

Fields of a row:

* **action** — from ``action_type``, ``click_type``, the element and ``input_text``: "clicked 'Add to
  Cart' for 'Anker USB C Cable'", "clicked the product 'Anker USB C Cable'", "typed 'usb c cable' into
  the search box", "ended the shopping session". The element label is the visible text of the element
  whose id is ``semantic_id`` in the action's simplified HTML, else the first short text in
  ``element_meta.data`` (text, title, aria-label, value, …), else ``element_meta.name``, else the last
  part of ``semantic_id``, humanized ("add_to_cart" -> "add to cart"). Product clicks name the product
  (first title in ``products``).
* **action_type** (closed vocabulary ``pisar_data.schema.ACTION_TYPES``) — click_type purchase ->
  add_to_cart; search, suggested_term -> search; product_link -> open_product; filter -> filter;
  product_option, quantity -> select_option; review -> read_reviews; nav_bar, page_related,
  cart_side_bar, cart_page_select, other -> navigate. input -> search when the field is a search box
  (semantic_id/element mentions "search"), else type_text. terminate -> end_session.
* **rationale** — the participant's own rationale, whitespace-normalized.
* **screen** — the action's screenshot (``image_path``); ``screen_text`` is the visible text of the
  action's ``simplified_html`` (text nodes plus placeholder/alt/aria-label text; scripts and styles
  skipped), capped at ``max_screen_text_chars``. ``screen_source`` = "opera_screenshot".
* **intent** — from the session up to this action (actions ordered by timestamp): the latest search
  terms typed (input into a search field, or a ``k=``/``field-keywords=`` URL parameter), the
  product last opened, and the number of items added to the cart, e.g. "shop on amazon.com for
  'usb c cable' (last viewed: Anker USB C Cable; 1 item in cart)"; with no context, "shop on amazon.com".
* **persona** — the participant's survey JSON mapped onto ``PERSONA_VOCABULARY``
  (persona_source "opera_survey"):
    - gender: Female -> woman, Male -> man, any other answer -> other.
    - age_group: an answer range "25-34 years old" goes to the bin holding its midpoint (29.5 -> 18-29);
      "65 or older" -> 65+.
    - education: undergraduate / some college / associate -> some college; bachelor -> college
      graduate; graduate, master, doctoral, professional -> postgraduate; high school or less -> high school or less.
    - income: the midpoint of the dollar range ("$25,000-$49,999" -> $37.5k -> $30k-$75k); "less than
      $X" -> below X; "$X or more" -> above X.
    - employment: student, retired, employed (full/part-time, self-employed), not employed.
    - region: the US Census region of a state named in "City" ("Boston, MA"); null otherwise.
    - internet_use: "internet user" (every participant shops online); the other attributes are null.
  The description adds shopping habits (frequency, Prime membership); the free-text
  self-description and the city are not used (they can identify a participant).
* **id** — "op-" + sha256("opera:" + session_id + ":" + action_id)[:16]: stable, and no raw user id.
* **participant_key**, **session_key** — the hashed participant (``user_key``) and session: the split units
  ``curation.stages.select`` uses for OPeRA's single site (work tables only, never published).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from curation.stages.personas import ATTRIBUTES_DTYPE, describe
from pisar_data import pii
from pisar_data.schema import PERSONA_ATTRIBUTES

NAME = "opera"


@dataclass
class Config:
    """OPeRA tuple assembly.

    max_screen_text_chars: visible text kept per screen (the task prompt shows 2,000 characters; anchoring
        and the card use a little more).
    max_label_chars: an element label longer than this is cut (product titles can run to 200 characters).
    """

    max_screen_text_chars: int = 4000
    max_label_chars: int = 80


CLICK_TYPES = {
    "purchase": "add_to_cart", "search": "search", "suggested_term": "search", "product_link": "open_product",
    "filter": "filter", "product_option": "select_option", "quantity": "select_option", "review": "read_reviews",
    "nav_bar": "navigate", "page_related": "navigate", "cart_side_bar": "navigate", "cart_page_select": "navigate",
    "other": "navigate",
}

# --- screen text --------------------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    SKIP = {"script", "style", "head", "noscript", "template", "svg"}
    ATTRS = ("placeholder", "alt", "aria-label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
            return
        for name, value in attrs:
            if name in self.ATTRS and value and value.strip():
                self.parts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(" ".join(data.split()))


class _ElementText(HTMLParser):
    """Visible text inside the element whose id (or data-semantic-id) is ``target``."""

    def __init__(self, target: str):
        super().__init__(convert_charrefs=True)
        self.target = target
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if self.depth:
            self.depth += 1
        elif self.target in (values.get("id"), values.get("data-semantic-id")):
            self.depth = 1
            for name in _VisibleText.ATTRS + ("value",):
                if values.get(name, "").strip():
                    self.parts.append(values[name].strip())
        if self.depth and tag in ("input", "img", "br", "hr", "meta", "link"):  # void elements never close
            self.depth -= 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.parts.append(" ".join(data.split()))


def html_element_text(html: str | None, semantic_id: str | None) -> str:
    if not html or not semantic_id:
        return ""
    parser = _ElementText(semantic_id)
    parser.feed(html)
    return " ".join(dict.fromkeys(parser.parts))


def visible_text(html: str | None, limit: int = 4000) -> str:
    if not html:
        return ""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines: list[str] = []
    for part in parser.parts:
        if not lines or lines[-1] != part:
            lines.append(part)
    text = "\n".join(lines)
    return text[:limit].rsplit("\n", 1)[0] if len(text) > limit else text


# --- actions ------------------------------------------------------------------------------------------------


def _json(value) -> object:
    if not value or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def _humanize(name: str) -> str:
    return " ".join(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").split()).lower()


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def element_label(semantic_id: str | None, element_meta: str | None, limit: int = 80, html: str | None = None) -> str:
    text = html_element_text(html, semantic_id)
    if text:
        return f"'{_cut(text, limit)}'"
    meta = _json(element_meta)
    if isinstance(meta, dict):
        data = meta.get("data")
        if isinstance(data, dict):
            for key in ("text", "title", "aria-label", "aria_label", "label", "value", "alt", "placeholder", "name"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    return f"'{_cut(value, limit)}'"
        if isinstance(meta.get("name"), str) and meta["name"].strip():
            return f"'{_cut(_humanize(meta['name']), limit)}'"
    if semantic_id:
        return f"'{_cut(_humanize(re.split(r'[./]', semantic_id)[-1]), limit)}'"
    return "an element"


def _is_search_field(semantic_id: str | None, element_meta: str | None) -> bool:
    return "search" in f"{semantic_id or ''} {element_meta or ''}".lower()


def describe_action(record: dict, limit: int = 80) -> tuple[str, str]:
    """(action text, action_type) for one OPeRA action."""
    kind = (record.get("action_type") or "").lower()
    label = element_label(record.get("semantic_id"), record.get("element_meta"), limit, record.get("simplified_html"))
    if kind == "terminate":
        return "ended the shopping session", "end_session"
    if kind == "input":
        typed = _cut(record.get("input_text") or "", limit)
        search = _is_search_field(record.get("semantic_id"), record.get("element_meta"))
        target = "the search box" if search else label
        return (f"typed '{typed}' into {target}" if typed else f"typed into {target}"), ("search" if search else "type_text")
    click_type = (record.get("click_type") or "other").lower()
    titles = _product_titles(record.get("products"))
    if titles and click_type == "product_link":
        return f"clicked the product '{_cut(titles[0], limit)}'", "open_product"
    if titles and click_type in ("purchase", "product_option", "quantity"):
        return f"clicked {label} for '{_cut(titles[0], limit)}'", CLICK_TYPES[click_type]
    return f"clicked {label}", CLICK_TYPES.get(click_type, "navigate")


def _url_terms(url: str | None) -> str | None:
    if not url:
        return None
    query = parse_qs(urlparse(url).query)
    for key in ("k", "field-keywords", "keywords", "q"):
        if query.get(key):
            return query[key][0]
    return None


def _product_titles(products: str | None) -> list[str]:
    items = _json(products)
    if isinstance(items, dict):
        items = [items]
    return [p["title"] for p in items or [] if isinstance(p, dict) and isinstance(p.get("title"), str) and p["title"].strip()]


def session_intents(actions: list[dict], context_name: str, limit: int = 80) -> dict[str, str]:
    """Intent for each action of one session (ordered), from what happened before it."""
    terms = viewed = None
    in_cart = 0
    intents = {}
    for record in actions:
        details = []
        if viewed:
            details.append(f"last viewed: {_cut(viewed, limit)}")
        if in_cart:
            details.append(f"{in_cart} item{'s' if in_cart > 1 else ''} in cart")
        intent = f"shop on {context_name}" + (f" for '{terms}'" if terms else "")
        intents[record["action_id"]] = intent + (f" ({'; '.join(details)})" if details else "")
        # update the context with this action (it informs later actions' intents)
        kind = (record.get("action_type") or "").lower()
        if kind == "input" and record.get("input_text") and _is_search_field(record.get("semantic_id"), record.get("element_meta")):
            terms = _cut(record["input_text"], limit)
        elif _url_terms(record.get("url")):
            terms = _cut(_url_terms(record["url"]), limit)
        titles = _product_titles(record.get("products"))
        if titles and (record.get("click_type") or "") == "product_link":
            viewed = titles[0]
        if (record.get("click_type") or "") == "purchase":
            in_cart += max(1, len(titles))
    return intents


# --- personas -----------------------------------------------------------------------------------------------

_STATE_REGION = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA Connecticut Maine Massachusetts New_Hampshire Rhode_Island Vermont New_Jersey New_York Pennsylvania",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD Illinois Indiana Michigan Ohio Wisconsin Iowa Kansas Minnesota Missouri Nebraska North_Dakota South_Dakota",
    "South": "DE FL GA MD NC SC VA DC WV AL KY MS TN AR LA OK TX Delaware Florida Georgia Maryland North_Carolina South_Carolina Virginia "
             "West_Virginia Alabama Kentucky Mississippi Tennessee Arkansas Louisiana Oklahoma Texas",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA Arizona Colorado Idaho Montana Nevada New_Mexico Utah Wyoming Alaska California Hawaii Oregon Washington",
}
STATE_TO_REGION = {state.replace("_", " ").lower(): region for region, states in _STATE_REGION.items() for state in states.split()}
_MONEY = re.compile(r"\$?\s*(\d[\d,]*)")


def _bin(value: float, edges: list[tuple[float, str]]) -> str:
    for upper, label in edges:
        if value < upper:
            return label
    return edges[-1][1]


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in _MONEY.findall(text) if n.replace(",", "")]


def map_survey(survey: dict) -> tuple[dict[str, str | None], list[str]]:
    """(attributes in PERSONA_VOCABULARY, extra description phrases) from an OPeRA survey."""
    demo = survey.get("Demographic Information") or {}
    attributes: dict[str, str | None] = dict.fromkeys(PERSONA_ATTRIBUTES)
    gender = str(demo.get("Gender") or "").strip().lower()
    if gender:
        attributes["gender"] = {"female": "woman", "woman": "woman", "male": "man", "man": "man"}.get(gender, "other")
    age = str(demo.get("Age") or "").lower()
    numbers = _numbers(age)
    if numbers:
        value = sum(numbers[:2]) / len(numbers[:2]) if ("-" in age or "to" in age) and len(numbers) >= 2 else numbers[0]
        if "under" in age or "less" in age:
            value = numbers[0] - 1
        if value >= 18:
            attributes["age_group"] = _bin(value, [(30, "18-29"), (50, "30-49"), (65, "50-64"), (float("inf"), "65+")])
    education = str(demo.get("Education level") or "").lower()
    if "undergrad" in education or "some college" in education or "associate" in education:
        attributes["education"] = "some college"
    elif any(k in education for k in ("graduate degree", "grad student", "master", "doctor", "phd", "professional degree")):
        attributes["education"] = "postgraduate"
    elif "bachelor" in education or "college graduate" in education:
        attributes["education"] = "college graduate"
    elif "high school" in education or "less than" in education:
        attributes["education"] = "high school or less"
    income = str(demo.get("Yearly household income or stipend") or demo.get("Income") or "").lower()
    amounts = _numbers(income)
    if amounts:
        if "less" in income or "under" in income:
            value = amounts[0] - 1
        elif "more" in income or "over" in income or "+" in income:
            value = amounts[0] + 1
        else:
            value = sum(amounts[:2]) / len(amounts[:2])
        attributes["income"] = _bin(value, [(30000, "under $30k"), (75000, "$30k-$75k"), (150000, "$75k-$150k"), (float("inf"), "$150k+")])
    employment = str(demo.get("Employment status") or "").lower()
    if "student" in employment:
        attributes["employment"] = "student"
    elif "retired" in employment:
        attributes["employment"] = "retired"
    elif "unemployed" in employment or "not employed" in employment or "homemaker" in employment:
        attributes["employment"] = "not employed"
    elif "employ" in employment or "time" in employment or "freelance" in employment:
        attributes["employment"] = "employed"
    city = str(demo.get("City") or "")
    for piece in reversed([p.strip().lower() for p in re.split(r"[,/]", city) if p.strip()]):
        if piece in STATE_TO_REGION:
            attributes["region"] = STATE_TO_REGION[piece]
            break
    attributes["internet_use"] = "internet user"
    extra = []
    shopping = survey.get("Shopping Preference") or {}
    frequency = str(shopping.get("Online shopping frequency") or "").strip()
    if frequency:
        extra.append(f"shops online {frequency[0].lower() + frequency[1:]}")
    prime = str(shopping.get("Amazon Prime membership") or "").strip().lower()
    if prime in ("yes", "no"):
        extra.append("Amazon Prime member" if prime == "yes" else "not an Amazon Prime member")
    return attributes, extra


# --- stage --------------------------------------------------------------------------------------------------

TUPLE_SCHEMA = {
    "id": pl.Utf8, "source": pl.Utf8, "context_id": pl.Utf8, "context_name": pl.Utf8, "intent": pl.Utf8,
    "action": pl.Utf8, "action_type": pl.Utf8, "rationale": pl.Utf8, "rating": pl.Int32, "lang": pl.Utf8,
    "created_at": pl.Datetime("us"), "persona": pl.Utf8, "persona_attributes": ATTRIBUTES_DTYPE,
    "persona_source": pl.Utf8, "image_path": pl.Utf8, "screen_text": pl.Utf8, "screen_source": pl.Utf8,
    "participant_key": pl.Utf8, "session_key": pl.Utf8,  # hashed split units for selection (never published)
}


def row_id(session_id: str, action_id: str) -> str:
    return "op-" + hashlib.sha256(f"opera:{session_id}:{action_id}".encode()).hexdigest()[:16]


def parse_timestamp(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed
    seconds = number / 1000 if number > 1e11 else number  # epoch milliseconds or seconds
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    actions = tables.get("opera_actions")
    users = tables.get("opera_users")
    if actions is None or actions.height == 0:
        return StageResult(tables={"opera_tuples": pl.DataFrame(schema=TUPLE_SCHEMA)}, counts={"actions": 0, "out": 0})
    personas: dict[str, tuple[dict, str]] = {}
    unmapped = 0
    for user in (users.iter_rows(named=True) if users is not None else []):
        survey = _json(user.get("survey"))
        if not isinstance(survey, dict):
            unmapped += 1
            continue
        attributes, extra = map_survey(survey)
        personas[user["user_key"]] = (attributes, describe(attributes, extra))

    records = actions.with_columns(pl.col("timestamp").cast(pl.Utf8)).sort(["session_id", "timestamp", "action_id"]).to_dicts()
    for record in records:
        record["_time"] = parse_timestamp(record.get("timestamp"))
    sessions: dict[str, list[dict]] = {}
    for record in records:
        sessions.setdefault(record["session_id"], []).append(record)

    rows = []
    no_persona = 0
    for session in ctx.track(sessions.values(), "OPeRA sessions", len(sessions)):
        session.sort(key=lambda r: (r["_time"] or datetime.min, str(r["action_id"])))
        name = session[0].get("context_name") or session[0].get("context_id") or "the shop"
        intents = session_intents(session, name, config.max_label_chars)
        for record in session:
            rationale = " ".join((record.get("rationale") or "").split())
            if not rationale:
                continue
            persona = personas.get(record.get("user_key"))
            if persona is None:
                no_persona += 1
                attributes, description = dict.fromkeys(PERSONA_ATTRIBUTES), "An online shopper (no survey)."
            else:
                attributes, description = persona
            action, action_type = describe_action(record, config.max_label_chars)
            rows.append({
                "id": row_id(record["session_id"], str(record["action_id"])), "source": "opera",
                "context_id": record.get("context_id") or "unknown", "context_name": name,
                "intent": intents[record["action_id"]], "action": action, "action_type": action_type,
                "rationale": rationale, "rating": None, "lang": "en", "created_at": record["_time"],
                "persona": description, "persona_attributes": attributes, "persona_source": "opera_survey",
                "image_path": record.get("image_path"),
                "screen_text": pii.scrub(visible_text(record.get("simplified_html"), config.max_screen_text_chars))[0],
                "screen_source": "opera_screenshot",
                "participant_key": record.get("user_key"),
                "session_key": "s-" + hashlib.sha256(f"opera:{record['session_id']}".encode()).hexdigest()[:16],
            })
    tuples = pl.DataFrame(rows, schema=TUPLE_SCHEMA).sort("id")
    counts: dict[str, int | float | str] = {
        "actions": actions.height, "sessions": len(sessions), "with_rationale": tuples.height, "out": tuples.height,
        "users_with_survey": len(personas), "users_unmapped_survey": unmapped, "rows_without_survey": no_persona,
        "rows_without_screenshot": tuples.filter(pl.col("image_path").is_null()).height,
    }
    for action_type, n in sorted(tuples.group_by("action_type").len().iter_rows()):
        counts[f"action_{action_type}"] = n
    return StageResult(tables={"opera_tuples": tuples}, counts=counts)
