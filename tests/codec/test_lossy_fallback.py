"""Without a VP8 decoder (PyAV built without libvpx) the agent does not list ``vp8``, the
customer's encoder never sends it, and the picture stays exact: never a black screen."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import av
import numpy as np
import pytest

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.lossy import decodable
from remoteapp.codec.update_format import PixelsOp, parse_header, parse_ops
from remoteapp.codec.vp8_codec import VP8_ID, available
from tests.codec.frames import texty
from tests.codec.test_lossy import VIDEO, Clock, put, scene


@pytest.fixture
def no_libvpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PyAV as a build without libvpx behaves (a boundary we do not own)."""

    def create(name: str, mode: str = "r") -> object:
        raise av.error.DecoderNotFoundError(-1, f"codec {name!r} not found")

    monkeypatch.setattr(av.CodecContext, "create", create)
    available.cache_clear()
    yield
    available.cache_clear()


def test_without_libvpx_the_agent_lists_jpeg_only_and_the_session_stays_exact(
    no_libvpx: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="remoteapp.codec")
    caps = decodable()
    assert "vp8" not in caps
    assert "codec event=vp8-unavailable" in caplog.text
    clock = Clock()
    enc, dec = ScreenEncoder(lossy_codecs=caps, clock=clock), ScreenDecoder()
    desktop = texty(480, 640, 3)
    for t in range(30):
        frame = desktop.copy()
        put(frame, VIDEO, scene(t))
        update = enc.encode(frame)
        dec.decode(update)
        ops = parse_ops(update, parse_header(update))
        assert VP8_ID not in {op.codec for op in ops if isinstance(op, PixelsOp)}
        clock.now += 1 / 30
    for _ in range(40):  # still: refreshed to the exact picture
        dec.decode(enc.encode(frame))
        clock.now += 1 / 30
    assert np.array_equal(dec.framebuffer, frame)


def test_with_libvpx_the_agent_lists_both() -> None:
    assert decodable() == {"vp8", "jpeg"}
