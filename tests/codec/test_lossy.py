"""The lossy path end to end through the real encoder and decoder: a playing video region
goes VP8 while the caption under it stays bit-exact, photo-like rectangles go JPEG, and
a lossless refresh makes the viewer's framebuffer equal the screen once things are still.
Time is an injected clock, one capture every 1/30 s."""

from __future__ import annotations

import numpy as np
import pytest

from remoteapp.codec import LossyMode, ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.jpeg_codec import JPEG_ID
from remoteapp.codec.lossy import MAX_DEFER_S, REFRESH_S
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.rate_control import MIN_BITRATE, RateController
from remoteapp.codec.raw_bgra import RAW_BGRA_ID
from remoteapp.codec.update_format import PixelsOp, parse_header, parse_ops
from remoteapp.codec.vp8_codec import VP8_ID, available
from tests.codec.frames import texty

pytestmark = pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")

LOSSY = frozenset({"vp8", "jpeg"})
VIDEO = Rect(96, 64, 320, 192)  #: 16-aligned, so the region is exactly the video
CAPTION = Rect(96, VIDEO.bottom + 20, 320, 16)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scene(t: int, height: int = VIDEO.h, width: int = VIDEO.w) -> Pixels:
    """A moving natural-ish picture with noise: what a video region holds."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 90 * np.sin(x / 23.0 + t * 0.3) * np.cos(y / 31.0 - t * 0.1)
    g = 128 + 80 * np.sin((x + y) / 41.0 - t * 0.2)
    b = 128 + 70 * np.cos(np.hypot(x - width / 2, y - height / 2) / 17.0 - t * 0.4)
    noise = np.random.default_rng(t).normal(0, 4, (height, width, 3))
    out = np.full((height, width, 4), 255, np.uint8)
    out[..., :3] = (np.stack([b, g, r], axis=-1) + noise).clip(0, 255).astype(np.uint8)
    return out


def put(frame: Pixels, rect: Rect, block: Pixels) -> None:
    frame[rect.y : rect.bottom, rect.x : rect.right] = block


def crop(frame: Pixels, rect: Rect) -> Pixels:
    return frame[rect.y : rect.bottom, rect.x : rect.right]


def codecs_of(update: bytes) -> list[tuple[int, Rect]]:
    header = parse_header(update)
    return [(op.codec, op.rect) for op in parse_ops(update, header) if isinstance(op, PixelsOp)]


def test_video_region_goes_vp8_caption_stays_exact_and_refresh_ends_bit_exact() -> None:
    clock = Clock()
    enc = ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    dec = ScreenDecoder()
    desktop = texty(480, 640, 3)
    vp8_updates = 0
    for t in range(45):
        frame = desktop.copy()
        put(frame, VIDEO, scene(t))
        if t % 15 == 0:  # the caption changes now and then
            put(frame, CAPTION, texty(CAPTION.h, CAPTION.w, 100 + t))
        desktop_caption = crop(frame, CAPTION).copy()
        update = enc.encode(frame)
        dec.decode(update)
        used = codecs_of(update)
        if any(codec == VP8_ID for codec, _ in used):
            vp8_updates += 1
            assert [rect for codec, rect in used if codec == VP8_ID] == [VIDEO]
        fb = dec.framebuffer
        assert fb is not None
        # text next to the video is exact in every update, never lossy
        assert np.array_equal(crop(fb, CAPTION), desktop_caption)
        outside = fb.copy()
        put(outside, VIDEO, crop(frame, VIDEO))
        assert np.array_equal(outside, frame), "only the video region may differ"
        clock.now += 1 / 30
    assert vp8_updates >= 35, "the region turns on after a short history"
    assert not np.array_equal(dec.framebuffer, frame), "the video went lossy"
    assert _psnr(crop(dec.framebuffer, VIDEO), crop(frame, VIDEO)) > 25
    # the video stops: 100-300 ms later the region is re-sent losslessly
    refreshed_at = None
    for _ in range(12):
        due = enc.refresh_due_in()
        update = enc.encode(frame)
        dec.decode(update)
        if any(codec == RAW_BGRA_ID for codec, _ in codecs_of(update)):
            refreshed_at = refreshed_at or clock.now
        if np.array_equal(dec.framebuffer, frame):
            break
        assert due is not None
        clock.now += 1 / 30
    assert np.array_equal(dec.framebuffer, frame)
    assert enc.refresh_due_in() is None


def test_photo_rectangle_goes_jpeg_then_is_refreshed_exactly() -> None:
    clock = Clock()
    enc = ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    dec = ScreenDecoder()
    frame = texty(300, 400, 1)
    dec.decode(enc.encode(frame))
    photo = Rect(40, 50, 200, 120)
    put(frame, photo, scene(3, photo.h, photo.w))
    update = enc.encode(frame)
    dec.decode(update)
    assert [codec for codec, _ in codecs_of(update)] == [JPEG_ID]
    assert not np.array_equal(dec.framebuffer, frame)
    clock.now += REFRESH_S / 2
    assert codecs_of(enc.encode(frame)) == []  # not yet: too soon
    clock.now += REFRESH_S
    update = enc.encode(frame)
    dec.decode(update)
    assert {codec for codec, _ in codecs_of(update)} == {RAW_BGRA_ID}
    assert np.array_equal(dec.framebuffer, frame)


def test_a_copy_of_lossy_pixels_carries_their_refresh_along() -> None:
    """A window holding a JPEG'd picture is dragged before its refresh: the copy moves
    approximate pixels, and the refresh must cover them at their new place too."""
    clock = Clock()
    enc = ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    dec = ScreenDecoder()
    background = texty(480, 640, 2)
    frame = background.copy()
    dec.decode(enc.encode(frame))
    window = np.concatenate([texty(60, 256, 9), scene(5, 200, 256)])
    put(frame, Rect(64, 64, 256, 260), window)
    dec.decode(enc.encode(frame))
    for step in range(1, 4):
        clock.now += 1 / 30
        frame = background.copy()
        put(frame, Rect(64 + 24 * step, 64 + 8 * step, 256, 260), window)
        dec.decode(enc.encode(frame))
    clock.now += MAX_DEFER_S
    for _ in range(4):
        dec.decode(enc.encode(frame))
        clock.now += 1 / 30
    assert np.array_equal(dec.framebuffer, frame)


def test_text_only_updates_are_byte_for_byte_the_lossless_ones() -> None:
    clock = Clock()
    lossless, lossy = ScreenEncoder(), ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    frame = texty(400, 600, 4)
    for i in range(20):
        frame = frame.copy()
        put(frame, Rect(20 + 7 * (i % 40), 30 + 18 * (i // 40), 7, 12), texty(12, 7, i))
        if i % 5 == 4:  # a scroll of the text
            frame[20:380] = frame[38:398].copy()
        assert lossless.encode(frame) == lossy.encode(frame)
        clock.now += 1 / 30


def test_best_quality_is_lossless_and_best_speed_lossy_everywhere() -> None:
    frame0 = texty(240, 320, 5)
    frame1 = frame0.copy()
    put(frame1, Rect(0, 0, 320, 120), texty(120, 320, 6))
    put(frame1, Rect(0, 120, 320, 120), scene(1, 120, 320))
    results = {}
    for mode in LossyMode:
        enc = ScreenEncoder(lossy_codecs=LOSSY, mode=mode, clock=Clock())
        enc.encode(frame0)
        results[mode] = {codec for codec, _ in codecs_of(enc.encode(frame1))}
    assert results[LossyMode.QUALITY] == {RAW_BGRA_ID}
    assert results[LossyMode.SPEED] == {JPEG_ID}
    assert JPEG_ID in results[LossyMode.AUTO]


def test_codecs_announced_after_the_first_update_apply_without_a_key_frame() -> None:
    """The customer's first update often leaves before the agent's Hello arrives."""
    clock = Clock()
    enc, dec = ScreenEncoder(clock=clock), ScreenDecoder()
    frame = texty(300, 400, 1)
    dec.decode(enc.encode(frame))
    enc.set_lossy_codecs(LOSSY)
    frame = frame.copy()
    put(frame, Rect(40, 50, 200, 120), scene(3, 120, 200))
    update = enc.encode(frame)
    dec.decode(update)
    assert not parse_header(update).is_key
    assert [codec for codec, _ in codecs_of(update)] == [JPEG_ID]
    enc.set_lossy_codecs(frozenset({"jpeg"}))  # something lossy is out: a key frame
    assert parse_header(enc.encode(frame)).is_key


def test_codecs_the_viewer_did_not_announce_are_never_used() -> None:
    clock = Clock()
    enc = ScreenEncoder(lossy_codecs=frozenset({"jpeg"}), clock=clock)
    dec = ScreenDecoder()
    desktop = texty(480, 640, 3)
    for t in range(20):
        frame = desktop.copy()
        put(frame, VIDEO, scene(t))
        update = enc.encode(frame)
        dec.decode(update)
        assert VP8_ID not in {codec for codec, _ in codecs_of(update)}
        clock.now += 1 / 30


def test_the_video_follows_its_rate_controller_from_the_next_update_in_the_key_lane() -> None:
    """The encoder reads the session's rate as it plans each update, so a region the key
    lane codes (``encode_key``, which no loop hands a rate to) follows the rate control
    as it is then, not as it was when the lane started."""
    clock = Clock()
    rate = RateController()
    enc = ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    enc.video_rate = rate
    desktop = texty(480, 640, 3)
    enc.encode(desktop.copy())
    sizes: list[int] = []
    for t in range(60):
        if t == 30:
            rate.bitrate = MIN_BITRATE  # (as a delay cut leaves it, read by no one)
        frame = desktop.copy()
        put(frame, VIDEO, scene(t))
        update = enc.encode_key(frame, None, [VIDEO])
        clock.now += 1 / 30
        header = parse_header(update)
        vp8 = [
            op.length
            for op in parse_ops(update, header)
            if isinstance(op, PixelsOp) and op.codec == VP8_ID
        ]
        sizes.append(sum(vp8))
    before, after = sizes[15:30], sizes[45:60]
    assert all(before) and all(after), "the region is coded VP8 throughout"
    assert sum(after) * 2 < sum(before), (before, after)  # (about 4 times; 1 unread)


def _psnr(a: Pixels, b: Pixels) -> float:
    err = np.mean((a[..., :3].astype(np.float64) - b[..., :3].astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(err, 1e-9)))
