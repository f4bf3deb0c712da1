"""pynput injection into a real X display, seen by a real Qt client."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from remoteapp.errors import InputUnavailableError
from remoteapp.net.session import Key, PointerButton, PointerMove, Text
from tests.conftest import ROOT, LineReader, client_env, stop


@pytest.fixture
def target(xvfb_display: str) -> Iterator[LineReader]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.control.target_window", "200", "150", "400", "40"],
        cwd=ROOT,
        env=client_env(xvfb_display),
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = LineReader(proc)
    reader.wait_for("ready", timeout=30)
    yield reader
    stop(proc)


@pytest.mark.display
def test_click_keys_and_text_reach_a_real_text_field(
    xvfb_display: str,
    target: LineReader,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_display)
    from remoteapp.control import InputInjector

    # monitor at (100, 100): its (220, 60) is desktop (320, 160), the field's (120, 10)
    injector = InputInjector((100, 100, 1000, 600))
    request.addfinalizer(injector.close)
    injector.apply(PointerMove(200, 60))
    injector.apply(PointerButton(220, 60, "left", True))
    injector.apply(PointerButton(220, 60, "left", False))
    assert target.wait_for("press", timeout=10).split() == ["press", "120", "10", "LeftButton"]
    for event in (Key("o", True), Key("o", False), Key("i", True), Key("i", False)):
        injector.apply(event)
    assert target.wait_for("text 'oi'", timeout=10)
    injector.apply(Text(" ação"))
    assert target.wait_for("text 'oi ação'", timeout=10)
    for event in (Key("backspace", True), Key("backspace", False)):
        injector.apply(event)
    assert target.wait_for("text 'oi açã'", timeout=10)
    # Ctrl+A then a character replaces everything: modifiers reach the client
    injector.apply(Key("a", True, frozenset({"ctrl"})))
    injector.apply(Key("a", False, frozenset({"ctrl"})))
    injector.apply(Key("x", True))  # no ctrl wanted any more: released first
    injector.apply(Key("x", False))
    assert target.wait_for("text 'x'", timeout=10)


@pytest.mark.display
def test_pointer_is_clamped_to_the_shared_monitor(
    xvfb_display: str,
    target: LineReader,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_display)
    from remoteapp.control import InputInjector

    injector = InputInjector((200, 150, 50, 20))  # a "monitor" inside the field
    request.addfinalizer(injector.close)
    injector.apply(PointerButton(-500, 9999, "left", True))
    injector.apply(PointerButton(-500, 9999, "left", False))
    assert target.wait_for("press", timeout=10).split()[1:3] == ["0", "19"]


def test_no_display_is_a_clear_error() -> None:
    code = "from remoteapp.control import InputInjector; InputInjector()"
    env = {k: v for k, v in client_env(":0").items() if k != "DISPLAY"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert InputUnavailableError.__name__ in result.stderr
    assert "cannot inject input" in result.stderr


@pytest.mark.display
def test_characters_arrive_as_real_key_presses_not_synthetic_events(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """xterm and other X programs drop XSendEvent key events: characters go through XTEST
    (with Shift where the keymap needs it), like a real keyboard's."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.control.xlib_keys"],
        cwd=ROOT,
        env=client_env(xvfb_display),
        stdout=subprocess.PIPE,
        text=True,
    )
    request.addfinalizer(lambda: stop(proc))
    keys = LineReader(proc)
    keys.wait_for("ready", timeout=30)
    monkeypatch.setenv("DISPLAY", xvfb_display)
    from Xlib import XK, display

    from remoteapp.control import InputInjector

    injector = InputInjector()
    request.addfinalizer(injector.close)
    injector.apply(Text("aZ!"))
    injector.apply(Key("q", True))
    injector.apply(Key("q", False))
    seen = [keys.wait_for("key ", timeout=10).split() for _ in range(6)]
    assert all(line[3] == "synthetic=0" for line in seen), seen
    d = display.Display(xvfb_display)
    try:
        code = {
            c: d.keysym_to_keycode(XK.string_to_keysym(n))
            for c, n in (
                ("a", "a"),
                ("b", "b"),
                ("z", "z"),
                ("1", "1"),
                ("q", "q"),
                ("shift", "Shift_L"),
            )
        }
    finally:
        d.close()
    shifted = [(int(line[1]), int(line[2]) & 1) for line in seen]
    assert shifted == [
        (code["a"], 0),
        (code["shift"], 0),
        (code["z"], 1),  # Z: Shift is down
        (code["shift"], 0),
        (code["1"], 1),  # !: shift + 1 on the US keymap
        (code["q"], 0),
    ]

    # with Caps Lock on at the customer's, letters still come out as the agent typed them
    injector.apply(Key("caps_lock", True))
    injector.apply(Key("caps_lock", False))
    request.addfinalizer(lambda: [injector.apply(Key("caps_lock", p)) for p in (True, False)])
    keys.wait_for("key ", timeout=10)  # Caps Lock itself
    injector.apply(Text("aB"))
    seen = [keys.wait_for("key ", timeout=10).split() for _ in range(3)]
    state = [(int(line[1]), int(line[2]) & 3) for line in seen]  # Shift 1, Lock 2
    assert state == [
        (code["shift"], 2),
        (code["a"], 3),  # Shift undoes Caps Lock: "a"
        (code["b"], 2),  # Caps Lock alone: "B"
    ]

    # the agent holds Shift but the character wants none (another layout on their side)
    injector.apply(Key("shift", True))
    injector.apply(Text("1"))
    injector.apply(Key("shift", False))
    seen = [keys.wait_for("key ", timeout=10).split() for _ in range(3)]
    state = [(int(line[1]), int(line[2]) & 1) for line in seen]
    assert state == [(code["shift"], 0), (code["1"], 0), (code["shift"], 0)]


@pytest.mark.display
def test_release_all_lets_go_of_every_key_held(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """A key the agent pressed and never released (the session ended first) is let go
    at the end, not only the modifiers: a key held by XTEST outlives its client."""
    from Xlib import display as xdisplay

    from remoteapp.control import InputInjector

    monkeypatch.setenv("DISPLAY", xvfb_display)
    watcher = xdisplay.Display(xvfb_display)
    request.addfinalizer(watcher.close)
    before = bytes(watcher.query_keymap())
    injector = InputInjector((0, 0, 1280, 800))
    request.addfinalizer(injector.close)
    for key in ("a", "enter", "left", "shift"):
        injector.apply(Key(key, True))
    assert bytes(watcher.query_keymap()) != before
    injector.release_all()
    assert bytes(watcher.query_keymap()) == before, "a key stayed down"


@pytest.mark.display
def test_typed_letters_make_no_round_trip_and_a_late_x_error_is_logged(
    xvfb_display: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent's key is flushed to the X server, not synced: a round trip per event was
    two thirds of its cost on the customer's network thread.  The pointer's first event
    after them syncs once.  An X error (none is expected) comes in with a later reply
    and is logged there, not raised."""
    from remoteapp.control import InputInjector

    monkeypatch.setenv("DISPLAY", xvfb_display)
    injector = InputInjector((0, 0, 1280, 800))
    request.addfinalizer(injector.close)
    injector.apply(Key("a", True))  # (the first reads the keyboard's mapping)
    injector.apply(Key("a", False))
    dm = injector._keyboard._display
    waits: list[int] = []
    real = dm.display.send_and_recv

    def counted(*args: object, **kwargs: object) -> object:
        if kwargs.get("request") is not None:  # (a reply waited for)
            waits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dm.display, "send_and_recv", counted)
    for _ in range(5):
        injector.apply(Key("a", True))
        injector.apply(Key("a", False))
    assert waits == []
    # a click after them waits, once, for the server to have run them: it goes on
    # pynput's other connection and must not overtake the text typed before it
    injector.apply(PointerMove(10, 10))
    injector.apply(PointerMove(12, 10))
    assert waits == [1]
    dm.create_resource_object("window", 0x1FFFFF).map()  # (BadWindow: no such window)
    with caplog.at_level("WARNING", logger="remoteapp.control"):
        injector.apply(Text("a"))  # (a press of a character asks for the pointer's state)
    assert "control event=x-error" in caplog.text


@pytest.mark.display
def test_an_x_error_of_flushed_characters_is_not_raised_by_pynputs_next_key(
    xvfb_display: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """pynput's own key calls (Enter, Backspace, modifiers) sync and raise any X error the
    sync brings in: one the flushed characters caused before them is logged as theirs,
    and the key still goes down (before, it ended the session as pynput's)."""
    from remoteapp.control import InputInjector

    monkeypatch.setenv("DISPLAY", xvfb_display)
    injector = InputInjector((0, 0, 1280, 800))
    request.addfinalizer(injector.close)
    injector.apply(Key("a", True))
    injector.apply(Key("a", False))
    dm = injector._keyboard._display
    dm.create_resource_object("window", 0x1FFFFF).map()  # (BadWindow: no such window)
    dm.flush()  # (as the characters are, still unsettled: the error comes with a reply)
    with caplog.at_level("WARNING", logger="remoteapp.control"):
        injector.apply(Key("enter", True))  # (pynput's own: it syncs)
        injector.apply(Key("enter", False))
    assert "control event=x-error" in caplog.text


@pytest.mark.display
def test_closing_after_the_x_server_is_gone_does_not_raise(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``close`` runs on the way out of a session, maybe one that ended because the X
    session did: letting go of a held key there must not raise (it would hide the error
    that ended the session), and both of pynput's connections are dropped."""
    from remoteapp.control import InputInjector
    from tests import displays

    with displays.xvfb(320, 200) as display:
        monkeypatch.setenv("DISPLAY", display)
        injector = InputInjector((0, 0, 320, 200))
        injector.apply(Key("a", True))
        injector.apply(PointerButton(10, 10, "left", True))
    with caplog.at_level("WARNING", logger="remoteapp.control"):
        injector.close()
    assert "control event=release-failed" in caplog.text
    assert not hasattr(injector._keyboard, "_display")
    assert not hasattr(injector._mouse, "_display")


@pytest.mark.display
def test_a_release_that_fails_does_not_leave_the_others_held(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """pynput's release of a held Shift raises (an X error, say): the key before it and
    the button after it are let go of all the same, and the failure is raised after."""
    from Xlib import display as xdisplay

    from remoteapp.control import InputInjector

    monkeypatch.setenv("DISPLAY", xvfb_display)
    watcher = xdisplay.Display(xvfb_display)
    request.addfinalizer(watcher.close)
    injector = InputInjector((0, 0, 1280, 800))
    request.addfinalizer(injector.close)
    injector.apply(Key("a", True, frozenset({"shift"})))  # (Shift held for it, then a)
    injector.apply(PointerButton(10, 10, "left", True))
    assert any(watcher.query_keymap())
    release = injector._keyboard.release

    def failing(key: object) -> None:
        if key == injector._keyboard_mod.Key.shift:
            raise OSError("the X server refused it")
        release(key)

    monkeypatch.setattr(injector._keyboard, "release", failing)
    with pytest.raises(OSError, match="refused"):
        injector.release_all()
    shift = watcher.keysym_to_keycode(0xFFE1)  # (XK_Shift_L: the one still held)
    held = [c for c in range(256) if watcher.query_keymap()[c // 8] >> (c % 8) & 1]
    assert held == [shift]
    assert not watcher.screen().root.query_pointer().mask & 0x100, "the button is held"
    monkeypatch.undo()
    injector._pynput_key(injector._keyboard_mod.Key.shift, False)  # (for the next test)
