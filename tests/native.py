"""The optional C extensions (setup.py) in the tests: a test of one needs it built, which
``./dev test`` does (CI fails without it; elsewhere the test is skipped)."""

from __future__ import annotations

import os

import pytest


def built(module: object, what: str) -> object:
    """``module`` (None where it was not built), or the test fails (CI) or is skipped."""
    if module is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not built; ./dev test builds it (gcc)")
        pytest.skip(f"{what} is not built (no compiler at install)")
    return module
