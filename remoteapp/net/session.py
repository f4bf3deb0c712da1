"""The remote-session protocol between agent and customer, sans-IO (like h11).

Bytes in (``receive_data``), events out (``next_event``), events in (``send``), bytes
out.  No sockets, threads or Qt: the app's network thread, the tests' in-memory pipes
and real TCP all drive the same class.  Messages ride on ``remotewire.framing``
frames (types 16 and up); the wire layout of each is in ``docs/protocol.md``.

Every message has a size bound and a sender, checked from its frame header before its
payload is buffered (``FrameReader``'s ``check``); a screen update larger than one frame travels as
chunks, reassembled up to ``max_update`` bytes.  The customer may have at most ``window``
updates unacknowledged (credit flow control): a slow link lowers the frame rate instead of
growing queues.  Small updates (a typed key's) have a window of their own, ``small_window``
of them, so that an agent may hold its acks and send one for several (``HELD_ACKS``, which
the customer announces in its HELLO): the customer's reader thread then wakes once for
several updates, not once for each.

Each Hello carries the screen update format its sender speaks (``remoteapp.codec``); a
peer with another one, or none (remoteapp before format 2), is refused with a reason
that says which side must update, readable on either side as the Bye reason.
"""

from __future__ import annotations

import struct
from collections import deque

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.in_flight import new_books
from remoteapp.net.message_codec import decode, encode
from remoteapp.net.messages import (
    BUTTONS,
    CHUNK,
    DEFAULT_MAX_UPDATE,
    DEFAULT_WINDOW,
    EVENT_NAME,
    HELD_ACKS,
    LEGACY_SMALL_WINDOW,
    MAX_PAYLOAD,
    MODIFIERS,
    QUALITY_MODES,
    SMALL_UPDATE,
    SMALL_WINDOW,
    VERSION,
    WIDE_SMALL_WINDOW,
    Bye,
    Clipboard,
    ConnectionClosed,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    MonitorInfo,
    Msg,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    SelectMonitor,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role, State, next_state
from remotewire.errors import OversizeFrame
from remotewire.framing import HEADER, NEED_DATA, FrameReader, NeedData, pack_frame

# The messages are part of this module's interface: callers import them from here.
__all__ = [
    "BUTTONS",
    "CHUNK",
    "DEFAULT_MAX_UPDATE",
    "DEFAULT_WINDOW",
    "MAX_PAYLOAD",
    "MODIFIERS",
    "QUALITY_MODES",
    "VERSION",
    "Bye",
    "Clipboard",
    "ConnectionClosed",
    "Event",
    "Hello",
    "Key",
    "KeyFrameRequest",
    "MonitorInfo",
    "Msg",
    "Ping",
    "PointerButton",
    "PointerMove",
    "Pong",
    "ScreenInfo",
    "ScreenUpdate",
    "SelectMonitor",
    "SessionConnection",
    "SetQuality",
    "Text",
    "UpdateAck",
    "Wheel",
]

_CHUNK_HEAD = struct.Struct(">IB")
#: updates an agent keeps unacked at most: a customer past its credits is broken or hostile
MAX_UNACKED = 64
_FIRST, _LAST = 1, 2
#: frame type -> (message, its payload limit, its event's name), for each header
_BY_TYPE: dict[int, tuple[Msg, int, str]] = {m: (m, MAX_PAYLOAD[m], EVENT_NAME[m]) for m in Msg}


class SessionConnection:
    """One side of a session.  Not thread-safe: one owner drives it."""

    def __init__(
        self,
        role: Role,
        *,
        max_update: int = DEFAULT_MAX_UPDATE,
        window: int = DEFAULT_WINDOW,
        small_window: int = SMALL_WINDOW,
    ) -> None:
        self.our_role = role
        self.our_state = State.HANDSHAKE
        self.their_state = State.HANDSHAKE
        self.peer_hello: Hello | None = None
        self._reader = FrameReader(max(MAX_PAYLOAD.values()), check=self._check_header)
        self._max_update = max_update
        self._in_flight = new_books(window, small_window)  # (customer) sent, not acked
        self._unacked: deque[int] = deque()  # (agent) seqs received, not yet acknowledged
        self._assembly: bytearray | None = None
        self._assembly_seq = 0
        self._eof = False
        self._closed_event_sent = False
        self._bye_reason = ""

    # -- flow control

    @property
    def credits(self) -> int:
        """Updates the customer may still send before an ack comes back: ``window`` less
        those in flight, or while all in flight are small, ``small_window`` less them."""
        return self._in_flight.credits

    @property
    def held_acks(self) -> bool:
        """(Agent) the customer takes cumulative, held acks: its HELLO says so."""
        hello = self.peer_hello
        return hello is not None and HELD_ACKS in hello.capabilities

    @property
    def peer_small_window(self) -> int:
        """(Agent) the customer's small window, as its HELLO says (an older one: 8)."""
        hello = self.peer_hello
        wide = hello is not None and WIDE_SMALL_WINDOW in hello.capabilities
        return SMALL_WINDOW if wide else LEGACY_SMALL_WINDOW

    def can_send_update(self) -> bool:
        return self.our_state is State.ACTIVE and self.credits > 0

    # -- sending

    def send(self, event: Event) -> bytes:
        """Bytes for ``event``; LocalProtocolError if this side may not send it now."""
        if type(event) is ScreenUpdate:
            small = self.small_update(event.seq, event.data)
            if small is not None:
                return small
        name = type(event).__name__
        new_state = next_state(self.our_state, self.our_role, name)
        if new_state is None:
            raise LocalProtocolError(
                f"{self.our_role.value} cannot send {name} in state {self.our_state.value}"
            )
        if isinstance(event, Hello) and event.role is not self.our_role:
            raise LocalProtocolError("Hello must carry our own role")
        if isinstance(event, Hello) and event.update_format != UPDATE_FORMAT:
            raise LocalProtocolError(f"this remoteapp speaks update format {UPDATE_FORMAT}")
        if isinstance(event, ScreenUpdate):
            if self.credits <= 0:
                raise LocalProtocolError("no credit: wait for the viewer's ack")
            if not 0 <= event.seq <= 0xFFFFFFFF:
                raise LocalProtocolError(f"update seq {event.seq} is not a u32")
            data = self._pack_update(event)
            if not self._in_flight.book(event.seq, len(event.data) > SMALL_UPDATE):
                raise LocalProtocolError("no credit: wait for the viewer's ack")
        else:
            msg, payload = encode(event)
            if len(payload) > MAX_PAYLOAD[msg]:
                raise LocalProtocolError(f"{name} of {len(payload)} bytes is over its limit")
            data = pack_frame(msg, payload, max_payload=MAX_PAYLOAD[msg])
            if isinstance(event, UpdateAck):  # (last: a refused ack changes nothing)
                self._check_ack(event)
        self.our_state = new_state
        return data

    def small_update(self, seq: int, data: bytes) -> bytes | None:
        """``send(ScreenUpdate(seq, data))`` in the customer's common case (a typed key's
        update: one frame, a credit free) without the general path's steps: the same
        bytes and books.  None, nothing done, otherwise (``send`` then takes it)."""
        if (
            self.our_state is not State.ACTIVE
            or self.our_role is not Role.CUSTOMER
            or len(data) > min(CHUNK, SMALL_UPDATE, self._max_update)
            or not 0 <= seq <= 0xFFFFFFFF
        ):
            return None
        head = HEADER.pack(5 + len(data), Msg.UPDATE_CHUNK)
        framed = head + _CHUNK_HEAD.pack(seq, _FIRST | _LAST) + data
        return framed if self._in_flight.book(seq, False) else None  # (booked last)

    def _check_ack(self, event: UpdateAck) -> None:
        """(Agent) an ack covers updates received and not acked yet: one by one, in order,
        unless the customer takes cumulative, held acks."""
        if event.seq not in self._unacked:
            raise LocalProtocolError(f"update {event.seq} is not received or already acked")
        if not self.held_acks and (event.seq != self._unacked[0] or event.held_us):
            raise LocalProtocolError("this customer takes acks one by one, in order, unheld")
        while self._unacked.popleft() != event.seq:
            pass

    def _pack_update(self, event: ScreenUpdate) -> bytes:
        if len(event.data) > self._max_update:
            raise LocalProtocolError(f"update of {len(event.data)} bytes is over the limit")
        parts = []
        view = memoryview(event.data)
        count = max(1, -(-len(view) // CHUNK))
        for i in range(count):
            flags = (_FIRST if i == 0 else 0) | (_LAST if i == count - 1 else 0)
            payload = _CHUNK_HEAD.pack(event.seq, flags) + view[i * CHUNK : (i + 1) * CHUNK]
            parts.append(pack_frame(Msg.UPDATE_CHUNK, payload, max_payload=5 + CHUNK))
        return b"".join(parts)

    # -- receiving

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` means the stream ended."""
        if not data:
            self._eof = True
        else:
            self._reader.receive_data(data)

    def next_event(self) -> Event | ConnectionClosed | NeedData:
        """The next event, NEED_DATA, or ConnectionClosed once; RemoteProtocolError if the
        peer broke the protocol (end the session with that error's message as reason)."""
        while True:  # (a loop over an update's chunks: a record holds thousands of them)
            frame = self._reader.next_frame()
            if frame is NEED_DATA:
                if self._eof:
                    return self._closed()
                return NEED_DATA
            msg = _BY_TYPE[frame.type][0]  # (its header passed _check_header)
            if msg is not Msg.UPDATE_CHUNK:
                event: Event = decode(msg, frame.payload)
                break
            chunked = self._take_chunk(frame.payload)
            if chunked is not None:
                event = chunked
                break
        self._their_transition(event)
        return event

    def _check_header(self, frame_type: int, length: int) -> None:
        """Refuses a frame from its header, before its payload is buffered: after Bye, of
        an unknown type, over its type's MAX_PAYLOAD, or a message this peer may not send
        now (a screen update: at its first chunk, not after 127 MiB)."""
        if self.their_state is State.CLOSED:
            raise RemoteProtocolError("peer sent data after Bye")
        known = _BY_TYPE.get(frame_type)
        if known is None:
            raise RemoteProtocolError(f"unknown message type {frame_type}")
        msg, limit, name = known
        if length > limit:
            raise OversizeFrame(f"{msg.name} of {length} bytes is over its limit of {limit}")
        peer = self.our_role.peer
        if next_state(self.their_state, peer, name) is None:
            raise RemoteProtocolError(
                f"{peer.value} may not send {name} in state {self.their_state.value}"
            )

    def _closed(self) -> ConnectionClosed | NeedData:
        if self._closed_event_sent:
            return NEED_DATA
        self._closed_event_sent = True
        clean = self.their_state is State.CLOSED and self._reader.buffered == 0
        self.their_state = State.CLOSED
        if clean:
            return ConnectionClosed(True, self._bye_reason)
        return ConnectionClosed(False, "connection lost")

    def _take_chunk(self, payload: bytes) -> ScreenUpdate | None:
        if len(payload) < _CHUNK_HEAD.size:
            raise RemoteProtocolError("update chunk without its header")
        seq, flags = _CHUNK_HEAD.unpack_from(payload)
        data = payload[_CHUNK_HEAD.size :]
        if flags & ~(_FIRST | _LAST):
            raise RemoteProtocolError(f"unknown update chunk flags {flags:#x}")
        if flags & _FIRST:
            if self._assembly is not None:
                raise RemoteProtocolError("new update started before the last one ended")
            self._assembly, self._assembly_seq = bytearray(), seq
        elif self._assembly is None or seq != self._assembly_seq:
            raise RemoteProtocolError("update chunk out of sequence")
        if len(self._assembly) + len(data) > self._max_update:
            raise RemoteProtocolError(f"update exceeds {self._max_update} bytes")
        self._assembly += data
        if not flags & _LAST:
            return None
        done = ScreenUpdate(seq, bytes(self._assembly))
        self._assembly = None
        return done

    def _their_transition(self, event: Event) -> None:
        name = type(event).__name__
        peer = self.our_role.peer
        new_state = next_state(self.their_state, peer, name)
        if new_state is None:
            raise RemoteProtocolError(
                f"{peer.value} may not send {name} in state {self.their_state.value}"
            )
        if isinstance(event, Hello):
            if event.version != VERSION:
                raise RemoteProtocolError(f"peer speaks session protocol {event.version}")
            if event.role is not peer:
                raise RemoteProtocolError(f"both sides claim to be {event.role.value}")
            if event.update_format != UPDATE_FORMAT:
                raise RemoteProtocolError(_format_mismatch(peer, event.update_format))
            self.peer_hello = event
        elif isinstance(event, UpdateAck):  # cumulative: every update up to ``seq``
            if not self._in_flight.ack(event.seq):
                raise RemoteProtocolError(f"ack for update {event.seq} that is not outstanding")
        elif isinstance(event, ScreenUpdate):
            if len(self._unacked) >= MAX_UNACKED:
                raise RemoteProtocolError(f"over {MAX_UNACKED} updates sent without credit")
            self._unacked.append(event.seq)
        elif isinstance(event, Bye):
            self._bye_reason = event.reason
        self.their_state = new_state


def _format_mismatch(peer: Role, theirs: int) -> str:
    """Names the side that must update, so the text reads right on both sides."""
    if theirs < UPDATE_FORMAT:
        older, old, newer, new = peer, theirs, peer.peer, UPDATE_FORMAT
    else:
        older, old, newer, new = peer.peer, UPDATE_FORMAT, peer, theirs
    return (
        f"the {older.value} runs an older remoteapp (screen update format {old}, the "
        f"{newer.value}'s uses {new}): update remoteapp on the {older.value}'s computer"
    )
