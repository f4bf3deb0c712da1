"""Workloads over a photographic wallpaper (issue 11): grain everywhere, so a window
dragged over it uncovers strips as busy as anything in the window.

The move detector used to seed its search from the busiest 16-pixel run of a row, which
over a grainy photo is the freshly uncovered strip, found nowhere in the previous frame:
the moved window was found in 7 of 554 updates live.  ``drag_photo`` is that workload.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image

from bench.desktop import H, W, _text_lines, draw_window, to_bgra
from remoteapp.codec.pixels import Pixels


def photo_wallpaper(width: int = W, height: int = H, seed: int = 11) -> Image.Image:
    """A stand-in for a photo: soft shapes at several scales plus sensor grain (sigma 6),
    so almost every pair of neighbouring pixels differs, as in a real JPEG wallpaper."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.empty((height, width, 3), np.float32)
    for c in range(3):
        layer = 90 + 50 * np.sin(x / (150 + 40 * c) + c) * np.cos(y / (110 + 30 * c))
        for _ in range(6):  # blobs: trees, clouds, rocks
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            r = rng.uniform(60, 300)
            layer += rng.uniform(-60, 60) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        rgb[..., c] = layer
    rgb += rng.normal(0, 6, rgb.shape).astype(np.float32)
    return Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB")


def photo_desktop() -> Image.Image:
    img = photo_wallpaper()
    draw_window(
        img, (980, 120, 1860, 700), "Ticket 4412 - Printer", _text_lines(random.Random(1), 40)
    )
    return img


def drag_photo(n: int, dx: int = 14, dy: int = 6) -> Iterator[Pixels]:
    """A text window dragged over the photo wallpaper (the live harness's 30 moves/s)."""
    img = photo_desktop()
    win = Image.new("RGB", (640, 420))
    # a terminal-like window: a few short lines on a plain body, as the live xterm had
    lines = [line[:28] for line in _text_lines(random.Random(3), 4)]
    draw_window(win, (0, 0, 639, 419), "Terminal - bash", lines)
    for i in range(n + 1):
        frame_img = img.copy()
        frame_img.paste(win, (60 + i * dx, 80 + i * dy))
        yield to_bgra(frame_img)


PHOTO_WORKLOADS: dict[str, Callable[[int], Iterator[Pixels]]] = {"drag_photo": drag_photo}
