"""Synthetic desktops that look like real ones (wallpaper gradient, windows with title
bars, anti-aliased text, a taskbar), and the frame sequences of each benchmark workload.

Flat-colour test frames flatter every codec; these carry the textures that make real
desktops hard: smooth gradients, sub-pixel text edges, small widgets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from remoteapp.codec.pixels import Pixels

W, H = 1920, 1080
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "remote",
    "support",
    "ticket",
    "session",
    "agent",
    "customer",
    "password",
    "connect",
    "screen",
    "relay",
    "frame",
    "encoder",
    "decoder",
    "viewer",
    "keyboard",
    "mouse",
    "clipboard",
    "helpdesk",
    "queue",
    "organization",
    "classification",
    "indicator",
    "monitor",
    "latency",
    "bandwidth",
]


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _text_lines(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).capitalize()
        for _ in range(count)
    ]


def wallpaper(width: int = W, height: int = H) -> Image.Image:
    """A smooth two-axis gradient with soft blobs, like a stock wallpaper."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 40 + 60 * x / width + 30 * np.sin(y / 170.0)
    g = 70 + 80 * y / height + 20 * np.cos(x / 230.0)
    b = 120 + 90 * (1 - x / width) * (y / height) + 25 * np.sin((x + y) / 300.0)
    rgb = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def draw_window(
    img: Image.Image, box: tuple[int, int, int, int], title: str, body_lines: list[str]
) -> None:
    """A window: shadow, title bar gradient, buttons, text body."""
    x0, y0, x1, y1 = box
    d = ImageDraw.Draw(img)
    d.rectangle((x0 + 4, y0 + 4, x1 + 4, y1 + 4), fill=(30, 30, 40))
    d.rectangle(box, fill=(250, 250, 248), outline=(120, 120, 130))
    for i in range(30):
        shade = 70 + i * 2
        d.line((x0 + 1, y0 + 1 + i, x1 - 1, y0 + 1 + i), fill=(shade, shade + 20, 150 + i))
    d.text((x0 + 12, y0 + 7), title, font=_font(15), fill=(255, 255, 255))
    for j, color in enumerate(((230, 80, 70), (240, 190, 60), (90, 190, 90))):
        cx = x1 - 20 - j * 24
        d.ellipse((cx - 7, y0 + 8, cx + 7, y0 + 22), fill=color)
    d.rectangle((x0 + 1, y0 + 31, x1 - 1, y0 + 58), fill=(236, 236, 236))
    for k, label in enumerate(("File", "Edit", "View", "Tools", "Help")):
        d.text((x0 + 12 + k * 56, y0 + 36), label, font=_font(14), fill=(40, 40, 40))
    ty = y0 + 68
    for line in body_lines:
        if ty + 18 > y1 - 4:
            break
        d.text((x0 + 14, ty), line, font=_font(14), fill=(20, 20, 30))
        ty += 19


def base_desktop(seed: int = 1) -> Image.Image:
    """Wallpaper, desktop icons, three windows and a taskbar."""
    rng = random.Random(seed)
    img = wallpaper()
    d = ImageDraw.Draw(img)
    for i in range(6):
        d.rounded_rectangle((30, 30 + i * 100, 90, 90 + i * 100), 8, fill=(200, 180 - i * 20, 90))
        d.text((24, 94 + i * 100), f"Folder {i}", font=_font(12), fill=(255, 255, 255))
    draw_window(img, (140, 60, 900, 620), "Mail - Inbox", _text_lines(rng, 40))
    draw_window(img, (980, 120, 1860, 700), "Ticket 4412 - Printer", _text_lines(rng, 40))
    draw_window(img, (400, 560, 1300, 1000), "Terminal", _text_lines(rng, 40))
    d.rectangle((0, H - 40, W, H), fill=(32, 34, 40))
    for i in range(8):
        d.rounded_rectangle(
            (10 + i * 48, H - 34, 42 + i * 48, H - 6), 5, fill=(60 + i * 20, 120, 200)
        )
    d.text((W - 80, H - 30), "14:32", font=_font(15), fill=(230, 230, 230))
    return img


def to_bgra(img: Image.Image) -> Pixels:
    """PIL RGB/RGBA image -> (h, w, 4) BGRA with opaque alpha, as X11 capture returns."""
    rgb = np.asarray(img.convert("RGB"))
    out = np.empty((rgb.shape[0], rgb.shape[1], 4), dtype=np.uint8)
    out[..., 0], out[..., 1], out[..., 2], out[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
    return out


# -- workloads: each yields BGRA frames; frame 0 is the starting screen (sent as key frame)


def static(n: int) -> Iterator[Pixels]:
    frame = to_bgra(base_desktop())
    for _ in range(n + 1):
        yield frame.copy()


def typing(n: int) -> Iterator[Pixels]:
    """An editor window; one character per frame, the caret blinks every 15 frames."""
    img = base_desktop()
    editor = (300, 150, 1500, 900)
    draw_window(img, editor, "notes.txt - Editor", [])
    d = ImageDraw.Draw(img)
    text = "Customer reports that the printer on floor 3 drops jobs after the update. " * 4
    x, y = editor[0] + 14, editor[1] + 68
    font = _font(15)
    for i in range(n + 1):
        frame_img = img.copy()
        fd = ImageDraw.Draw(frame_img)
        typed = text[:i]
        fd.text((x, y), typed, font=font, fill=(20, 20, 30))
        caret_x = x + int(fd.textlength(typed, font=font))
        if (i // 15) % 2 == 0:
            fd.line((caret_x + 1, y, caret_x + 1, y + 18), fill=(0, 0, 0), width=2)
        yield to_bgra(frame_img)
    del d


def _document(width: int, lines: int, seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    doc = Image.new("RGB", (width, lines * 20 + 40), (252, 252, 250))
    d = ImageDraw.Draw(doc)
    for i, line in enumerate(_text_lines(rng, lines)):
        if i % 12 == 0:
            d.text((10, 10 + i * 20), f"Section {i // 12 + 1}", font=_font(17), fill=(20, 60, 140))
        else:
            d.text((10, 10 + i * 20), line, font=_font(14), fill=(25, 25, 30))
    return doc


def scroll(n: int, step: int = 20) -> Iterator[Pixels]:
    """A browser-like text area scrolled ``step`` px per frame, scrollbar thumb moving."""
    img = base_desktop()
    win = (200, 40, 1700, 1030)
    draw_window(img, win, "Knowledge base - Browser", [])
    view = (win[0] + 2, win[1] + 60, win[2] - 18, win[3] - 2)
    vw, vh = view[2] - view[0], view[3] - view[1]
    doc = _document(vw, (vh + step * (n + 1)) // 20 + 10)
    for i in range(n + 1):
        frame_img = img.copy()
        frame_img.paste(doc.crop((0, i * step, vw, i * step + vh)), (view[0], view[1]))
        d = ImageDraw.Draw(frame_img)
        d.rectangle((view[2], view[1], win[2] - 2, view[3]), fill=(230, 230, 230))
        thumb = view[1] + int((vh - 80) * i / max(1, n))
        d.rounded_rectangle((view[2] + 3, thumb, win[2] - 5, thumb + 80), 4, fill=(150, 150, 150))
        yield to_bgra(frame_img)


def drag(n: int, dx: int = 14, dy: int = 6) -> Iterator[Pixels]:
    """A window dragged across the desktop, over the other windows."""
    img = base_desktop()
    rng = random.Random(3)
    win = Image.new("RGB", (640, 420))
    win.paste(img.crop((0, 0, 640, 420)))
    draw_window(win, (0, 0, 639, 419), "Calculator - Spreadsheet", _text_lines(rng, 20))
    for i in range(n + 1):
        frame_img = img.copy()
        frame_img.paste(win, (60 + i * dx, 80 + i * dy))
        yield to_bgra(frame_img)


def video(n: int) -> Iterator[Pixels]:
    """A 640x360 player area whose every pixel changes every frame (moving scene + noise)."""
    img = base_desktop()
    draw_window(img, (560, 300, 1220, 720), "Training video - Player", [])
    base = to_bgra(img)
    y, x = np.mgrid[0:360, 0:640].astype(np.float32)
    noise = np.random.default_rng(5)
    for i in range(n + 1):
        t = i / 30.0
        r = 128 + 90 * np.sin(x / 40.0 + t * 3) * np.cos(y / 55.0 - t)
        g = 128 + 90 * np.sin((x + y) / 70.0 - t * 2)
        b = 128 + 80 * np.cos(np.hypot(x - 320 - 100 * np.sin(t), y - 180) / 25.0 - t * 4)
        px = np.stack([b, g, r], axis=-1) + noise.normal(0, 3, (360, 640, 3))
        frame = base.copy()
        frame[345:705, 570:1210, :3] = px.clip(0, 255).astype(np.uint8)
        yield frame


def fullchange(n: int) -> Iterator[Pixels]:
    """Every pixel changes every frame (a fade of the whole screen, as on a theme change)."""
    base = to_bgra(base_desktop()).astype(np.int16)
    for i in range(n + 1):
        frame = base.copy()
        frame[..., :3] += ((i % 2) * 2 - 1) * (3 + i % 5)
        yield frame.clip(0, 255).astype(np.uint8)


WORKLOADS: dict[str, Callable[[int], Iterator[Pixels]]] = {
    "static": static,
    "typing": typing,
    "scroll": scroll,
    "drag": drag,
    "video": video,
    "fullchange": fullchange,
}
