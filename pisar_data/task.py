"""The benchmark task, defined once: the prompt for a row, its gold target, and the prediction parser.

Training and eval both build their inputs here, so a model is scored on exactly the prompt it was
trained on.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

SYSTEM_PROMPT = (
    "You simulate how a specific person behaves in an app or on a website. Given who they are, what "
    "they are trying to do and the screen in front of them, say what they do next and why, in their "
    'own voice. Answer with one JSON object and nothing else: {"action": "...", "rationale": "..."}.'
)

# Long view hierarchies / HTML are cut so a prompt stays within a model's context.
MAX_SCREEN_TEXT_CHARS = 2000


def user_prompt(row: dict[str, Any]) -> str:
    screen_text = (row.get("screen_text") or "").strip()
    if len(screen_text) > MAX_SCREEN_TEXT_CHARS:
        screen_text = screen_text[:MAX_SCREEN_TEXT_CHARS].rstrip() + " …"
    return (
        f"Persona: {row['persona']}\n"
        f"Intent: {row['intent']}\n"
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
    """The gold completion: one JSON object with the action and the rationale."""
    return json.dumps({"action": row["action"], "rationale": row["rationale"]}, ensure_ascii=False)


def scored_text(action: str, rationale: str) -> str:
    """The text sem_sim compares: action and rationale together."""
    return f"{action.strip()} because {rationale.strip()}" if rationale.strip() else action.strip()


@dataclass(frozen=True)
class Prediction:
    action: str
    rationale: str
    parsed: bool

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


def parse_prediction(raw: str | None) -> Prediction:
    """Read ``{"action", "rationale"}`` from a model's output, tolerating code fences, prose around
    the JSON, a thinking block, single quotes and keys in any case. Unreadable output gives
    ``Prediction("", "", parsed=False)``.
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
                return Prediction(_as_text(fields["action"]).strip(), _as_text(fields.get("rationale")).strip(), True)
    # Last resort: quoted fields in an object that never closes (e.g. a truncated generation).
    text = text[text.find("{") :] if "{" in text else ""
    action = re.search(_FIELD.format(name="action"), text, re.IGNORECASE)
    if action:
        rationale = re.search(_FIELD.format(name="rationale"), text, re.IGNORECASE)
        decode = lambda m: json.loads(f'"{m.group(1)}"') if m else ""  # noqa: E731
        try:
            return Prediction(decode(action).strip(), decode(rationale).strip(), True)
        except json.JSONDecodeError:
            pass
    return Prediction("", "", False)
