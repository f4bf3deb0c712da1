"""decode(encode(frames)) reproduces every frame bit for bit, whatever happens on screen."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import LocalProtocolError
from tests.codec.frames import noise, texty


def roundtrip(frames: list[Pixels], **kw: object) -> tuple[ScreenEncoder, list[bytes]]:
    enc, dec = ScreenEncoder(**kw), ScreenDecoder()  # type: ignore[arg-type]
    updates = []
    for i, frame in enumerate(frames):
        update = enc.encode(frame, cursor=(i, -i))
        updates.append(update)
        result = dec.decode(update)
        assert dec.framebuffer is not None
        assert np.array_equal(dec.framebuffer, frame), f"frame {i} differs after decode"
        assert result.cursor is not None and (result.cursor.x, result.cursor.y) == (i, -i)
    return enc, updates


# -- hypothesis: random sizes, random sequences of screen events

sizes = st.tuples(st.integers(1, 160), st.integers(1, 200))


@st.composite
def screen_events(draw: st.DrawFn) -> list[Pixels]:
    h, w = draw(sizes)
    seed = draw(st.integers(0, 2**16))
    frame = texty(h, w, seed) if draw(st.booleans()) else noise(h, w, seed)
    frames = [frame]
    rng = np.random.default_rng(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["same", "fill", "noise", "scroll", "move", "resize"]))
        frame = frame.copy()
        h, w = frame.shape[:2]
        x0, x1 = sorted(draw(st.tuples(st.integers(0, w), st.integers(0, w))))
        y0, y1 = sorted(draw(st.tuples(st.integers(0, h), st.integers(0, h))))
        if kind == "fill":
            frame[y0:y1, x0:x1] = draw(st.tuples(*[st.integers(0, 255)] * 4))
        elif kind == "noise":
            frame[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0, 4), dtype=np.uint8)
        elif kind == "scroll" and y1 - y0 > 2:
            dy = draw(st.integers(1, y1 - y0 - 1))
            frame[y0 : y1 - dy, x0:x1] = frame[y0 + dy : y1, x0:x1].copy()
            frame[y1 - dy : y1, x0:x1] = rng.integers(0, 256, (dy, x1 - x0, 4), dtype=np.uint8)
        elif kind == "move":
            dx, dy = draw(st.integers(-20, 20)), draw(st.integers(-20, 20))
            block = frame[y0:y1, x0:x1].copy()
            nx0, ny0 = min(max(0, x0 + dx), w), min(max(0, y0 + dy), h)
            nx1, ny1 = min(w, nx0 + block.shape[1]), min(h, ny0 + block.shape[0])
            frame[ny0:ny1, nx0:nx1] = block[: ny1 - ny0, : nx1 - nx0]
        elif kind == "resize":
            nh, nw = draw(sizes)
            frame = texty(nh, nw, seed + 1)
        frames.append(frame)
    return frames


@given(screen_events())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_sequence_round_trips_exactly(frames: list[Pixels]) -> None:
    roundtrip(frames)


@given(screen_events())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_without_motion_detection(frames: list[Pixels]) -> None:
    roundtrip(frames, detect_motion=False)


# -- sizes the tile grid does not divide, and the big one


@pytest.mark.parametrize(
    ("h", "w"), [(1, 1), (1, 500), (500, 1), (63, 65), (64, 64), (65, 63), (129, 191), (7, 3)]
)
def test_odd_sizes(h: int, w: int) -> None:
    a = texty(h, w, 1)
    b = a.copy()
    b[h // 2 :, w // 3 :] = 7
    c = b.copy()
    c[: h // 2 + 1, : w // 2 + 1] = 200
    roundtrip([a, b, c, c.copy()])


def test_4k_frame_and_a_change() -> None:
    a = texty(2160, 3840, 2)
    b = a.copy()
    b[1000:1300, 2000:2600] = noise(300, 600, 3)
    roundtrip([a, b])


def test_size_change_sends_a_key_frame_and_the_decoder_follows() -> None:
    frames = [texty(300, 400, 1), texty(300, 400, 1), texty(240, 320, 2), texty(301, 399, 3)]
    enc, _ = roundtrip(frames)
    assert enc.last_stats is not None and enc.last_stats.key


def test_key_frame_on_request() -> None:
    enc, dec = ScreenEncoder(), ScreenDecoder()
    frame = texty(100, 100)
    dec.decode(enc.encode(frame))
    dec.decode(enc.encode(frame))
    assert enc.last_stats is not None and not enc.last_stats.key
    enc.request_key_frame()
    fresh = ScreenDecoder()  # a new viewer joins: it can start from the key frame
    fresh.decode(enc.encode(frame))
    assert enc.last_stats is not None and enc.last_stats.key
    assert np.array_equal(fresh.framebuffer, frame)


# -- what the encoder sends for typical screen events


def test_static_frame_costs_a_header() -> None:
    frame = texty(720, 1280)
    enc, updates = roundtrip([frame, frame.copy(), frame.copy()])
    assert enc.last_stats is not None and enc.last_stats.rects == 0
    assert len(updates[-1]) < 80


def test_scroll_is_sent_as_a_copy_plus_the_new_strip() -> None:
    page = texty(1400, 1000, 5)
    frames = [page[i * 20 : i * 20 + 700].copy() for i in range(6)]
    enc, updates = roundtrip(frames)
    assert enc.last_stats is not None and enc.last_stats.copies == 1
    strip_raw = 20 * 1000 * 4
    assert enc.last_stats.raw_bytes <= strip_raw * 1.2  # the exposed strip, not the page
    assert max(len(u) for u in updates[1:]) < strip_raw // 4


def test_dragged_window_is_sent_as_a_copy() -> None:
    desk = texty(600, 900, 7)
    win = noise(200, 300, 8)
    frames = []
    for i in range(5):
        frame = desk.copy()
        frame[50 + i * 9 : 250 + i * 9, 40 + i * 15 : 340 + i * 15] = win
        frames.append(frame)
    enc, updates = roundtrip(frames)
    assert enc.last_stats is not None and enc.last_stats.copies == 1
    assert len(updates[-1]) < win.nbytes // 20


def test_a_change_seen_before_costs_almost_nothing() -> None:
    """The zstd context persists: a blinking caret repeats earlier bytes."""
    base = texty(400, 600, 9)
    with_caret = base.copy()
    with_caret[100:118, 300:302] = 0
    _, updates = roundtrip([base, with_caret, base, with_caret, base, with_caret])
    assert len(updates[-1]) < 80


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 10, 3), np.uint8),
        np.zeros((10, 10, 4), np.float32),
        np.zeros((10, 10), np.uint8),
        np.zeros((0, 10, 4), np.uint8),
        np.zeros((10, 20, 4), np.uint8)[:, ::2],
        np.zeros((10, 16385, 4), np.uint8),
    ],
)
def test_bad_frames_are_local_errors(bad: Pixels) -> None:
    with pytest.raises(LocalProtocolError):
        ScreenEncoder().encode(bad)


def test_search_backoff_over_a_video_still_catches_a_later_scroll() -> None:
    """Misses over the same region skip the search for a while, but never for long."""
    from remoteapp.codec.search_backoff import MOTION_MAX_BACKOFF

    page = texty(1400, 600, 11)
    frames = [page[:500].copy()]
    frames += [noise(500, 600, seed) for seed in range(12)]  # a video: nothing to copy
    frames += [page[i * 20 : i * 20 + 500].copy() for i in range(MOTION_MAX_BACKOFF + 2)]
    enc, dec = ScreenEncoder(), ScreenDecoder()
    copies = []
    for frame in frames:
        dec.decode(enc.encode(frame))
        assert np.array_equal(dec.framebuffer, frame)
        assert enc.last_stats is not None
        copies.append(enc.last_stats.copies)
    assert sum(copies[:13]) == 0
    assert any(copies[-2:]), "the scroll was not found within the backoff limit"
