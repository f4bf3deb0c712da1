"""The shared test Xvfb lets go of what a test left held (``displays.InputReset``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import displays


@pytest.fixture
def server() -> Iterator[str]:
    with displays.xvfb(320, 200) as name:
        yield name


@pytest.mark.display
def test_held_keys_buttons_and_locks_are_let_go(
    server: str, request: pytest.FixtureRequest
) -> None:
    from Xlib import XK, X, display
    from Xlib.ext import xtest

    d = display.Display(server)
    request.addfinalizer(d.close)
    reset = displays.InputReset(server)
    request.addfinalizer(reset.close)
    assert reset() == []  # (a fresh server: nothing held)
    a = d.keysym_to_keycode(XK.XK_a)
    for keysym in (XK.XK_Caps_Lock, XK.XK_Num_Lock):
        code = d.keysym_to_keycode(keysym)
        xtest.fake_input(d, X.KeyPress, code)
        xtest.fake_input(d, X.KeyRelease, code)
    xtest.fake_input(d, X.KeyPress, a)
    xtest.fake_input(d, X.ButtonPress, 1)
    xtest.fake_input(d, X.ButtonPress, 8)  # (the viewer's "back": past the core mask's 5)
    d.sync()
    held = d.screen().root.query_pointer().mask
    assert held & X.LockMask and held & X.Mod2Mask and held & X.Button1Mask
    assert d.query_keymap()[a // 8] >> (a % 8) & 1

    undone = reset()
    assert f"key {a}" in undone and "button 1" in undone and "button 8" in undone
    assert not any(d.query_keymap())
    mask = d.screen().root.query_pointer().mask
    assert not mask & (X.LockMask | X.Mod2Mask | X.Button1Mask)
    assert reset() == []
