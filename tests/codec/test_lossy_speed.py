"""Best speed (SET_QUALITY 2): the key frame's photo-like tiles go JPEG too, so the
first picture over a slow link is small; text stays raw and exact, and the lossless
refresh makes the whole picture exact soon after.  Automatic and best quality key frames
stay lossless."""

from __future__ import annotations

import numpy as np
import pytest

from remoteapp.codec import LossyMode, ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.jpeg_codec import JPEG
from remoteapp.codec.lossy import REFRESH_S
from remoteapp.codec.raw_bgra import RAW_BGRA_ID
from remoteapp.codec.update_format import parse_header
from tests.codec.frames import texty
from tests.codec.test_lossy import LOSSY, Clock, codecs_of, crop, put, scene

pytestmark = pytest.mark.skipif(not JPEG.supported, reason="simplejpeg is not installed")

TEXT = Rect(0, 0, 600, 128)
PHOTO = Rect(0, 128, 600, 192)  #: 64-aligned rows, the last column a partial tile


def desktop() -> np.ndarray:
    frame = np.empty((PHOTO.bottom, TEXT.w, 4), np.uint8)
    put(frame, TEXT, texty(TEXT.h, TEXT.w, 7))
    put(frame, PHOTO, scene(2, PHOTO.h, PHOTO.w))
    return frame


def test_best_speed_key_frame_codes_photo_tiles_lossily_and_text_exactly() -> None:
    frame = desktop()
    sizes = {}
    for mode in (LossyMode.AUTO, LossyMode.SPEED):
        clock = Clock()
        enc, dec = ScreenEncoder(lossy_codecs=LOSSY, mode=mode, clock=clock), ScreenDecoder()
        update = enc.encode(frame)
        dec.decode(update)
        assert parse_header(update).is_key
        sizes[mode] = len(update)
        used = codecs_of(update)
        fb = dec.framebuffer
        assert fb is not None
        assert np.array_equal(crop(fb, TEXT), crop(frame, TEXT)), "text is exact at once"
        if mode is LossyMode.AUTO:
            assert {codec for codec, _ in used} == {RAW_BGRA_ID}
            assert np.array_equal(fb, frame)
            continue
        jpeg = [rect for codec, rect in used if codec == JPEG.id]
        assert jpeg, "photo tiles go JPEG in best speed"
        assert all(not r.intersect(PHOTO).is_empty() for r in jpeg)
        assert all(r.intersect(TEXT).is_empty() for r in jpeg)
        assert not np.array_equal(fb, frame)
        # still: the lossless refresh makes it exact
        clock.now += REFRESH_S
        for _ in range(3):
            dec.decode(enc.encode(frame))
            clock.now += 1 / 30
        assert dec.framebuffer is not None and np.array_equal(dec.framebuffer, frame)
        assert enc.refresh_due_in() is None
    assert sizes[LossyMode.SPEED] < sizes[LossyMode.AUTO] / 2


def test_switching_to_best_speed_sends_a_lossy_key_frame_and_back_a_lossless_one() -> None:
    frame = desktop()
    enc, dec = ScreenEncoder(lossy_codecs=LOSSY, clock=Clock()), ScreenDecoder()
    dec.decode(enc.encode(frame))
    enc.set_mode(LossyMode.SPEED)
    update = enc.encode(frame)
    assert parse_header(update).is_key
    assert JPEG.id in {codec for codec, _ in codecs_of(update)}
    enc.set_mode(LossyMode.QUALITY)
    update = enc.encode(frame)
    dec.decode(update)
    assert parse_header(update).is_key
    assert {codec for codec, _ in codecs_of(update)} == {RAW_BGRA_ID}
    assert dec.framebuffer is not None and np.array_equal(dec.framebuffer, frame)
