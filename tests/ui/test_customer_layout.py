"""The customer window's look with everything shown at once (pt_BR, the longer texts):
the ID and the password keep their whole height (the banner and the wrong-password
notice squeezed them to half, "g" and "q" alike); the banner's frame alone is yellow
(its button looked like a label); a wrong password withholds the dead password until the
new one arrives; the form cannot exceed the server's field length."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import ErrorCode, Registration
from remoteapp.ui import i18n
from remoteapp.ui.connect_refusals import form_refusal_text
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets
from remotewire.customer_fields import MAX_FIELD_LENGTH

BANNER_YELLOW = QtGui.QColor("#fff3cd")
BANNER_BORDER = QtGui.QColor("#e0b000")


@pytest.fixture
def portuguese(qapp: QtWidgets.QApplication) -> Iterator[None]:
    _, translators = i18n.install(qapp, "pt_BR")
    yield
    i18n.uninstall(qapp, translators)


@pytest.fixture
def window(qtbot: QtBot) -> CustomerWindow:
    """Registered (no server: the form's fields keep it from registering by itself)."""
    profile = load_profile().with_overrides(server_url="http://127.0.0.1:9", app_id="demo")
    window = CustomerWindow(profile)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.registered.emit(Registration("599749790", "tzjbqasdgq", "key", 30.0))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1)
    return window


def visible(widget: QtWidgets.QWidget, window: QtWidgets.QWidget) -> QtCore.QRect:
    """The part of ``widget`` its ancestors up to ``window`` do not clip (in ``window``)."""
    seen = QtCore.QRect(widget.mapTo(window, QtCore.QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        seen &= QtCore.QRect(parent.mapTo(window, QtCore.QPoint(0, 0)), parent.size())
        parent = parent.parentWidget()
    return seen & window.rect()


def values_fit(window: CustomerWindow) -> None:
    """Each big value shows its font's whole height (a squeezed row clipped it)."""
    for big in (window.id_value, window.password_value):
        needed = QtGui.QFontMetrics(big.value.font()).height()
        shown = visible(big.value, window).height()
        assert shown >= needed, (big.value.text(), shown, needed)


@pytest.mark.display
def test_the_big_values_keep_their_height_with_banner_and_notice(
    portuguese: None, window: CustomerWindow, qtbot: QtBot
) -> None:
    window.agent_joined.emit("Demo Agent")
    window.secured.emit("176837")
    window.wrong_password.emit()
    window.password_changed.emit("gqgqgqgqgq")
    qtbot.waitUntil(lambda: window.banner.isVisible() and window.notice.isVisible())
    qtbot.waitUntil(lambda: values_fit(window))
    for label in (window.notice, window.banner_text, window.code_label, window.status):
        assert visible(label, window).height() >= label.heightForWidth(label.width())
    screen = window.screen().availableGeometry()
    assert screen.contains(window.frameGeometry()), (window.frameGeometry(), screen)
    window.resize(window.width() - 80, window.height())  # narrower: the notices wrap more
    qtbot.waitUntil(lambda: values_fit(window))


@pytest.mark.display
def test_the_banner_is_yellow_but_its_button_is_a_button(
    window: CustomerWindow, qtbot: QtBot
) -> None:
    window.agent_joined.emit("Demo Agent")
    qtbot.waitUntil(window.banner.isVisible)
    shot = window.banner.grab().toImage()
    ratio = window.banner.devicePixelRatioF()

    def pixel(widget: QtWidgets.QWidget, x: int, y: int) -> QtGui.QColor:
        at = widget.mapTo(window.banner, widget.rect().topLeft())
        return shot.pixelColor(int((at.x() + x) * ratio), int((at.y() + y) * ratio))

    assert pixel(window.banner, 0, 0) == BANNER_BORDER  # the frame keeps its style
    assert pixel(window.banner, 4, 4) == BANNER_YELLOW
    assert pixel(window.banner_text, 0, 0) == BANNER_YELLOW  # no box round the text
    button = window.end_button
    assert pixel(button, button.width() // 2, 2) not in (BANNER_YELLOW, BANNER_BORDER)


@pytest.mark.display
def test_a_wrong_password_withholds_the_old_one_until_the_new_one_comes(
    window: CustomerWindow, qtbot: QtBot
) -> None:
    old = window.password_value
    window.wrong_password.emit()
    qtbot.waitUntil(window.notice.isVisible)
    assert "A new password is coming" in window.notice.text()
    assert "changed" not in window.notice.text()  # not before it has
    assert old.withheld and old.value.text() == "—" and not old.value.isEnabled()
    assert not old.copy.isEnabled()
    window.password_changed.emit("tzjbqasdgq")  # a poll before the server changed it
    qtbot.waitUntil(lambda: not old.withheld)
    assert old.value.text() == "tzjbqasdgq"
    assert "Read your password to your agent again" in window.notice.text()

    window.wrong_password.emit()
    qtbot.waitUntil(lambda: old.withheld)
    window.password_changed.emit("newpass123")
    qtbot.waitUntil(lambda: old.value.text() == "newpass123")
    assert old.copy.isEnabled() and old.value.isEnabled()
    assert "Your password has changed: read the new one" in window.notice.text()


def test_the_form_keeps_to_the_servers_length(qtbot: QtBot) -> None:
    profile = load_profile().with_overrides(server_url="http://127.0.0.1:9", app_id="demo")
    window = CustomerWindow(profile)
    qtbot.addWidget(window)
    for edit in window.inputs.values():
        assert edit.maxLength() == MAX_FIELD_LENGTH
    qtbot.keyClicks(window.inputs["name"], "a" * (MAX_FIELD_LENGTH + 50))
    assert window.inputs["name"].text() == "a" * MAX_FIELD_LENGTH


def test_form_refusals_are_said_by_their_code(portuguese: None) -> None:
    said = {
        code: form_refusal_text(code)
        for code in (ErrorCode.INVALID_INPUT, ErrorCode.MISSING_FIELDS, None, "newer-code")
    }
    assert str(MAX_FIELD_LENGTH) in said[ErrorCode.INVALID_INPUT]
    assert said[None] == said["newer-code"]
    assert len(set(said.values())) == 3
    assert all("servidor" in text or "suporte" in text for text in said.values())
