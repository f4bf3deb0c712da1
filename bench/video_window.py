"""A real X client playing a synthetic video (``bench.lossy``'s camera pan with grain and a
moving ball) at 30 fps in a 640x360 window, with a line of text under it; for the live
lossy tests and benches.  Prints ``ready`` once painted; stdin ``stop`` freezes the
picture (then ``stopped`` once the last frame is on the screen); EOF ends it.

    python -m bench.video_window X Y
"""

from __future__ import annotations

import select
import sys
import time

import numpy as np

from bench.interactive_roles import pending_commands, stdin_lines
from bench.lossy import _movie

W, H = 640, 360
FPS = 30
FRAMES = 60  #: looped; made before the first one is shown
CAPTION = b"Step 1: open the printer queue - the text under the video stays exact"


def main() -> int:
    from Xlib import X
    from Xlib import display as xdisplay

    x, y = int(sys.argv[1]), int(sys.argv[2])
    frames = []
    for bgr in _movie(FRAMES, H, W):
        bgrx = np.zeros((H, W, 4), np.uint8)
        bgrx[..., :3] = bgr
        frames.append(bgrx)
    d = xdisplay.Display()
    screen = d.screen()
    win = screen.root.create_window(
        x, y, W, H + 30, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=0xFFFFFF, override_redirect=True, event_mask=X.ExposureMask,
    )  # fmt: skip
    gc = win.create_gc(foreground=0x202020, background=0xFFFFFF, font=d.open_font("fixed"))
    rows = max(1, 200_000 // (W * 4))  # under the core request size limit

    def show(i: int) -> None:
        pic = frames[i % FRAMES]
        for top in range(0, H, rows):
            strip = pic[top : top + rows]
            win.put_image(gc, 0, top, W, strip.shape[0], X.ZPixmap, screen.root_depth, 0,
                          strip.tobytes())  # fmt: skip
        win.image_text(gc, 8, H + 20, CAPTION)

    win.map()
    d.sync()
    commands = stdin_lines()
    playing, ready, i = True, False, 0
    next_tick = time.monotonic()
    deadline = next_tick + 600  # never outlive a broken test
    while time.monotonic() < deadline:
        while d.pending_events():
            if d.next_event().type == X.Expose and not ready:
                show(i)
                d.sync()
                ready = True
                print("ready", flush=True)
        got = pending_commands(commands)
        if got is None:
            return 0
        if "stop" in got and playing:
            playing = False
            show(i)
            d.sync()
            print("stopped", flush=True)
        now = time.monotonic()
        if ready and playing and now >= next_tick:
            i += 1
            show(i)
            d.flush()
            next_tick = max(next_tick + 1 / FPS, now)
        wait = max(0.0, next_tick - time.monotonic()) if playing else 0.1
        select.select([d.fileno()], [], [], wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
