"""The PiSAR row, declared once.

`FEATURES` is the contract (``datasets.Features``); `ARROW_SCHEMA` and `POLARS_SCHEMA` are derived
from it, so the build, the loader, training and eval cannot drift apart.
"""

from __future__ import annotations

import datasets
import polars as pl

SOURCES = ("google_play", "app_store", "opera")
SPLITS = ("train", "validation", "test")

# One persona vocabulary for every source. Values are the only ones a row may carry (or null).
PERSONA_VOCABULARY: dict[str, tuple[str, ...]] = {
    "age_group": ("18-29", "30-49", "50-64", "65+"),
    "gender": ("man", "woman", "other"),
    "education": ("high school or less", "some college", "college graduate", "postgraduate"),
    "income": ("under $30k", "$30k-$75k", "$75k-$150k", "$150k+"),
    "region": ("Northeast", "Midwest", "South", "West"),
    "race_ethnicity": ("White", "Black", "Hispanic", "Asian", "Other"),
    "party": ("Republican", "Democrat", "Independent", "Other"),
    "internet_use": ("internet user", "non-user"),
    "social_media_use": ("social media user", "non-user"),
    "employment": ("employed", "student", "not employed", "retired"),
}
PERSONA_ATTRIBUTES = tuple(PERSONA_VOCABULARY)

# Closed action vocabulary. Review rows use the first group, OPeRA rows the second.
ACTION_TYPES: dict[str, str] = {
    # app-store reviews
    "uninstall": "removed or is removing the app",
    "switch_app": "moved to, or is moving to, another app or service",
    "stop_using": "stopped or reduced using the app without saying it was removed",
    "pay": "paid, subscribed or made an in-app purchase",
    "cancel": "cancelled a subscription or asked for a refund",
    "contact_support": "contacted support or the developer",
    "update": "updated, reinstalled or changed a setting to make the app work",
    "recommend": "recommends the app to others",
    "keep_using": "keeps using the app despite or because of what the review describes",
    "rate": "rated the app; the star rating is the only action the review states",
    # OPeRA shopping sessions
    "search": "searched or clicked a suggested search term",
    "open_product": "opened a product page or image",
    "add_to_cart": "added to cart, bought now, checked out or subscribed",
    "filter": "applied a filter or sort",
    "select_option": "chose a product option or quantity",
    "read_reviews": "opened product reviews",
    "navigate": "used navigation, pagination, the cart sidebar or another control",
    "type_text": "typed text into a field",
    "end_session": "ended the shopping session",
}

_string = datasets.Value("string")

FEATURES = datasets.Features(
    {
        "id": _string,
        "source": _string,
        "context_id": _string,
        "context_name": _string,
        "persona": _string,
        "persona_attributes": {name: _string for name in PERSONA_ATTRIBUTES},
        "persona_source": _string,
        "intent": _string,
        "screen": datasets.Image(),
        "screen_text": _string,
        "screen_source": _string,
        "action": _string,
        "action_type": _string,
        "rationale": _string,
        "anchor_score": datasets.Value("float32"),
        "anchor_method": _string,
        "rating": datasets.Value("int32"),
        "lang": _string,
        "created_at": datasets.Value("timestamp[us]"),
    }
)

ARROW_SCHEMA = FEATURES.arrow_schema
POLARS_SCHEMA: dict[str, pl.DataType] = dict(pl.from_arrow(ARROW_SCHEMA.empty_table()).schema)
COLUMNS = tuple(FEATURES)

# Fields that must never appear in a row or a published file (see DESIGN.md).
FORBIDDEN_FIELDS = (
    "userName",
    "userImage",
    "reviewId",
    "QKEY",
    "user_id",
    "email",
    "phone",
)
