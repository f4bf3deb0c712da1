"""Hostile or truncated VP8/JPEG payloads end in MalformedUpdate (a RemoteProtocolError),
never in an FFmpeg/libjpeg exception or a crash; a forged picture size is refused before
the decoder allocates it; and a key frame recovers the session."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.jpeg_codec import JPEG_ID, JpegCoder
from remoteapp.codec.update_format import Flag, PixelsOp, UpdateHeader, pack_update
from remoteapp.codec.vp8_codec import HEAD, KEY_FLAG, VP8_ID, Vp8Coder, available
from remoteapp.codec.zstd_stream import StreamCompressor
from remoteapp.errors import MalformedUpdate, RemoteProtocolError
from tests.codec.frames import texty
from tests.codec.test_lossy import scene

pytestmark = pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")

W, H = 64, 48


def _vp8_stream() -> list[bytes]:
    enc = Vp8Coder()
    return [enc.encode_stream(0, scene(t, H, W), pts_ms=33 * t) for t in range(3)]


VP8_PAYLOADS = _vp8_stream()
JPEG_PAYLOAD = JpegCoder().encode(scene(1, H, W))


def _decode_vp8(payloads: list[bytes]) -> None:
    dec = Vp8Coder()
    out = np.zeros((H, W, 4), np.uint8)
    for payload in payloads:
        dec.decode_into(memoryview(payload), out)


def test_valid_streams_decode() -> None:
    _decode_vp8(VP8_PAYLOADS)
    JpegCoder().decode_into(memoryview(JPEG_PAYLOAD), np.zeros((H, W, 4), np.uint8))


@pytest.mark.parametrize("index", [0, 1])
def test_every_truncation_is_refused_or_decoded(index: int) -> None:
    """Cut the key picture, or the inter picture after a good key, at every length."""
    good = VP8_PAYLOADS[:index]
    full = VP8_PAYLOADS[index]
    for cut in range(len(full)):
        with contextlib.suppress(MalformedUpdate):
            _decode_vp8([*good, full[:cut]])


def test_forged_key_picture_size_is_refused_before_decoding() -> None:
    key = bytearray(VP8_PAYLOADS[0])
    key[HEAD.size + 6 : HEAD.size + 10] = (16000).to_bytes(2, "little") * 2
    with pytest.raises(MalformedUpdate, match="16000x16000"):
        _decode_vp8([bytes(key)])


def test_inter_picture_without_its_key_is_refused() -> None:
    with pytest.raises(MalformedUpdate, match="without its key picture"):
        _decode_vp8([VP8_PAYLOADS[1]])


def test_jpeg_of_another_size_is_refused_before_decoding() -> None:
    big = JpegCoder().encode(np.zeros((H * 2, W, 4), np.uint8))
    with pytest.raises(MalformedUpdate, match="for a 64x48"):
        JpegCoder().decode_into(memoryview(big), np.zeros((H, W, 4), np.uint8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(["vp8-key", "vp8-inter", "jpeg"]),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=8),
    cut=st.integers(0, 10**6),
    junk=st.binary(max_size=64),
)
def test_mutated_payloads_never_escape_as_other_errors(
    which: str, flips: list[tuple[int, int]], cut: int, junk: bytes
) -> None:
    base = {"vp8-key": VP8_PAYLOADS[0], "vp8-inter": VP8_PAYLOADS[1], "jpeg": JPEG_PAYLOAD}
    data = bytearray(base[which])
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    data = data[: max(1, cut % (len(data) + 1))] + junk
    out = np.zeros((H, W, 4), np.uint8)
    try:
        if which == "jpeg":
            JpegCoder().decode_into(memoryview(bytes(data)), out)
        elif which == "vp8-key":
            _decode_vp8([bytes(data)])
        else:
            _decode_vp8([VP8_PAYLOADS[0], bytes(data)])
    except MalformedUpdate:
        pass


@settings(max_examples=100, deadline=None)
@given(payload=st.binary(min_size=0, max_size=300), codec=st.sampled_from([VP8_ID, JPEG_ID]))
def test_screen_decoder_refuses_random_lossy_payloads_then_recovers(
    payload: bytes, codec: int
) -> None:
    """Through the decoder's own loop: a RemoteProtocolError, then a key frame recovers."""
    if codec == VP8_ID and len(payload) > HEAD.size:
        payload = bytes([0, payload[1] & KEY_FLAG]) + payload[2:]
    enc = ScreenEncoder()
    dec = ScreenDecoder()
    frame = texty(H, W, 1)
    dec.decode(enc.encode(frame))
    body = StreamCompressor().compress([payload])
    op = PixelsOp(Rect(0, 0, W, H), codec, len(payload))
    update = pack_update(UpdateHeader(Flag.KEY, 7, W, H, 1, len(body), len(payload)), [op], body)
    with contextlib.suppress(RemoteProtocolError):
        dec.decode(update)
    enc.request_key_frame()
    dec.decode(enc.encode(frame))
    assert np.array_equal(dec.framebuffer, frame)
