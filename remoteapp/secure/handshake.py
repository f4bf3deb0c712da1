"""The end-to-end key exchange between agent and customer, sans-IO.

Runs right after the relay says PAIRED, before the session's Hello.  Bytes in
(``receive_data``), bytes out (``data_to_send``), and once it is over ``result`` holds
the keys (or ``receive_data`` raised why it failed).  No sockets, threads or clocks: the
caller bounds the wait (``remoteapp.session.secure_link``).

Password mode: SPAKE2 (agent ``SPAKE2_A``, customer ``SPAKE2_B``, identities naming the
role and the session) on the whole password; its key, through HKDF with the server's
per-session salt, is the pre-shared key of a Noise ``NNpsk0`` handshake.  Vouched mode:
the server's session key, through HKDF with the salt, is that pre-shared key directly.
The agent is the Noise initiator.  The Noise prologue binds the protocol version, the
session id, both roles, the partner id and the mode, so two sides that disagree on any
of them cannot finish.  The Noise handshake hash gives a 6-digit verification code, the
same on both sides, for the two people to compare.

Messages are ``kind u8 | length u16 | payload`` with exact sizes per kind; ABORT (a
reason word) tells the other side why we gave up, so both can show a clear message.  The
wire layout is in docs/protocol.md.
"""

from __future__ import annotations

import enum
import hashlib
import struct
from dataclasses import dataclass
from typing import Final, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from noise.connection import NoiseConnection
from spake2 import SPAKE2_A, SPAKE2_B

from remoteapp.net.session_state import Role
from remoteapp.secure.errors import HandshakeFailed, PasswordMismatch
from remoteapp.secure.params import SecureParams

VERSION: Final = 1
NOISE_NAME: Final = b"Noise_NNpsk0_25519_ChaChaPoly_SHA256"
HEAD: Final = struct.Struct(">BH")
SPAKE2_SIZE: Final = 33  #: side byte + Ed25519 element
NOISE_SIZE: Final = 48  #: ephemeral key + tag of the empty payload
MAX_ABORT: Final = 64
CODE_DIGITS: Final = 6

AGENT_MISMATCH: Final = "the password does not match: check the last characters with the customer"
CUSTOMER_MISMATCH: Final = (
    "the password the agent typed does not match: read it to the agent again, "
    "the last characters too"
)
KEY_MISMATCH: Final = (
    "the two apps were given different session keys (a broken or lying server?): connect again"
)
CLEAR_PEER: Final = (
    "the other side sent unencrypted session data (a remoteapp from before end-to-end "
    "encryption?): update remoteapp on both computers"
)
MODE_MISMATCH: Final = (
    "the two sides disagree on how this session is secured (password or server key): connect again"
)


class Kind(enum.IntEnum):
    SPAKE2 = 1
    NOISE = 2
    ABORT = 3


#: ABORT reason words
ABORT_PASSWORD: Final = b"password"
ABORT_MODE: Final = b"mode"
ABORT_MALFORMED: Final = b"malformed"

_SIZES: Final = {Kind.SPAKE2: SPAKE2_SIZE, Kind.NOISE: NOISE_SIZE}


class _Step(enum.Enum):
    SPAKE2 = "waiting for the other side's SPAKE2 message"
    NOISE = "waiting for the other side's Noise message"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Secured:
    """The outcome: a key per direction, the code to compare, the bytes past the end."""

    send_key: bytes
    receive_key: bytes
    handshake_hash: bytes
    verification_code: str
    trailing: bytes  #: what came after the last handshake message (the first records)


def prologue(params: SecureParams) -> bytes:
    """Everything both sides must agree on, length-prefixed so no two readings collide."""
    fields = (
        b"remoteapp-e2e",
        str(VERSION).encode(),
        params.session_id.encode(),
        Role.AGENT.value.encode(),
        Role.CUSTOMER.value.encode(),
        params.partner_id.encode(),
        params.mode.encode(),
    )
    return b"".join(struct.pack(">H", len(f)) + f for f in fields)


def verification_code(handshake_hash: bytes) -> str:
    """Six digits from the handshake hash (64 bits mod 10^6: bias below 10^-13)."""
    digest = hashlib.sha256(b"remoteapp-e2e verification code\0" + handshake_hash).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _message(kind: Kind, payload: bytes) -> bytes:
    return HEAD.pack(kind, len(payload)) + payload


class Handshake:
    """One side of the exchange.  Not thread-safe: one owner drives it."""

    def __init__(self, params: SecureParams) -> None:
        self.params = params
        self.role = params.role
        self.result: Secured | None = None
        self._buffer = bytearray()
        self._out = bytearray()
        self._prologue = prologue(params)
        self._noise: NoiseConnection | None = None
        self._spake: SPAKE2_A | SPAKE2_B | None = None
        if params.password is not None:
            secret = params.password.strip().encode()
            ids = {
                "idA": b"remoteapp-e2e/1 agent " + params.session_id.encode(),
                "idB": b"remoteapp-e2e/1 customer " + params.session_id.encode(),
            }
            self._spake = (
                SPAKE2_A(secret, **ids) if self.role is Role.AGENT else SPAKE2_B(secret, **ids)
            )
            self._out += _message(Kind.SPAKE2, bytes(self._spake.start()))
            self._step = _Step.SPAKE2
        else:
            assert params.psk is not None  # SecureParams holds exactly one
            self._start_noise(_hkdf(params.psk, params.salt, b"remoteapp-e2e/1 psk vouched"))

    @property
    def done(self) -> bool:
        return self.result is not None

    def data_to_send(self) -> bytes:
        """What to write to the peer now (maybe nothing); an ABORT after a failure."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def receive_data(self, data: bytes) -> None:
        """Feed the peer's bytes (``b""``: the stream ended).  Raises ``HandshakeFailed``
        or ``PasswordMismatch``; ``data_to_send`` then holds an ABORT for the peer."""
        if self._step is _Step.FAILED:
            raise HandshakeFailed("the handshake already failed")
        if self._step is _Step.DONE:
            raise HandshakeFailed("the handshake is over: records go to the channel")
        if not data:
            self._fail(None, HandshakeFailed("the connection closed during the handshake"))
        self._buffer += data
        while not self.done and len(self._buffer) >= HEAD.size:
            code, length = HEAD.unpack_from(self._buffer)
            try:
                kind = Kind(code)
            except ValueError as exc:
                if code == 0:  # what a session frame in the clear starts with (length u32)
                    self._fail(ABORT_MALFORMED, HandshakeFailed(CLEAR_PEER), exc)
                self._fail(
                    ABORT_MALFORMED, HandshakeFailed(f"unknown handshake message {code}"), exc
                )
            bound = MAX_ABORT if kind is Kind.ABORT else _SIZES[kind]
            if length > bound or (kind is not Kind.ABORT and length != bound):
                self._fail(
                    ABORT_MALFORMED,
                    HandshakeFailed(f"malformed {kind.name} handshake message ({length} bytes)"),
                )
            if len(self._buffer) < HEAD.size + length:
                return
            payload = bytes(self._buffer[HEAD.size : HEAD.size + length])
            del self._buffer[: HEAD.size + length]
            self._take(kind, payload)

    # -- steps

    def _take(self, kind: Kind, payload: bytes) -> None:
        if kind is Kind.ABORT:
            self._peer_abort(payload)
        if self._step is _Step.SPAKE2:
            if kind is not Kind.SPAKE2:
                self._fail(ABORT_MODE, HandshakeFailed(MODE_MISMATCH))
            self._take_spake2(payload)
        elif kind is not Kind.NOISE:
            self._fail(ABORT_MODE, HandshakeFailed(MODE_MISMATCH))
        elif self.role is Role.CUSTOMER:
            self._take_noise_first(payload)
        else:
            self._take_noise_second(payload)

    def _take_spake2(self, payload: bytes) -> None:
        assert self._spake is not None
        try:
            key = bytes(self._spake.finish(payload))
        except Exception as exc:  # the library raises ValueError and its own kinds
            self._fail(
                ABORT_MALFORMED, HandshakeFailed(f"bad SPAKE2 message from the peer: {exc}"), exc
            )
        self._spake = None
        self._start_noise(_hkdf(key, self.params.salt, b"remoteapp-e2e/1 psk password"))

    def _start_noise(self, psk: bytes) -> None:
        noise = NoiseConnection.from_name(NOISE_NAME)
        noise.set_psks(psk=psk)
        noise.set_prologue(self._prologue)
        if self.role is Role.AGENT:
            noise.set_as_initiator()
            noise.start_handshake()
            self._out += _message(Kind.NOISE, bytes(noise.write_message()))
        else:
            noise.set_as_responder()
            noise.start_handshake()
        self._noise = noise
        self._step = _Step.NOISE

    def _take_noise_first(self, payload: bytes) -> None:
        """Customer: the agent's ``psk, e``; a failed tag means other keys."""
        assert self._noise is not None
        try:
            self._noise.read_message(payload)
        except InvalidTag as exc:
            self._fail(ABORT_PASSWORD, self._mismatch(), exc)
        except Exception as exc:
            self._fail(ABORT_MALFORMED, HandshakeFailed(f"bad Noise message: {exc}"), exc)
        self._out += _message(Kind.NOISE, bytes(self._noise.write_message()))
        self._finish()

    def _take_noise_second(self, payload: bytes) -> None:
        """Agent: the customer's ``e, ee``; it already checked our key, so a failed tag
        here means the message was changed on the way."""
        assert self._noise is not None
        try:
            self._noise.read_message(payload)
        except InvalidTag as exc:
            self._fail(
                ABORT_MALFORMED,
                HandshakeFailed("the customer's handshake message was altered in transit"),
                exc,
            )
        except Exception as exc:
            self._fail(ABORT_MALFORMED, HandshakeFailed(f"bad Noise message: {exc}"), exc)
        self._finish()

    def _finish(self) -> None:
        assert self._noise is not None and self._noise.handshake_finished
        proto = self._noise.noise_protocol
        digest = bytes(self._noise.get_handshake_hash())
        self.result = Secured(
            send_key=bytes(proto.cipher_state_encrypt.k),
            receive_key=bytes(proto.cipher_state_decrypt.k),
            handshake_hash=digest,
            verification_code=verification_code(digest),
            trailing=bytes(self._buffer),
        )
        self._buffer.clear()
        self._noise = None
        self._step = _Step.DONE

    # -- failures

    def _mismatch(self) -> PasswordMismatch | HandshakeFailed:
        """Other keys: a wrong password (which the customer counts), or in vouched mode
        keys the server handed out differently (no password to blame)."""
        if self.params.mode == "vouched":
            return HandshakeFailed(KEY_MISMATCH)
        return PasswordMismatch(AGENT_MISMATCH if self.role is Role.AGENT else CUSTOMER_MISMATCH)

    def _peer_abort(self, word: bytes) -> None:
        if word == ABORT_PASSWORD:
            self._fail(None, self._mismatch())
        if word == ABORT_MODE:
            self._fail(None, HandshakeFailed(MODE_MISMATCH))
        text = word.decode("ascii", "replace")
        self._fail(None, HandshakeFailed(f"the other side broke off the handshake ({text})"))

    def _fail(
        self,
        word: bytes | None,
        error: HandshakeFailed | PasswordMismatch,
        cause: BaseException | None = None,
    ) -> NoReturn:
        """Queue an ABORT for the peer (unless it is the peer who aborted) and raise."""
        self._step = _Step.FAILED
        self._buffer.clear()
        self._spake = None
        self._noise = None
        if word is not None:
            self._out += _message(Kind.ABORT, word)
        raise error from cause
