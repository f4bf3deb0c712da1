"""The optional C extensions (setup.py) in the tests: a test of one needs it built, which
``./dev test`` does (CI fails without it; elsewhere the test is skipped)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def built(module: object, what: str) -> object:
    """``module`` (None where it was not built), or the test fails (CI) or is skipped."""
    if module is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not built; ./dev test builds it (gcc)")
        pytest.skip(f"{what} is not built (no compiler at install)")
    return module


def each_build(
    request: pytest.FixtureRequest, module: object, what: str, target: object, name: str,
    python: object,
) -> Iterator[str]:  # fmt: skip
    """A fixture's body over both builds of some C books: ``request.param`` is "c..." (as
    built; skipped where ``module`` is None: its own test says so in CI) or "python..."
    (``target.name``, the books' factory, patched to ``python`` while the fixture lasts)."""
    param: str = request.param
    if param.startswith("c") and module is None:
        pytest.skip(f"{what} is not built (its own tests say so in CI)")
    with pytest.MonkeyPatch.context() as patch:
        if param.startswith("python"):
            patch.setattr(target, name, python)
        yield param
