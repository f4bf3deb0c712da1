"""When a video region turns on: a large photo-like block repainted whole twice in a row
is video at once (its start is not JPEG'd frame after frame); a small one needs the
usual four changes; text never starts one."""

from __future__ import annotations

import pytest

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.jpeg_codec import JPEG_ID
from remoteapp.codec.vp8_codec import VP8_ID, available
from tests.codec.frames import texty
from tests.codec.test_lossy import LOSSY, VIDEO, Clock, codecs_of, put, scene

pytestmark = pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")

SMALL = Rect(96, 64, 128, 128)  #: 4 tiles: too small to be sure after two changes


def first_vp8(rect: Rect, *, text: bool = False) -> tuple[int | None, list[set[int]]]:
    """Updates (after the key frame) until ``rect``, changing every frame, goes VP8."""
    clock = Clock()
    enc, dec = ScreenEncoder(lossy_codecs=LOSSY, clock=clock), ScreenDecoder()
    desktop = texty(480, 640, 3)
    seen: list[set[int]] = []
    for t in range(8):
        frame = desktop.copy()
        block = texty(rect.h, rect.w, 50 + t) if text else scene(t, rect.h, rect.w)
        put(frame, rect, block)
        update = enc.encode(frame)
        dec.decode(update)
        assert dec.framebuffer is not None
        if t:
            used = codecs_of(update)
            seen.append({codec for codec, _ in used})
            if any(codec == VP8_ID for codec, _ in used):
                assert [r for codec, r in used if codec == VP8_ID] == [rect]
                return t, seen
        clock.now += 1 / 30
    return None, seen


def test_a_large_video_goes_vp8_at_its_second_change() -> None:
    at, seen = first_vp8(VIDEO)
    assert at == 2
    assert seen[0] == {JPEG_ID}


def test_a_small_photo_block_waits_for_the_usual_history() -> None:
    at, seen = first_vp8(SMALL)
    assert at == 4
    assert all(codecs == {JPEG_ID} for codecs in seen[:3])


def test_text_changing_every_frame_never_starts_a_region() -> None:
    at, seen = first_vp8(VIDEO, text=True)
    assert at is None
    assert all(JPEG_ID not in codecs for codecs in seen)
    assert all(codecs for codecs in seen), "it changed every frame"
