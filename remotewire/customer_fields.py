"""What a customer fills in before waiting for an agent: the one definition of the rules.

The customer app checks the form with these before it registers, and the server checks the
same again (it never trusts the app); each side words its own message around the keys.
An app's field configuration, as the server stores and serves it::

    {"name": {"shown": true, "required": true}, "email": {...}, "phone": {...},
     "organization": {...}, "custom": [{"key": "k", "label": "L", "required": false}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

STANDARD_FIELDS: Final = ("name", "email", "phone", "organization")
"""The standard customer fields, in the order forms show them."""
MAX_FIELD_LENGTH: Final = 200


def missing_fields(required: Iterable[str], values: Mapping[str, str]) -> list[str]:
    """The required keys left empty (whitespace counts as empty), in ``required``'s order."""
    return [key for key in required if not (values.get(key) or "").strip()]


def email_looks_valid(text: str) -> bool:
    """A loose check that catches typos (``name@``, ``name.com``), not a full RFC parse."""
    local, at, domain = text.strip().rpartition("@")
    return bool(at and local and "." in domain.strip(".") and " " not in text.strip())


def shown_standard(config: Mapping[str, Any]) -> list[str]:
    """The standard fields an app's configuration shows."""
    return [key for key in STANDARD_FIELDS if (config.get(key) or {}).get("shown")]


def required_standard(config: Mapping[str, Any]) -> list[str]:
    """The standard fields an app's configuration requires."""
    return [key for key in STANDARD_FIELDS if (config.get(key) or {}).get("required")]


def required_custom(config: Mapping[str, Any]) -> list[str]:
    """The custom field keys an app's configuration requires."""
    return [str(c["key"]) for c in config.get("custom") or [] if c.get("required")]
