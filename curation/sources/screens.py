"""Screens a user supplies for an app or site: images plus, optionally, their visible text.

For each image (png/jpg/jpeg/webp) in a folder, the text comes from a file with the same stem:
a Rico-style view-hierarchy ``.json`` (visible text = ``text`` and ``content-desc`` of nodes that
are visible to the user and have non-empty bounds, in reading order, deduplicated), else a
``.txt`` sidecar, else nothing. A hierarchy that cannot hold all the visible text is marked
"view_hierarchy_partial" (the build also OCRs those screens): one of a popup or dialog window
(Rico records only the focused window, while the screenshot shows the screen behind it too) or
one with a WebView (web content has no text nodes). Images are validated and normalized with
pillow and stored by content hash. Table written: ``screens`` (id context_id:sha256).
"""

from __future__ import annotations

from pathlib import Path

from curation.snapshot import Pull, PullResult, tool_versions
from curation.sources import ImageConfig, normalize_image, screen_image_record
from pisar_data.errors import UserError
from pisar_data.user_files import read_bytes, read_json, read_text

SOURCE = "screens"
TOOLS = ("pillow",)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _texts(node) -> list[str]:
    value = node.get("content-desc")
    values = value if isinstance(value, list) else [value]
    return [node.get("text"), *values]


def hierarchy_text(hierarchy: dict) -> str:
    """Visible text of a Rico view hierarchy, top-to-bottom then left-to-right, one line per string."""
    found = []
    stack = [hierarchy.get("activity", {}).get("root") or hierarchy.get("root") or hierarchy]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        bounds = node.get("bounds") or [0, 0, 0, 0]
        visible = node.get("visible-to-user") is True and len(bounds) == 4 and bounds[2] > bounds[0] and bounds[3] > bounds[1]
        if visible:
            found += [(bounds[1], bounds[0], " ".join(t.split())) for t in _texts(node) if isinstance(t, str) and t.strip()]
        stack.extend(node.get("children") or [])
    lines = []
    for _, _, text in sorted(found, key=lambda item: (item[0], item[1])):
        if text not in lines:
            lines.append(text)
    return "\n".join(lines)


RICO_SCREEN = (1440, 2560)  # Rico bounds are in this space whatever the screenshot's size
MIN_WINDOW_SHARE = 0.9  # a root window covering less of the screen is a popup or dialog


def hierarchy_is_partial(hierarchy: dict) -> bool:
    """True when the hierarchy is of a popup/dialog window or contains a WebView (see the module docstring)."""
    root = hierarchy.get("activity", {}).get("root") or hierarchy.get("root") or hierarchy
    left, top, right, bottom = (root.get("bounds") or [0, 0, *RICO_SCREEN])[:4]
    if (right - left) * (bottom - top) < MIN_WINDOW_SHARE * RICO_SCREEN[0] * RICO_SCREEN[1]:
        return True
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "WebView" in str(node.get("class") or "") or any("WebView" in str(a) for a in node.get("ancestors") or ()):
                return True
            stack.extend(node.get("children") or [])
    return False


def screen_text(image: Path) -> tuple[str, str]:
    """(text, where it came from: "view_hierarchy" | "view_hierarchy_partial" | "sidecar_text" | "none") for an image file."""
    hierarchy = image.with_suffix(".json")
    if hierarchy.is_file():
        data = read_json(hierarchy, "a Rico-style view hierarchy (JSON with activity.root)")
        try:
            return hierarchy_text(data), "view_hierarchy_partial" if hierarchy_is_partial(data) else "view_hierarchy"
        except (ValueError, AttributeError, TypeError) as error:
            raise UserError(f"{hierarchy}: not a Rico-style view hierarchy ({error}); expected JSON with activity.root") from None
    sidecar = image.with_suffix(".txt")
    if sidecar.is_file():
        return read_text(sidecar, "the screen's visible text as UTF-8").strip(), "sidecar_text"
    return "", "none"


def import_dir(directory: str | Path, raw_dir: str | Path, context_id: str) -> PullResult:
    """Import every screen image of ``directory`` (sorted by name) for ``context_id``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory}: not a folder; expected a folder of screen images (png/jpg/webp)")
    if not context_id or not context_id.strip():
        raise UserError("--context: expected the app package, App Store id or site the screens belong to")
    images = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise UserError(f"{directory}: no screen images; expected .png, .jpg or .webp files")
    prepared = [(path, normalize_image(read_bytes(path, "a screen image"), str(path), ImageConfig()), *screen_text(path)) for path in images]
    with Pull.open(raw_dir, SOURCE, {"from_dir": str(directory.resolve()), "context_id": context_id}, tool_versions(*TOOLS)) as pull:
        records = []
        for path, image, text, text_source in prepared:
            records.append({**screen_image_record(pull, context_id, image), "screen_text": text, "text_source": text_source,
                            "original_name": path.name})
        pull.add("screens", records)
        return pull.finish()
