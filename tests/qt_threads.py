"""The fixture every directory that runs Qt in the test process uses (its conftest imports
it, so it is autouse there and nowhere else)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def gc_on_gui_thread() -> Iterator[None]:
    """As the app does (``qt.collect_garbage_on_gui_thread``): no cyclic GC on worker
    threads, where a collection would destroy Qt objects off the GUI thread (a CI run once
    died so, in tests/distribution's update UI); collect after each test, on the main
    thread."""
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()
