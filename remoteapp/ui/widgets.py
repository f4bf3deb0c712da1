"""Small shared widgets: the brand header with the agent icon (and the insecure-connection
warning under it), copyable big values, the status line; a window's height fitted to its
word-wrapped labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from remoteapp.net import tls
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal


def person_icon(size: int = 28) -> QtGui.QIcon:
    """A drawn head-and-shoulders icon (no icon theme needed on any OS)."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setBrush(QtGui.QColor(60, 90, 140))
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.drawEllipse(QtCore.QRectF(size * 0.3, size * 0.08, size * 0.4, size * 0.4))
    painter.drawRoundedRect(QtCore.QRectF(size * 0.15, size * 0.55, size * 0.7, size * 0.4), 6, 6)
    painter.end()
    return QtGui.QIcon(pixmap)


class InsecureNotice(QtWidgets.QLabel):
    """A warning that the profile allows unencrypted connections (``insecure: true``)."""

    def __init__(self) -> None:
        super().__init__(
            tr("Insecure connections allowed: this app may talk to its server without encryption.")
        )
        self.setObjectName("insecure-notice")
        self.setWordWrap(True)
        self.setStyleSheet(
            "QLabel { background: #fdecea; color: #8a1c12; border: 1px solid #e0a39b;"
            " border-radius: 4px; padding: 4px 8px; font-weight: bold; }"
        )


class BrandHeader(QtWidgets.QWidget):
    """Logo and title of the company's app; the agent icon in the top-right corner; under
    them ``InsecureNotice`` when the installed TLS policy allows plain connections (both
    windows have this header, so both show it)."""

    agent_clicked = Signal()

    def __init__(self, title: str, logo: Path | None) -> None:
        super().__init__()
        outer = QtWidgets.QVBoxLayout(self)
        layout = QtWidgets.QHBoxLayout()
        outer.addLayout(layout)
        if tls.current().insecure:
            self.insecure_notice = InsecureNotice()
            outer.addWidget(self.insecure_notice)
        if logo is not None and logo.is_file():
            picture = QtWidgets.QLabel()
            picture.setPixmap(
                QtGui.QPixmap(str(logo)).scaledToHeight(
                    48, QtCore.Qt.TransformationMode.SmoothTransformation
                )
            )
            layout.addWidget(picture)
        self.title = QtWidgets.QLabel(title)
        font = self.title.font()
        font.setPointSize(font.pointSize() + 6)
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title, 1)
        self.agent_button = QtWidgets.QToolButton()
        self.agent_button.setObjectName("agent-login")
        self.agent_button.setIcon(person_icon())
        self.agent_button.setIconSize(QtCore.QSize(28, 28))
        self.agent_button.setToolTip(tr("Agent login"))
        self.agent_button.setAutoRaise(True)
        self.agent_button.clicked.connect(self.agent_clicked)
        layout.addWidget(self.agent_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)


class BigValue(QtWidgets.QWidget):
    """A caption over a large, selectable value with a copy button. The value keeps its
    font's whole height (a squeezed row cut "g" and "q" apart); a value no longer good
    can be withheld (greyed out, not copyable) until its successor arrives."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        layout = QtWidgets.QGridLayout(self)
        layout.addWidget(QtWidgets.QLabel(caption), 0, 0, 1, 2)
        self.value = QtWidgets.QLabel("—")
        self.value.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QtGui.QFont("DejaVu Sans Mono")
        font.setStyleHint(QtGui.QFont.StyleHint.Monospace)
        font.setPointSize(26)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setMinimumHeight(QtGui.QFontMetrics(font).height())
        self.value.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed
        )
        layout.addWidget(self.value, 1, 0)
        self.copy = QtWidgets.QPushButton(tr("Copy"))
        self.copy.clicked.connect(self._copy)
        layout.addWidget(self.copy, 1, 1)
        self._raw = ""
        self.withheld = False  #: the value shown is not to be read out (``withhold``)

    def set(self, raw: str, shown: str | None = None) -> None:
        self._raw = raw
        self.value.setText(shown or raw)
        self.withheld = False
        self.value.setEnabled(True)
        self.copy.setEnabled(True)

    def withhold(self) -> None:
        """Hide the value (a dash, greyed) and stop its copy: it is about to change, and
        read aloud meanwhile it would be a dead one. ``set`` shows a value again."""
        self.withheld = True
        self.value.setText("—")
        self.value.setEnabled(False)
        self.copy.setEnabled(False)

    def _copy(self) -> None:
        if not self.withheld:
            QtWidgets.QApplication.clipboard().setText(self._raw)


class StatusLine(QtWidgets.QLabel):
    """A window's line of news; it can count a wait down, so the user knows when to retry."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("status")
        self.setWordWrap(True)
        self._left = 0
        self._text: Callable[[int], str] = str
        self._done = ""
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._tick)

    def count_down(self, seconds: int, text: Callable[[int], str], done: str) -> None:
        """Show ``text(seconds left)`` each second, then ``done``; anything else said
        meanwhile stops the count."""
        self._left, self._text, self._done = max(int(seconds), 1), text, done
        self.setText(text(self._left))
        self._timer.start(1000)

    def _tick(self) -> None:
        if self.text() != self._text(self._left):  # something else is said now
            self._timer.stop()
            return
        self._left -= 1
        if self._left > 0:
            self.setText(self._text(self._left))
        else:
            self._timer.stop()
            self.setText(self._done)


def fit_height(window: QtWidgets.QWidget) -> None:
    """Qt sizes a window by its parts' minimum heights, which for word-wrapped labels
    assume a width they do not have: at the real width they took the height of the rows
    below (the customer's ID and password lost their lower half). The window's minimum
    becomes the height its parts need at its width (within the screen), so it grows when
    a notice appears."""
    layout = window.layout()
    if layout is None:
        return
    need = (
        layout.totalHeightForWidth(window.width())
        if layout.hasHeightForWidth()
        else layout.totalMinimumSize().height()
    )
    screen = window.screen()
    if screen is not None:
        frame = window.frameGeometry().height() - window.height()  # (the title bar)
        need = min(need, screen.availableGeometry().height() - frame)
    if need != window.minimumHeight():
        window.setMinimumHeight(need)


def spaced_id(partner_id: str) -> str:
    """123456789 -> '123 456 789': easier to read aloud over the phone."""
    return " ".join(partner_id[i : i + 3] for i in range(0, len(partner_id), 3))
