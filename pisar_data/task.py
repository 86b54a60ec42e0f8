"""The benchmark task, defined once: the prompt for a row, its gold target, and the prediction parser.

Training and eval both build their inputs here, so a model is scored on exactly the prompt it was
trained on. The answer is one JSON object ``{"action_type", "action", "rationale"}``: ``action_type``
comes from the closed vocabulary ``pisar_data.schema.ACTION_TYPES`` (listed, one line each, in the
system prompt) and is scored exactly; ``action`` + ``rationale`` are what sem_sim compares.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from pisar_data.schema import ACTION_TYPES

SYSTEM_PROMPT = (
    "You simulate how a specific person behaves in an app or on a website. Given who they are, what "
    "they are trying to do and the screen in front of them, say what they do next and why, in their "
    "own voice. Answer with one JSON object and nothing else: "
    '{"action_type": "...", "action": "...", "rationale": "..."}.\n'
    "action_type is exactly one of:\n"
    + "\n".join(f"- {name}: {description}" for name, description in ACTION_TYPES.items())
)

# The structured-output schema of the same answer, for APIs that constrain decoding to a JSON schema.
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action_type": {"type": "string", "enum": list(ACTION_TYPES)},
        "action": {"type": "string"},
        "rationale": {"type": "string"},
    },
    "required": ["action_type", "action", "rationale"],
    "additionalProperties": False,
}

# Long view hierarchies / HTML are cut so a prompt stays within a model's context.
MAX_SCREEN_TEXT_CHARS = 2000


def user_prompt(row: dict[str, Any]) -> str:
    """The text of the user turn. An empty persona or intent (an ablated input) reads "(not given)"."""
    screen_text = (row.get("screen_text") or "").strip()
    if len(screen_text) > MAX_SCREEN_TEXT_CHARS:
        screen_text = screen_text[:MAX_SCREEN_TEXT_CHARS].rstrip() + " …"
    return (
        f"Persona: {row.get('persona') or '(not given)'}\n"
        f"Intent: {row.get('intent') or '(not given)'}\n"
        f"App or site: {row['context_name']}\n"
        f"Visible text on the screen:\n{screen_text or '(none)'}\n\n"
        "What does this person do on this screen, and why?"
    )


def build_messages(row: dict[str, Any], *, with_image: bool = True) -> list[dict[str, Any]]:
    """Chat messages for a row in the Hugging Face multimodal format.

    The user turn holds the screen image (``{"type": "image", "image": <PIL.Image>}``) followed by
    the text prompt. ``with_image=False`` drops the image part (text-only models).
    """
    content: list[dict[str, Any]] = []
    if with_image and row.get("screen") is not None:
        content.append({"type": "image", "image": row["screen"]})
    content.append({"type": "text", "text": user_prompt(row)})
    return [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
        {"role": "user", "content": content},
    ]


def target_text(row: dict[str, Any]) -> str:
    """The gold completion: one JSON object with the action type, the action and the rationale."""
    return json.dumps({"action_type": row["action_type"], "action": row["action"], "rationale": row["rationale"]}, ensure_ascii=False)


def scored_text(action: str, rationale: str) -> str:
    """The text sem_sim compares: action and rationale together."""
    return f"{action.strip()} because {rationale.strip()}" if rationale.strip() else action.strip()


@dataclass(frozen=True)
class Prediction:
    action: str
    rationale: str
    parsed: bool
    action_type: str | None = None  # a name of ACTION_TYPES, or None: absent or not recognised (scored as wrong)

    @property
    def text(self) -> str:
        return scored_text(self.action, self.rationale) if self.parsed else ""


_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_UNCLOSED_THINKING = re.compile(r"^.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_UNFINISHED_THINKING = re.compile(r"<think(?:ing)?>.*$", re.DOTALL | re.IGNORECASE)
# A key where JSON puts one: right after "{" or ",", so "transaction" or prose never matches.
_FIELD = r'[{{,]\s*["\']?{name}["\']?\s*:\s*"((?:[^"\\]|\\.)*)"'


def _json_objects(text: str):
    """Yield every balanced {...} substring, outermost first, skipping braces inside strings."""
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        depth, in_string, escaped = 0, False, False
        for end in range(start, len(text)):
            ch = text[end]
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
                continue
            if ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    yield text[start : end + 1]
                    break


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


_TYPE_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TYPE_KEYS = ("actiontype", "type")  # keys compared with case, spaces, "_" and "-" removed


def normalize_action_type(value: Any) -> str | None:
    """The ``ACTION_TYPES`` name a model meant, or None.

    Read after lower-casing, with any run of spaces, hyphens, dots or camelCase humps as one "_"
    ("Add to cart", "add-to-cart", "addToCart", "ADD_TO_CART" are all ``add_to_cart``). Accepted:
    - the name, or the name in a simple inflected form: a trailing "s", "d" or "ed" ("filters",
      "rated", "uninstalled", "searched" -> ``filter``, ``rate``, ``uninstall``, ``search``);
    - any of those followed by more words ("uninstall: removed the app", "open product page",
      "cancel subscription"): the longest name the answer starts with wins;
    - one typo (an inserted, dropped, replaced or swapped letter: "uninstal", "serach") in a name of
      five or more letters, when exactly one name is that close.
    Anything else ("removed the app", "buy", "paid", a number) is None: an unknown type, scored as wrong.
    """
    if not isinstance(value, str):
        return None
    words = _TYPE_WORD.findall(_CAMEL.sub("_", value.strip()).lower())
    for size in range(min(len(words), 3), 0, -1):
        name = "_".join(words[:size])
        for candidate in (name, name.removesuffix("s"), name.removesuffix("d"), name.removesuffix("ed")):
            if candidate in ACTION_TYPES:
                return candidate
    name = "_".join(words)
    close = [t for t in ACTION_TYPES if len(t) >= 5 and DamerauLevenshtein.distance(name, t) <= 1] if len(name) >= 5 else []
    return close[0] if len(close) == 1 else None


def _action_type(fields: dict[str, Any]) -> str | None:
    squashed = {re.sub(r"[\s_-]", "", k): v for k, v in fields.items()}
    return next((normalize_action_type(squashed[k]) for k in _TYPE_KEYS if k in squashed), None)


def parse_prediction(raw: str | None) -> Prediction:
    """Read ``{"action_type", "action", "rationale"}`` from a model's output, tolerating code fences,
    prose around the JSON, a thinking block, single quotes and keys in any case (``"Action Type"``,
    ``"actionType"`` and a bare ``"type"`` are read as ``action_type``). The answer needs an action;
    a missing or unrecognised action type (see :func:`normalize_action_type`) is ``None``, and the
    answer still scores for sem_sim. Unreadable output gives ``Prediction("", "", parsed=False)``.
    """
    text = _UNFINISHED_THINKING.sub("", _UNCLOSED_THINKING.sub("", _THINKING.sub("", raw or "")))
    for candidate in _json_objects(text):
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError:
            try:  # a Python-style dict: {'action': '...', 'rationale': '...'}
                obj = ast.literal_eval(candidate)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
        if isinstance(obj, dict):
            fields = {str(k).strip().lower(): v for k, v in obj.items()}
            if _as_text(fields.get("action")).strip():
                return Prediction(_as_text(fields["action"]).strip(), _as_text(fields.get("rationale")).strip(), True, _action_type(fields))
    # Last resort: quoted fields in an object that never closes (e.g. a truncated generation).
    text = text[text.find("{") :] if "{" in text else ""
    action = re.search(_FIELD.format(name="action"), text, re.IGNORECASE)
    if action:
        rationale = re.search(_FIELD.format(name="rationale"), text, re.IGNORECASE)
        action_type = re.search(_FIELD.format(name=r"action[\s_-]?type"), text, re.IGNORECASE)
        decode = lambda m: json.loads(f'"{m.group(1)}"') if m else ""  # noqa: E731
        try:
            return Prediction(decode(action).strip(), decode(rationale).strip(), True, normalize_action_type(decode(action_type)))
        except json.JSONDecodeError:
            pass
    return Prediction("", "", False)
