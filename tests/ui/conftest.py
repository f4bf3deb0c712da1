"""In-process Qt for UI tests: a QApplication on its own Xvfb (the agent's display)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from remoteapp.ui.qt import QtWidgets
from tests import displays


@pytest.fixture(scope="session")
def agent_display() -> Iterator[str]:
    with displays.xvfb(1920, 1200, until_exit=True) as display:
        yield display


@pytest.fixture(scope="session")
def qapp(agent_display: str) -> Iterator[QtWidgets.QApplication]:
    """pytest-qt's application, created on the agent's display (xcb, not offscreen)."""
    os.environ["DISPLAY"] = agent_display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["remoteapp-tests"])
    assert isinstance(app, QtWidgets.QApplication)
    yield app
