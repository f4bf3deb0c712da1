"""The record layer every session message travels in after the handshake, sans-IO.

``seal(plaintext)`` turns bytes into records (split at ``max_plaintext``);
``receive_data`` takes the peer's bytes and ``next_record`` gives back their plaintext,
or ``NEED_DATA``.  The session protocol above sees one byte stream, as before.

One record: ``length u32 BE | ChaCha20-Poly1305 ciphertext + 16-byte tag``, the 4-byte
header as associated data.  Each direction has its own key (from the Noise split) and
its own counter: the nonce is 4 zero bytes and the record number (u64 little-endian, as
in Noise), never sent, so a record replayed, dropped or reordered fails like one that was
altered.  After ``rekey_every`` records a direction's key becomes Noise's ``REKEY(k)``
(the first 32 bytes of encrypting 32 zero bytes at nonce 2^64-1) and its counter starts
again at 0.  A length over the bound is refused from the header, before buffering.

Each direction's key and counter live in one object: ``_records.Direction`` (C, on
OpenSSL's libcrypto, an optional extension built by setup.py) or, without it,
``_Direction`` here (``cryptography``); both give the same bytes (one algorithm, no
choices in it).

Any failure raises ``ChannelBroken``; the session ends, there is no plaintext fallback.
That includes the crypto library's own failures (the C direction's ``RuntimeError``,
``cryptography``'s ``InternalError``), mapped here: a direction that failed part-way may
have advanced its counter, so the channel refuses that direction from then on.
Once a tag fails, a few neighbouring record numbers are tried (only then: the cost is
on the failure path) to tell a replay or a reorder from an alteration in the reason.
At the end of the stream ``next_record`` returns ``b""`` once (records are never empty),
or raises if the stream stopped inside a record.
"""

from __future__ import annotations

import struct
from typing import Final, NoReturn, Protocol

from cryptography.exceptions import InternalError, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from remoteapp.secure.errors import ChannelBroken
from remotewire.framing import NEED_DATA, NeedData

try:  # the C direction (setup.py); without it, the same in Python below
    from remoteapp.secure import _records as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

__all__ = ["MAX_PLAINTEXT", "NEED_DATA", "REKEY_EVERY", "TAG", "Channel", "native", "rekey"]

HEADER: Final = struct.Struct(">I")
TAG: Final = 16
MAX_PLAINTEXT: Final = 256 << 10  #: bytes of plaintext per record
MAX_RECORD: Final = 1 << 30  #: the most ``max_plaintext`` may be set to
REKEY_EVERY: Final = 1 << 20  #: records per key and direction
DIAGNOSE: Final = 16  #: record numbers tried either side of a failed one, for the reason
_NONCE_PAD: Final = b"\0\0\0\0"
_MAX_NONCE: Final = (1 << 64) - 1
#: what a direction raises when the library under it fails (not a bad record)
_LIBRARY_FAILED: Final = (RuntimeError, InternalError)


def _nonce(counter: int) -> bytes:
    return _NONCE_PAD + counter.to_bytes(8, "little")


def rekey(key: bytes) -> bytes:
    """Noise's REKEY(k) for ChaChaPoly."""
    return ChaCha20Poly1305(key).encrypt(_nonce(_MAX_NONCE), bytes(32), b"")[:32]


class Direction(Protocol):
    """One direction's key and record counter (``_records.Direction`` or ``_Direction``)."""

    @property
    def counter(self) -> int: ...
    @property
    def epoch(self) -> int: ...
    def seal(self, plaintext: bytes | bytearray | memoryview, max_plaintext: int) -> bytearray:
        """Records carrying ``plaintext``, advancing the counter per record."""

    def open(self, header: bytes, sealed: bytes | memoryview) -> bytes | None:
        """The record's plaintext (advancing), or None if its tag fails."""

    def opens_at(self, counter: int, header: bytes, sealed: bytes | memoryview) -> bool:
        """Whether the record opens at ``counter`` in the current key (diagnosis)."""


class _Direction:
    """A key and its record counter, with ``cryptography`` (no C extension)."""

    def __init__(self, key: bytes, rekey_every: int) -> None:
        self.key = key
        self.aead = ChaCha20Poly1305(key)
        self.counter = 0
        self.epoch = 0
        self.rekey_every = rekey_every

    def advance(self) -> None:
        self.counter += 1
        if self.counter >= self.rekey_every:
            self.key = rekey(self.key)
            self.aead = ChaCha20Poly1305(self.key)
            self.counter = 0
            self.epoch += 1

    def seal(self, plaintext: bytes | bytearray | memoryview, max_plaintext: int) -> bytearray:
        """Encrypted straight into one buffer (no copy per record)."""
        view = memoryview(plaintext)
        count = -(-len(view) // max_plaintext)
        out = bytearray(len(view) + count * (HEADER.size + TAG))
        target = memoryview(out)
        pos = 0
        for start in range(0, len(view), max_plaintext):
            chunk = view[start : start + max_plaintext]
            HEADER.pack_into(out, pos, len(chunk) + TAG)
            header = bytes(target[pos : pos + HEADER.size])
            pos += HEADER.size
            end = pos + len(chunk) + TAG
            self.aead.encrypt_into(_nonce(self.counter), chunk, header, target[pos:end])
            pos = end
            self.advance()
        target.release()
        return out

    def open(self, header: bytes, sealed: bytes | memoryview) -> bytes | None:
        try:
            plaintext = self.aead.decrypt(_nonce(self.counter), sealed, header)
        except InvalidTag:
            return None
        self.advance()
        return plaintext

    def opens_at(self, counter: int, header: bytes, sealed: bytes | memoryview) -> bool:
        try:
            self.aead.decrypt(_nonce(counter), sealed, header)
        except InvalidTag:
            return False
        return True


def direction(key: bytes, rekey_every: int) -> Direction:
    """The C direction where it was built, else the Python one."""
    if native is not None:
        return native.Direction(key, rekey_every)
    return _Direction(key, rekey_every)


class Channel:
    """Both directions of one secured session.  ``seal`` and the receiving side may be
    driven by two different threads (the writer and the reader): they share no state."""

    def __init__(
        self,
        send_key: bytes,
        receive_key: bytes,
        *,
        max_plaintext: int = MAX_PLAINTEXT,
        rekey_every: int = REKEY_EVERY,
    ) -> None:
        if not 0 < rekey_every <= 1 << 62:
            raise ValueError("rekey_every out of range")
        if not 0 < max_plaintext <= MAX_RECORD:  # (the C direction's bound too)
            raise ValueError("max_plaintext out of range")
        self.max_plaintext = max_plaintext
        self._send = direction(send_key, rekey_every)
        self._receive = direction(receive_key, rekey_every)
        self._buffer = bytearray()
        self._start = 0  #: where the unread part of _buffer begins
        self._eof = False
        self._eof_told = False
        self._broken: ChannelBroken | None = None  #: the receiving side's
        self._seal_broken: ChannelBroken | None = None
        self.records_sent = 0
        self.records_received = 0

    @property
    def buffered(self) -> int:
        """Received bytes not yet returned as plaintext."""
        return len(self._buffer) - self._start

    # -- sending

    def seal(self, plaintext: bytes | bytearray | memoryview) -> bytearray:
        """Records carrying ``plaintext`` (nothing for empty input), in one buffer;
        raises ``ChannelBroken`` if the crypto library fails (then on every later call)."""
        if self._seal_broken is not None:
            raise self._seal_broken
        try:
            sealed = self._send.seal(plaintext, self.max_plaintext)
        except _LIBRARY_FAILED as exc:
            self._seal_broken = ChannelBroken(
                f"the encrypted stream broke: the crypto library failed to seal ({exc})"
            )
            raise self._seal_broken from exc
        self.records_sent += -(-len(plaintext) // self.max_plaintext)
        return sealed

    # -- receiving

    def receive_data(self, data: bytes | bytearray) -> None:
        """Feed the peer's bytes; ``b""`` means the stream ended."""
        if not data:
            self._eof = True
            return
        if self._start:  # drop what was read, once per arrival rather than per record
            del self._buffer[: self._start]
            self._start = 0
        self._buffer += data

    def next_record(self) -> bytes | NeedData:
        """The next record's plaintext, ``NEED_DATA``, or ``b""`` once at the end of the
        stream; raises ``ChannelBroken``."""
        if self._broken is not None:
            raise self._broken
        start = self._start
        if len(self._buffer) - start < HEADER.size:
            return self._at_end()
        (length,) = HEADER.unpack_from(self._buffer, start)
        if not TAG < length <= self.max_plaintext + TAG:
            self._break(f"a record header announces {length} bytes (altered in transit)")
        end = start + HEADER.size + length
        if len(self._buffer) < end:
            return self._at_end()
        header = bytes(self._buffer[start : start + HEADER.size])
        failed: Exception | None = None
        with memoryview(self._buffer) as view, view[start + HEADER.size : end] as sealed:
            try:
                plaintext = self._receive.open(header, sealed)
                if plaintext is None:
                    reason = self._diagnose(sealed, header)
            except _LIBRARY_FAILED as exc:
                plaintext, failed = None, exc
                reason = f"the crypto library failed to open a record ({exc})"
        if plaintext is None:  # (the views are released: the buffer may be cleared)
            self._break(reason, failed)
        self._start = end
        self.records_received += 1
        return plaintext

    def _at_end(self) -> bytes | NeedData:
        if not self._eof:
            return NEED_DATA
        if self.buffered:
            self._break(  # a crash or a cut: we cannot tell which, but it is no clean end
                f"connection lost inside an encrypted record ({self.buffered} bytes cut short)",
                whole=True,
            )
        if self._eof_told:
            return NEED_DATA
        self._eof_told = True
        return b""

    def _diagnose(self, sealed: memoryview, header: bytes) -> str:
        """Why the record at the current counter failed: try its neighbours."""
        here = self._receive.counter
        for other in range(max(0, here - DIAGNOSE), here + DIAGNOSE + 1):
            if other == here or not self._receive.opens_at(other, header, sealed):
                continue
            if other < here:
                return f"record {other} was replayed (expected record {here})"
            return f"records were dropped or reordered (got record {other}, expected {here})"
        return f"record {here} failed authentication (altered in transit)"

    def _break(
        self, reason: str, cause: BaseException | None = None, *, whole: bool = False
    ) -> NoReturn:
        self._broken = ChannelBroken(reason if whole else f"the encrypted stream broke: {reason}")
        self._buffer.clear()
        self._start = 0
        raise self._broken from cause
