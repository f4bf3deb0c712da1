"""The codec slot: a codec registered from outside the package (here a fake lossy one,
as a VP8/JPEG module will be) is decoded through the decoder's own loop, unchanged;
unknown and unsupported codec ids are refused with a reason, and a key frame recovers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.raw_bgra import RAW_BGRA, RAW_BGRA_ID
from remoteapp.codec.rect_codec import CodecInfo, lookup, register, registered, unregister
from remoteapp.codec.update_format import (
    HEADER,
    CopyOp,
    CursorOp,
    Flag,
    Op,
    PixelsOp,
    UpdateHeader,
    pack_update,
)
from remoteapp.codec.zstd_stream import StreamCompressor
from remoteapp.errors import DecoderDesynchronized, MalformedUpdate
from tests.codec.frames import noise, texty

FAKE_ID, OFFLINE_ID, NOBODY_ID = 250, 251, 252


class Posterize:
    """Lossy: keeps the top 4 bits of blue, green and red, two channels per byte, with a
    one-byte header; alpha comes back opaque.  Counts its payloads, as a codec with state
    between updates (a video codec's reference picture) would keep something."""

    def __init__(self) -> None:
        self.decoded = 0

    def encode(self, pixels: Pixels) -> bytes:
        bgr = (pixels[..., :3] >> 4).reshape(-1)
        bgr = np.concatenate([bgr, np.zeros(len(bgr) % 2, np.uint8)])
        return b"P" + ((bgr[0::2] << 4) | bgr[1::2]).astype(np.uint8).tobytes()

    def decode_into(self, payload: memoryview, out: Pixels) -> None:
        h, w = out.shape[:2]
        if payload[:1] != b"P":
            raise MalformedUpdate("posterize payload without its header")
        packed = np.frombuffer(payload[1:], np.uint8)
        nibbles = np.stack([packed >> 4, packed & 15], axis=1).reshape(-1)[: h * w * 3]
        out[..., :3] = (nibbles.reshape(h, w, 3) << 4) | 8
        out[..., 3] = 255
        self.decoded += 1


def posterized(pixels: Pixels) -> Pixels:
    out = np.empty_like(pixels)
    out[..., :3] = (pixels[..., :3] & 0xF0) | 8
    out[..., 3] = 255
    return out


def _limits(width: int, height: int) -> tuple[int, int]:
    size = 1 + (width * height * 3 + 1) // 2
    return size, size


coders: list[Posterize] = []


def _new() -> Posterize:
    coders.append(Posterize())
    return coders[-1]


@pytest.fixture
def fake_codecs() -> Iterator[None]:
    register(CodecInfo(FAKE_ID, "posterize", True, True, _limits, _new))
    register(CodecInfo(OFFLINE_ID, "needs-a-gpu", True, False, _limits, _new))
    coders.clear()
    yield
    unregister(FAKE_ID)
    unregister(OFFLINE_ID)


class Sender:
    """Builds updates by hand, as a sender with the fake codec would, sharing one stream."""

    def __init__(self) -> None:
        self.stream = StreamCompressor()
        self.seq = 0

    def update(self, frame: Pixels, parts: list[tuple[Rect, int] | Op], key: bool = False) -> bytes:
        if key:
            self.stream.reset()
        ops: list[Op] = []
        payloads: list[bytes | memoryview] = []
        for part in parts:
            if not isinstance(part, tuple):
                ops.append(part)
                continue
            rect, codec = part
            block = np.ascontiguousarray(frame[rect.y : rect.bottom, rect.x : rect.right])
            payload = (Posterize() if codec != RAW_BGRA_ID else RAW_BGRA.new()).encode(block)
            payloads.append(payload)
            ops.append(PixelsOp(rect, codec, memoryview(payload).nbytes))
        body = self.stream.compress(payloads)
        raw = sum(op.length for op in ops if isinstance(op, PixelsOp))
        h, w = frame.shape[:2]
        flags = Flag.KEY if key else Flag(0)
        header = UpdateHeader(flags, self.seq, w, h, len(ops), len(body), raw)
        self.seq += 1
        return pack_update(header, ops, body)


def test_a_registered_lossy_codec_is_decoded_through_the_same_loop(fake_codecs: None) -> None:
    assert [c.name for c in registered()][:1] == ["raw-bgra"]
    assert lookup(FAKE_ID).lossy and not lookup(RAW_BGRA_ID).lossy
    desk, video = texty(120, 160, 1), noise(40, 64, 2)
    sender, dec = Sender(), ScreenDecoder()
    whole = Rect(0, 0, 160, 120)
    dec.decode(sender.update(desk, [(whole, RAW_BGRA_ID)], key=True))
    assert np.array_equal(dec.framebuffer, desk)

    frame = desk.copy()
    frame[50:90, 20:84] = video  # a video region goes lossy, the rest stays lossless
    frame[0:10, 0:160] = 0
    region = Rect(20, 50, 64, 40)
    result = dec.decode(
        sender.update(
            frame,
            [
                (region, FAKE_ID),
                (Rect(0, 0, 160, 10), RAW_BGRA_ID),
                CopyOp(20, 50, Rect(90, 50, 64, 40)),  # the lossy pixels, copied on screen
                CursorOp(3, 4),
            ],
        )
    )
    expected = frame.copy()
    expected[50:90, 20:84] = posterized(video)
    expected[50:90, 90:154] = posterized(video)
    assert np.array_equal(dec.framebuffer, expected)
    assert result.damage == [region, Rect(0, 0, 160, 10), Rect(90, 50, 64, 40)]
    assert result.cursor == CursorOp(3, 4)
    assert [c.decoded for c in coders] == [1]

    dec.decode(sender.update(frame, [(region, FAKE_ID)]))
    assert [c.decoded for c in coders] == [2]  # one coder per stream keeps its state
    dec.decode(sender.update(frame, [(whole, FAKE_ID)], key=True))
    assert [c.decoded for c in coders] == [2, 1]  # a key frame starts a fresh one
    assert np.array_equal(dec.framebuffer, posterized(frame))


def test_the_real_encoder_and_the_fake_codec_share_a_session(fake_codecs: None) -> None:
    """The viewer decodes ScreenEncoder's updates and a lossy sender's with one decoder."""
    frame = texty(64, 96, 3)
    dec = ScreenDecoder()
    dec.decode(ScreenEncoder().encode(frame))
    dec.decode(Sender().update(frame, [(Rect(0, 0, 96, 64), FAKE_ID)], key=True))
    assert np.array_equal(dec.framebuffer, posterized(frame))


@pytest.mark.parametrize(
    ("codec", "message"),
    [
        (NOBODY_ID, r"pixel codec 252 is unknown to this remoteapp \(it knows 0 raw-bgra"),
        (OFFLINE_ID, r"pixel codec 251 \(needs-a-gpu\) cannot run on this computer"),
    ],
)
def test_unknown_and_unsupported_codecs_are_refused_and_a_key_frame_recovers(
    fake_codecs: None, codec: int, message: str
) -> None:
    frame = texty(48, 64, 4)
    sender, dec = Sender(), ScreenDecoder()
    dec.decode(sender.update(frame, [(Rect(0, 0, 64, 48), RAW_BGRA_ID)], key=True))
    bad = bytearray(Sender().update(frame, [(Rect(0, 0, 8, 8), FAKE_ID)]))
    bad[HEADER.size + 1] = codec  # the PIXELS op's codec byte
    with pytest.raises(MalformedUpdate, match=message):
        dec.decode(bytes(bad))
    assert not coders  # refused before any coder ran or anything was decompressed
    with pytest.raises(DecoderDesynchronized):
        dec.decode(sender.update(frame, []))
    dec.decode(sender.update(frame, [(Rect(0, 0, 64, 48), RAW_BGRA_ID)], key=True))
    assert np.array_equal(dec.framebuffer, frame)


def test_a_codec_that_left_is_refused(fake_codecs: None) -> None:
    frame = texty(16, 16, 5)
    sender, dec = Sender(), ScreenDecoder()
    dec.decode(sender.update(frame, [(Rect(0, 0, 16, 16), FAKE_ID)], key=True))
    unregister(FAKE_ID)
    with pytest.raises(MalformedUpdate, match="unknown"):
        dec.decode(sender.update(frame, [(Rect(0, 0, 16, 16), FAKE_ID)]))


def test_a_payload_outside_the_codecs_limits_is_refused_before_decompressing(
    fake_codecs: None,
) -> None:
    frame = texty(16, 16, 6)
    update = Sender().update(frame, [(Rect(0, 0, 16, 16), FAKE_ID)], key=True)
    body = b"not zstd at all"
    header = UpdateHeader(Flag.KEY, 0, 16, 16, 1, len(body), 5)
    crafted = pack_update(header, [PixelsOp(Rect(0, 0, 16, 16), FAKE_ID, 5)], body)
    with pytest.raises(
        MalformedUpdate, match=r"posterize payload of 5 bytes .* \(allowed 385\.\.385"
    ):
        ScreenDecoder().decode(crafted)
    ScreenDecoder().decode(update)


def test_registering_a_taken_id_or_name_is_refused(fake_codecs: None) -> None:
    with pytest.raises(ValueError, match="codec id 0 is already 'raw-bgra'"):
        register(CodecInfo(RAW_BGRA_ID, "other", False, True, _limits, _new))
    with pytest.raises(ValueError, match="name 'posterize' is already registered"):
        register(CodecInfo(253, "posterize", True, True, _limits, _new))
    with pytest.raises(ValueError, match="does not fit"):
        register(CodecInfo(256, "too-big", True, True, _limits, _new))
    assert register(RAW_BGRA) is RAW_BGRA  # a module imported twice registers again, harmlessly


def test_docs_list_every_codec_the_package_registers() -> None:
    """docs/protocol.md's codec table matches the registry (ids are never reused)."""
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    table = doc.split("### Codecs", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| (\d+) \| ([a-z0-9-]+) \| `(\w+)\.py` \| (yes|no) \|", table, re.M)
    documented = [(int(i), name, module, lossy == "yes") for i, name, module, lossy in rows]
    actual = [(c.id, c.name, c.new.__module__.rsplit(".", 1)[1], c.lossy) for c in registered()]
    assert documented == actual
