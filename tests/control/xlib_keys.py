"""A plain X client that reports each key press as the X server delivered it, including
whether it was synthetic (XSendEvent), which programs such as xterm ignore.  Prints
``ready`` once it has the keyboard focus, then ``key KEYCODE STATE synthetic=0|1`` lines.

    python -m tests.control.xlib_keys
"""

from __future__ import annotations

import sys

from Xlib import X, display


def main() -> int:
    d = display.Display()
    screen = d.screen()
    window = screen.root.create_window(
        0, 0, 300, 100, 0, screen.root_depth, event_mask=X.KeyPressMask | X.ExposureMask
    )
    window.map()
    d.sync()
    while d.next_event().type != X.Expose:  # mapped and viewable: it may take the focus
        pass
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    print("ready", flush=True)
    while True:
        event = d.next_event()
        if event.type == X.KeyPress:
            synthetic = 1 if event.send_event else 0
            print(f"key {event.detail} {event.state} synthetic={synthetic}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
