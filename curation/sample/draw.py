"""Draw the sample's screens with PIL: app screens (plus their Rico-style view hierarchy) and web pages.

One layout drives both the PNG and the hierarchy, so the text a model reads in the hierarchy is
exactly the text drawn on the image. Images are palette-quantised and optimised to stay small.
"""

from __future__ import annotations

import io
import json
import textwrap

from PIL import Image, ImageDraw, ImageFont

from curation.sample.catalog import App, Screen

WIDTH, HEIGHT = 360, 640  # drawn size; Rico bounds live in 1440x2560, i.e. 4x
RICO_SCALE = 4
STATUS, APPBAR, NAV = 24, 56, 56
MARGIN = 16
_FONTS: dict[int, ImageFont.FreeTypeFont] = {}


def font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's bundled font: the same glyphs on every machine, so the PNGs are reproducible.
    if size not in _FONTS:
        _FONTS[size] = ImageFont.load_default(size=size)
    return _FONTS[size]


def png_bytes(image: Image.Image, colors: int = 32) -> bytes:
    buffer = io.BytesIO()
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _wrap(text: str, size: int, width: int) -> list[str]:
    chars = max(10, int(width / (size * 0.52)))
    return textwrap.wrap(text, chars) or [""]


def package_of(app: App) -> str:
    return app.app_id if app.store == "google_play" else "com.example." + app.name.split()[0].lower()


# --- app screens -------------------------------------------------------------------------------

def layout(screen: Screen) -> list[dict]:
    """Place each widget: a list of boxes {kind, box, text, hint, rid, desc, clickable, lines, …}."""
    boxes = [{"kind": "appbar", "box": (0, STATUS, WIDTH, STATUS + APPBAR), "text": screen.title}]
    y = STATUS + APPBAR + 12
    inner = WIDTH - 2 * MARGIN
    for widget in screen.widgets:
        kind, args = widget[0], widget[1:]
        if kind == "nav":
            labels = args[0]
            w = WIDTH // len(labels)
            for i, label in enumerate(labels):
                boxes.append({"kind": "tab", "box": (i * w, HEIGHT - NAV, (i + 1) * w, HEIGHT), "text": label,
                              "rid": f"tab_{label.lower()}", "clickable": True})
            continue
        if kind in ("text", "heading", "error"):
            size = {"text": 13, "heading": 20, "error": 14}[kind]
            lines = _wrap(args[0], size, inner - (24 if kind == "error" else 0))
            h = len(lines) * (size + 5) + (24 if kind == "error" else 8)
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": args[0], "lines": lines,
                          "size": size, "rid": "error_message" if kind == "error" else None})
        elif kind == "input":
            hint, rid, value = (*args, None)[:3]
            h = 48
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": value, "hint": hint,
                          "rid": rid, "clickable": True})
        elif kind in ("button", "link"):
            h = 46 if kind == "button" else 30
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": args[0], "rid": args[1],
                          "clickable": True})
        elif kind == "toggle":
            h = 44
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": args[0], "rid": args[1],
                          "on": args[2], "clickable": True})
        elif kind == "row":
            h = 44
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": args[0], "value": args[1],
                          "rid": args[2], "clickable": True})
        elif kind == "card":
            title, lines = args
            h = 30 + 19 * len(lines) + 8
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "text": title, "lines": list(lines)})
        elif kind == "image":
            h = 150
            boxes.append({"kind": kind, "box": (MARGIN, y, WIDTH - MARGIN, y + h), "desc": args[0]})
        else:
            raise ValueError(f"unknown widget kind {kind!r}")
        y += h + 10
    return boxes


def render_screen(app: App, screen: Screen) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    d = ImageDraw.Draw(image)
    accent = app.color
    d.rectangle((0, 0, WIDTH, STATUS), fill=tuple(max(0, c - 40) for c in accent))
    d.text((WIDTH - 60, 5), "12:30", fill="white", font=font(12))
    for b in layout(screen):
        x0, y0, x1, y1 = b["box"]
        kind = b["kind"]
        if kind == "appbar":
            d.rectangle(b["box"], fill=accent)
            d.text((MARGIN, y0 + 16), b["text"], fill="white", font=font(20))
        elif kind in ("text", "heading"):
            for i, line in enumerate(b["lines"]):
                d.text((x0, y0 + 4 + i * (b["size"] + 5)), line, fill=(30, 30, 30) if kind == "heading" else (90, 90, 90),
                       font=font(b["size"]))
        elif kind == "error":
            d.rounded_rectangle(b["box"], radius=8, fill=(253, 236, 236), outline=(200, 40, 40))
            for i, line in enumerate(b["lines"]):
                d.text((x0 + 12, y0 + 12 + i * (b["size"] + 5)), line, fill=(170, 20, 20), font=font(b["size"]))
        elif kind == "input":
            d.rounded_rectangle(b["box"], radius=6, outline=(150, 150, 150), width=2)
            shown, colour = (b["text"], (20, 20, 20)) if b["text"] else (b["hint"], (140, 140, 140))
            d.text((x0 + 12, y0 + 15), shown, fill=colour, font=font(15))
        elif kind == "button":
            d.rounded_rectangle(b["box"], radius=22, fill=accent)
            w = d.textlength(b["text"], font=font(16))
            d.text(((x0 + x1 - w) / 2, y0 + 14), b["text"], fill="white", font=font(16))
        elif kind == "link":
            d.text((x0, y0 + 7), b["text"], fill=accent, font=font(15))
        elif kind == "toggle":
            d.text((x0, y0 + 13), b["text"], fill=(30, 30, 30), font=font(15))
            d.rounded_rectangle((x1 - 44, y0 + 12, x1, y0 + 32), radius=10, fill=accent if b["on"] else (190, 190, 190))
            knob = x1 - 20 if b["on"] else x1 - 42
            d.ellipse((knob, y0 + 13, knob + 18, y0 + 31), fill="white")
        elif kind == "row":
            d.line((x0, y1, x1, y1), fill=(225, 225, 225))
            d.text((x0, y0 + 13), b["text"], fill=(30, 30, 30), font=font(15))
            w = d.textlength(b["value"], font=font(14))
            d.text((x1 - w, y0 + 14), b["value"], fill=(100, 100, 100), font=font(14))
        elif kind == "card":
            d.rounded_rectangle(b["box"], radius=10, fill=(244, 246, 250), outline=(215, 220, 230))
            d.text((x0 + 12, y0 + 8), b["text"], fill=(30, 30, 30), font=font(16))
            for i, line in enumerate(b["lines"]):
                d.text((x0 + 12, y0 + 32 + i * 19), line, fill=(70, 70, 70), font=font(14))
        elif kind == "image":
            d.rectangle(b["box"], fill=(226, 232, 222))
            for i in range(0, x1 - x0, 40):  # map-like grid
                d.line((x0 + i, y0, x0 + i + 60, y1), fill=(255, 255, 255), width=3)
            d.ellipse(((x0 + x1) / 2 - 8, (y0 + y1) / 2 - 8, (x0 + x1) / 2 + 8, (y0 + y1) / 2 + 8), fill=accent)
        elif kind == "tab":
            d.line((0, y0, WIDTH, y0), fill=(220, 220, 220))
            w = d.textlength(b["text"], font=font(13))
            d.text(((x0 + x1 - w) / 2, y0 + 20), b["text"], fill=(80, 80, 80), font=font(13))
    return png_bytes(image)


def screen_text(screen: Screen) -> str:
    """The visible text of a screen, top to bottom (what a ``.txt`` sidecar holds)."""
    lines = []
    for b in layout(screen):
        if b["kind"] == "row":
            lines.append(f"{b['text']}  {b['value']}")
        elif b["kind"] == "card":
            lines += [b["text"], *b["lines"]]
        elif b["kind"] == "input":
            lines.append(b["text"] or b["hint"])
        elif b["kind"] == "toggle":
            lines.append(f"{b['text']}  {'On' if b['on'] else 'Off'}")
        elif b.get("text"):
            lines.append(b["text"])
    return "\n".join(lines) + "\n"


_VIEW_CLASSES = {
    "appbar": "android.widget.Toolbar", "text": "android.widget.TextView", "heading": "android.widget.TextView",
    "error": "android.widget.TextView", "input": "android.widget.EditText", "button": "android.widget.Button",
    "link": "android.widget.TextView", "toggle": "android.widget.Switch", "row": "android.widget.LinearLayout",
    "card": "android.widget.LinearLayout", "image": "android.widget.ImageView", "tab": "android.widget.TextView",
}
_ANCESTORS = {
    "android.widget.TextView": ["android.view.View", "java.lang.Object"],
    "android.widget.Button": ["android.widget.TextView", "android.view.View", "java.lang.Object"],
    "android.widget.EditText": ["android.widget.TextView", "android.view.View", "java.lang.Object"],
    "android.widget.Switch": ["android.widget.CompoundButton", "android.widget.Button", "android.widget.TextView",
                              "android.view.View", "java.lang.Object"],
    "android.widget.ImageView": ["android.view.View", "java.lang.Object"],
}
_GROUP_ANCESTORS = ["android.view.ViewGroup", "android.view.View", "java.lang.Object"]


def _node(cls: str, box, parent_box, *, text=None, desc=None, rid=None, package=None, clickable=False,
          children=None, pointer: int) -> dict:
    bounds = [int(v * RICO_SCALE) for v in box]
    origin = [int(v * RICO_SCALE) for v in parent_box[:2]]
    node = {
        "class": cls, "ancestors": _ANCESTORS.get(cls, _GROUP_ANCESTORS), "bounds": bounds,
        "rel-bounds": [bounds[0] - origin[0], bounds[1] - origin[1], bounds[2] - origin[0], bounds[3] - origin[1]],
        "clickable": clickable, "long-clickable": False, "focusable": clickable, "focused": False, "enabled": True,
        "selected": False, "pressed": "not_pressed", "scrollable-horizontal": False, "scrollable-vertical": False,
        "adapter-view": False, "abs-pos": True, "draw": True, "visibility": "visible", "visible-to-user": True,
        "content-desc": [desc], "pointer": f"{pointer:07x}",
    }
    if rid is not None:
        node["resource-id"] = rid
    if package is not None:
        node["package"] = package
    if text is not None:
        node["text"] = text
    if children is not None:
        node["children"] = children
    return node


def hierarchy(app: App, screen: Screen) -> dict:
    """A Rico-style view hierarchy (activity_name, activity.root, is_keyboard_deployed, request_id)."""
    package = package_of(app)
    pointer = iter(range(0xA3A3F02, 0xFFFFFFF, 0x1D37))
    content_box = (0, STATUS, WIDTH, HEIGHT)
    widgets = []
    for b in layout(screen):
        cls = _VIEW_CLASSES[b["kind"]]
        rid = f"{package}:id/{b['rid']}" if b.get("rid") else None
        common = {"package": package, "pointer": next(pointer)}
        if b["kind"] == "appbar":
            title = _node("android.widget.TextView", (MARGIN, b["box"][1] + 14, WIDTH - MARGIN, b["box"][3] - 14), b["box"],
                          text=b["text"], **common)
            widgets.append(_node(cls, b["box"], content_box, rid=f"{package}:id/toolbar", children=[title],
                                 package=package, pointer=next(pointer)))
        elif b["kind"] in ("row", "card"):
            x0, y0, x1, y1 = b["box"]
            lines = [b["value"]] if b["kind"] == "row" else b["lines"]
            kids = [_node("android.widget.TextView", (x0, y0, x1, y0 + 28), b["box"], text=b["text"], **common)]
            kids += [_node("android.widget.TextView", (x0, y0 + 28 + 19 * i, x1, y0 + 47 + 19 * i), b["box"], text=line,
                           package=package, pointer=next(pointer)) for i, line in enumerate(lines)]
            widgets.append(_node(cls, b["box"], content_box, rid=rid, clickable=b.get("clickable", False), children=kids,
                                 package=package, pointer=next(pointer)))
        elif b["kind"] == "input":
            widgets.append(_node(cls, b["box"], content_box, text=b["text"] or "", desc=b["hint"], rid=rid, clickable=True,
                                 **common))
        elif b["kind"] == "image":
            widgets.append(_node(cls, b["box"], content_box, desc=b["desc"], rid=f"{package}:id/map", **common))
        else:
            widgets.append(_node(cls, b["box"], content_box, text=b["text"], rid=rid,
                                 clickable=b.get("clickable", False), **common))
    content = _node("android.widget.FrameLayout", content_box, (0, 0), rid="android:id/content", package="android",
                    pointer=next(pointer), children=[_node("android.widget.LinearLayout", content_box, content_box,
                                                           package=package, pointer=next(pointer), children=widgets)])
    status = _node("android.view.View", (0, 0, WIDTH, STATUS), (0, 0), rid="android:id/statusBarBackground",
                   package="android", pointer=next(pointer))
    root = _node("com.android.internal.policy.PhoneWindow$DecorView", (0, 0, WIDTH, HEIGHT), (0, 0),
                 pointer=next(pointer), children=[content, status])
    root["ancestors"] = ["android.widget.FrameLayout", *_GROUP_ANCESTORS]
    return {
        "activity_name": f"{package}/{package}.{screen.activity}",
        "activity": {"root": root, "added_fragments": [], "active_fragments": []},
        "is_keyboard_deployed": any(w[0] == "input" and len(w) > 3 for w in screen.widgets),
        "request_id": str(100 + sum(map(ord, app.app_id + screen.stem)) % 900),
    }


def hierarchy_json(app: App, screen: Screen) -> str:
    # Rico's files were written by Python 2's json with indent=2 (", " separators).
    return json.dumps(hierarchy(app, screen), indent=2, separators=(", ", ": "), ensure_ascii=False) + "\n"


# --- web pages (OPeRA screenshots) --------------------------------------------------------------

WEB_WIDTH, WEB_HEIGHT = 640, 400  # half of the 1280x800 browser window in window_size


def _block_height(block: tuple) -> int:
    kind = block[0]
    if kind == "text":
        return 18 * len(_wrap(block[1], 13, WEB_WIDTH - 32)) + 4
    return {"heading": 28, "product": 62, "button": 38, "filter": 20}[kind]


def layout_page(page: dict) -> list[tuple[tuple, tuple[int, int, int, int]]]:
    """(block, box) for each block that fits on the screenshot. A block is (kind, text, …, semantic id)."""
    placed, y = [], 52
    for block in page["blocks"]:
        h = _block_height(block)
        if y + h > WEB_HEIGHT:
            break
        width = {"button": int(font(14).getlength(block[1])) + 28, "filter": 32 + int(font(13).getlength(block[1])),
                 "product": WEB_WIDTH - 32}.get(block[0], WEB_WIDTH - 32)
        placed.append((block, (16, y, 16 + width, y + h - 8)))
        y += h
    return placed


def page_targets(page: dict) -> dict[str, tuple[int, int, int, int]]:
    """Semantic id -> box (in window coordinates) of the blocks a click can land on."""
    return {block[-1]: tuple(2 * v for v in box) for block, box in layout_page(page) if block[-1]}


def render_page(page: dict, mouse: dict | None = None) -> bytes:
    """A shopping page: header with the search box, then its blocks; the mouse pointer is drawn where
    the action clicked (``mouse`` is in window coordinates, twice the drawn size)."""
    image = Image.new("RGB", (WEB_WIDTH, WEB_HEIGHT), "white")
    d = ImageDraw.Draw(image)
    d.rectangle((0, 0, WEB_WIDTH, 40), fill=(19, 25, 33))
    d.text((12, 11), "amazon", fill="white", font=font(18))
    d.rounded_rectangle((110, 8, 520, 32), radius=4, fill="white")
    d.text((118, 13), page.get("query") or "Search Amazon", fill=(60, 60, 60), font=font(13))
    d.text((540, 13), f"Cart ({page.get('cart', 0)})", fill="white", font=font(13))
    for block, (x0, y, x1, y1) in layout_page(page):
        kind, text = block[0], block[1]
        if kind == "heading":
            d.text((x0, y), text, fill=(15, 17, 17), font=font(18))
        elif kind == "text":
            for i, line in enumerate(_wrap(text, 13, WEB_WIDTH - 32)):
                d.text((x0, y + 18 * i), line, fill=(60, 60, 60), font=font(13))
        elif kind == "product":
            price, stars = block[2], block[3]
            d.rectangle((x0, y, x0 + 60, y + 52), fill=(235, 235, 235))
            d.text((x0 + 72, y), text, fill=(0, 85, 170), font=font(14))
            d.text((x0 + 72, y + 19), stars, fill=(200, 120, 0), font=font(12))
            d.text((x0 + 72, y + 35), price, fill=(15, 17, 17), font=font(14))
        elif kind == "button":
            d.rounded_rectangle((x0, y, x1, y + 30), radius=15, fill=(255, 216, 20))
            d.text((x0 + 14, y + 8), text, fill=(15, 17, 17), font=font(14))
        elif kind == "filter":
            d.rectangle((x0, y + 2, x0 + 10, y + 12), outline=(90, 90, 90))
            d.text((x0 + 16, y), text, fill=(40, 40, 40), font=font(13))
    if mouse:
        x, y = mouse["x"] / 2, mouse["y"] / 2
        d.polygon([(x, y), (x, y + 16), (x + 4, y + 12), (x + 8, y + 19), (x + 10, y + 18), (x + 6, y + 11), (x + 11, y + 11)],
                  fill="black", outline="white")
    return png_bytes(image, colors=24)
