"""The X client of ``bench.capture_cpu`` (``--role workload``): it draws one workload on
the customer's screen (typing, scroll, drag, idle; see that module) over a plain or a
photographic wallpaper, starting and stopping on commands read from stdin.

``agent-typing`` types what reaches its window as key presses: the agent's keys, which
the customer injects (``start``), or its own XTEST presses at the typing rate, as the
customer's injector would make them (``start local``: the window without a customer)."""

from __future__ import annotations

import select
import time
from typing import Any

from bench.desktop import WORDS
from bench.interactive_roles import pending_commands, stdin_lines

LINE_H = 14  #: the "fixed" font's 13 px plus one


def _set_wallpaper(d: Any, root: Any, width: int, height: int, kind: str) -> None:
    from Xlib import X

    if kind == "plain":
        root.change_attributes(background_pixel=0x3A6EA5)
    else:
        import numpy as np

        from bench.desktop_photo import photo_wallpaper

        rgb = np.asarray(photo_wallpaper(width, height))
        bgrx = np.zeros((height, width, 4), np.uint8)
        bgrx[..., 0], bgrx[..., 1], bgrx[..., 2] = rgb[..., 2], rgb[..., 1], rgb[..., 0]
        depth = d.screen().root_depth
        pixmap = root.create_pixmap(width, height, depth)
        gc = pixmap.create_gc()
        rows = max(1, 200_000 // (width * 4))  # under the core request size limit
        for y in range(0, height, rows):
            strip = bgrx[y : y + rows]
            pixmap.put_image(gc, 0, y, width, strip.shape[0], X.ZPixmap, depth, 0, strip.tobytes())
        root.change_attributes(background_pixmap=pixmap)
    root.clear_area(0, 0, 0, 0)
    d.sync()


def workload_main(name: str, width: int, height: int, wallpaper: str) -> int:
    """Draw ``name`` while told to: stdin ``start`` / ``stop`` (answered ``stopped`` once
    the X server has run every draw); EOF ends."""
    import random

    from Xlib import XK, X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    d = xdisplay.Display()
    screen = d.screen()
    root = screen.root
    _set_wallpaper(d, root, width, height, wallpaper)
    boxes = {
        "typing": (300, 200, 900, 520),
        "agent-typing": (300, 200, 900, 520),
        "idle": (300, 200, 900, 520),
        "scroll": (20, 20, width - 40, height - 40),
        "drag": (100, 100, 640, 420),
    }
    wx, wy, ww, wh = boxes[name]
    win = root.create_window(
        wx, wy, ww, wh, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=0xFFFFFF, override_redirect=True,
        event_mask=X.ExposureMask | X.KeyPressMask,
    )  # fmt: skip
    font = d.open_font("fixed")
    ink = win.create_gc(foreground=0x202020, background=0xFFFFFF, font=font)
    paper = win.create_gc(foreground=0xFFFFFF, graphics_exposures=False)
    title = win.create_gc(foreground=0x35507A, graphics_exposures=False)
    rng = random.Random(5)
    line_no = 0

    def text_line(k: int) -> bytes:
        r = random.Random(k)
        return " ".join(r.choice(WORDS) for _ in range(ww // 50 + 1)).encode()[: min(255, ww // 6)]

    def paint(y0: int, y1: int) -> None:
        """Repaint window rows [y0, y1): a title bar and text lines."""
        win.fill_rectangle(paper, 0, y0, ww, y1 - y0)
        if y0 < 24 and name != "scroll":
            win.fill_rectangle(title, 0, 0, ww, 24)
        first = max(0, (y0 - 30) // LINE_H)
        for k in range(first, (y1 - 30) // LINE_H + 2):
            if name in ("drag", "scroll"):
                win.image_text(ink, 6, 30 + k * LINE_H + 11, text_line(k + line_no))

    col = row = 0

    def type_key() -> None:
        """One typed character and the caret moved past it, as a terminal draws them."""
        nonlocal col, row
        ch = rng.choice(b"abcdefghijklmnopqrstuvwxyz  ,.")
        x, y = 6 + col * 6, 30 + row * LINE_H
        win.image_text(ink, x, y + 11, bytes([ch]))
        col += 1
        if 6 + (col + 1) * 6 > ww:
            col, row = 0, row + 1
            if 30 + (row + 1) * LINE_H > wh:
                row = 0
                win.fill_rectangle(paper, 0, 30, ww, wh - 30)
        win.fill_rectangle(ink, 6 + col * 6, 30 + row * LINE_H + 12, 6, 2)  # caret
        win.fill_rectangle(paper, x, y + 12, 6, 2)

    win.map()
    d.sync()
    key_a = d.keysym_to_keycode(XK.string_to_keysym("a"))
    commands = stdin_lines()
    running = local = False
    ready = False
    rates = {"typing": 8, "agent-typing": 8, "scroll": 50, "drag": 30, "idle": 1}
    period = 1 / rates[name]
    next_tick = time.monotonic()
    vx, vy = 8, 4
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        while d.pending_events():
            ev = d.next_event()
            if ev.type == X.Expose:
                paint(ev.y, ev.y + ev.height)
                if not ready:
                    win.set_input_focus(X.RevertToParent, X.CurrentTime)  # (no WM here)
                    d.sync()
                    ready = True
                    print("ready", flush=True)
            elif ev.type == X.KeyPress and running and name == "agent-typing":
                type_key()
                d.flush()
        got = pending_commands(commands)
        if got is None:
            return 0
        for command in got:
            running, local = command.startswith("start"), command == "start local"
            next_tick = time.monotonic()
            if not running:  # (every draw of the run done: the caller's reads come after)
                d.sync()
                print("stopped", flush=True)
        now = time.monotonic()
        if running and now >= next_tick:
            if name == "typing":
                type_key()
            elif name == "agent-typing" and local:
                xtest.fake_input(d, X.KeyPress, key_a)
                xtest.fake_input(d, X.KeyRelease, key_a)
            elif name == "scroll":
                step = 2 * LINE_H
                line_no += 2
                win.copy_area(paper, win, 0, step, ww, wh - step, 0, 0)
                paint(wh - step, wh)
            elif name == "drag":
                wx, wy = wx + vx, wy + vy
                if not 0 <= wx <= width - ww:
                    vx, wx = -vx, min(max(wx, 0), width - ww)
                if not 0 <= wy <= height - wh:
                    vy, wy = -vy, min(max(wy, 0), height - wh)
                win.configure(x=wx, y=wy)
            d.flush()
            next_tick = max(next_tick + period, now)
        wait = max(0.0, next_tick - time.monotonic()) if running else 0.1
        select.select([d.fileno()], [], [], wait)
    return 0
