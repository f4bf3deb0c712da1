"""What end-to-end encryption costs: CPU per frame, round-trip latency, handshake time.

Every figure has its same-run baseline beside it:

- **CPU per frame**: seal + open (``remoteapp.secure.Channel``) of one screen update of
  1 KiB, 64 KiB and 1 MiB, next to framing and parsing the same update in the clear
  (``remotewire.framing``, the path every update took before), the added share, and the
  channel's throughput.
- **Latency**: a Ping/Pong round trip over real loopback TCP.  ``clear`` and ``sealed``
  are the same two-thread echo loop with session framing, without and with the channel,
  so their difference is what encryption adds; ``Transport`` is the real session path
  (send queue, writer and reader threads, sealed), for scale.
- **Handshake**: both modes, both sides in one process over a loopback socket pair
  (``remoteapp.session.secure_link``): SPAKE2 + Noise for a password connect, Noise
  alone for a queue/code connect.

The machine is shared and noisy: compare within one run.

    python -m bench.secure                # table
    python -m bench.secure --json         # one JSON object
    python -m bench.secure --pings 500 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.link_shaper import tcp_pair
from remoteapp.net.messages import CHUNK, Msg
from remoteapp.net.session import Event, Hello, Ping, Pong, SessionConnection
from remoteapp.net.session_state import Role
from remoteapp.secure import Channel, SecureParams
from remoteapp.session.secure_link import secure
from remoteapp.session.transport import Transport
from remotewire.framing import NEED_DATA, FrameReader, pack_frame

SIZES = (1 << 10, 64 << 10, 1 << 20)
WAIT_S = 10.0


def _best_us(run: Callable[[], None], repeats: int, budget_s: float = 0.2) -> float:
    """Median over ``repeats`` of the mean time of ``run`` (µs), each repeat ~budget_s."""
    start = time.perf_counter()
    run()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(budget_s / repeats / once))
    means = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            run()
        means.append((time.perf_counter() - start) / loops)
    return statistics.median(means) * 1e6


def cpu_per_frame(repeats: int) -> list[dict[str, Any]]:
    rows = []
    for size in SIZES:
        update = os.urandom(size)  # compressed updates look like this: no structure
        sender = Channel(bytes(32), bytes(range(32)))
        receiver = Channel(bytes(range(32)), bytes(32))

        def clear(update: bytes = update) -> None:
            wire = b"".join(
                pack_frame(Msg.UPDATE_CHUNK, update[i : i + CHUNK], max_payload=CHUNK + 5)
                for i in range(0, len(update), CHUNK)
            )
            reader = FrameReader(max_payload=CHUNK + 5)
            reader.receive_data(wire)
            while reader.next_frame() is not NEED_DATA:
                pass

        def sealed(
            update: bytes = update, sender: Channel = sender, receiver: Channel = receiver
        ) -> None:
            receiver.receive_data(sender.seal(update))
            while receiver.next_record() is not NEED_DATA:
                pass

        framing = _best_us(clear, repeats)
        crypto = _best_us(sealed, repeats)
        rows.append(
            {
                "size": size,
                "framing_us": round(framing, 1),
                "seal_open_us": round(crypto, 1),
                "seal_open_pct_of_framing": round(100 * crypto / framing, 1),
                "channel_mb_s": round(size / crypto, 1),  # bytes per µs = MB/s
            }
        )
    return rows


def _echo_rtts(pings: int, sealed: bool) -> list[float]:
    """The two-thread echo loop; ``sealed`` puts the channel on both ends."""
    ours, theirs = tcp_pair()
    keys = (bytes(32), bytes(range(32)))
    mine = Channel(*keys) if sealed else None
    peer = Channel(*reversed(keys)) if sealed else None

    def wrap(channel: Channel | None, data: bytes) -> bytes | bytearray:
        return channel.seal(data) if channel is not None else data

    def parse(channel: Channel | None, conn: SessionConnection, data: bytes) -> list[Event]:
        records: list[bytes] = [data]
        if channel is not None:
            channel.receive_data(data)
            records = []
            while (record := channel.next_record()) is not NEED_DATA:
                records.append(record)
        events = []
        for record in records:
            conn.receive_data(record)
            while (event := conn.next_event()) is not NEED_DATA:
                events.append(event)
        return events  # type: ignore[return-value]

    def echo() -> None:
        conn = SessionConnection(Role.CUSTOMER)
        theirs.sendall(wrap(peer, conn.send(Hello(Role.CUSTOMER, "echo"))))
        while data := theirs.recv(1 << 16):
            for event in parse(peer, conn, data):
                if isinstance(event, Ping):
                    theirs.sendall(wrap(peer, conn.send(Pong(event.nonce))))

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    conn = SessionConnection(Role.AGENT)
    ours.sendall(wrap(mine, conn.send(Hello(Role.AGENT, "bench"))))
    rtts = []
    try:
        for nonce in range(pings):
            start = time.perf_counter()
            ours.sendall(wrap(mine, conn.send(Ping(nonce))))
            while not any(isinstance(e, Pong) for e in parse(mine, conn, ours.recv(1 << 16))):
                pass
            rtts.append((time.perf_counter() - start) * 1e6)
    finally:
        ours.shutdown(socket.SHUT_WR)
        thread.join(WAIT_S)
        ours.close()
        theirs.close()
    return rtts


def _transport_rtts(pings: int) -> list[float]:
    """The real session path: two Transports, sealed, the customer answers pings."""
    one, two = tcp_pair()
    key = os.urandom(32)
    agent = Transport(
        one, SessionConnection(Role.AGENT), secure=SecureParams.for_direct(Role.AGENT, key)
    )
    customer = Transport(
        two, SessionConnection(Role.CUSTOMER), secure=SecureParams.for_direct(Role.CUSTOMER, key)
    )
    pong = threading.Event()

    def on_customer(event: Event) -> None:
        if isinstance(event, Ping):
            customer.send(Pong(event.nonce))

    def on_agent(event: Event) -> None:
        if isinstance(event, Pong):
            pong.set()

    secured = threading.Event()
    agent.send(Hello(Role.AGENT, "bench"))
    customer.send(Hello(Role.CUSTOMER, "echo"))
    agent.start(on_agent, lambda r: None, name="agent-net", on_secured=lambda c: secured.set())
    customer.start(on_customer, lambda r: None, name="customer-net")
    rtts = []
    try:
        if not secured.wait(WAIT_S):
            raise TimeoutError("the bench session was not secured")
        for nonce in range(pings):
            pong.clear()
            start = time.perf_counter()
            agent.send(Ping(nonce))
            if not pong.wait(WAIT_S):
                raise TimeoutError("no pong")
            rtts.append((time.perf_counter() - start) * 1e6)
    finally:
        agent.close("bench over")
        agent.wait_closed(WAIT_S)
        customer.wait_closed(WAIT_S)
    return rtts


def latency(pings: int, repeats: int) -> dict[str, Any]:
    """Medians (and p95) of the round trips; the two echo loops take turns in small
    batches, so a burst of load from elsewhere hits both alike."""
    clear: list[float] = []
    sealed: list[float] = []
    batch = max(1, pings // 10)
    for _ in range(repeats * (pings // batch)):
        clear += _echo_rtts(batch, sealed=False)
        sealed += _echo_rtts(batch, sealed=True)
    real = _transport_rtts(pings * repeats)

    def stats(values: list[float]) -> dict[str, float]:
        values = sorted(values)
        return {
            "median_us": round(statistics.median(values), 1),
            "p95_us": round(values[int(len(values) * 0.95)], 1),
        }

    result: dict[str, Any] = {
        "clear": stats(clear),
        "sealed": stats(sealed),
        "transport": stats(real),
    }
    result["added_median_us"] = round(
        result["sealed"]["median_us"] - result["clear"]["median_us"], 1
    )
    return result


def handshakes(repeats: int) -> dict[str, float]:
    """Median ms per handshake, both sides in this process over a loopback pair."""
    out = {}
    salt = bytes(range(32))
    for mode in ("password", "vouched"):
        times = []
        for n in range(repeats):
            secret: dict[str, Any] = (
                {"password": "K7QM-2XPF9"} if mode == "password" else {"psk": bytes(32)}
            )
            agent = SecureParams(f"bench-{n}", Role.AGENT, "123456789", salt, **secret)
            customer = SecureParams(f"bench-{n}", Role.CUSTOMER, "123456789", salt, **secret)
            one, two = tcp_pair()
            errors: list[Exception] = []

            def other_side(
                sock: socket.socket = two,
                params: SecureParams = customer,
                errors: list[Exception] = errors,
            ) -> None:
                try:
                    secure(sock, params)
                except Exception as exc:  # reported below
                    errors.append(exc)

            start = time.perf_counter()
            thread = threading.Thread(target=other_side)
            thread.start()
            secure(one, agent)
            thread.join(WAIT_S)
            times.append((time.perf_counter() - start) * 1e3)
            one.close()
            two.close()
            if errors:
                raise errors[0]
        out[f"{mode}_ms"] = round(statistics.median(times), 2)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "cpu_per_frame": cpu_per_frame(args.repeats),
        "latency": latency(args.pings, args.repeats),
        "handshake": handshakes(args.repeats * 3),
    }


def table(r: dict[str, Any]) -> str:
    lines = [
        "CPU per screen update (median µs; framing = the clear path, same run)",
        f"{'size':>8} {'framing':>10} {'seal+open':>10} {'ratio':>8} {'channel':>10}",
    ]
    for row in r["cpu_per_frame"]:
        lines.append(
            f"{row['size'] // 1024:>6}Ki {row['framing_us']:>10.1f} {row['seal_open_us']:>10.1f}"
            f" {row['seal_open_pct_of_framing']:>7.0f}% {row['channel_mb_s']:>6.0f} MB/s"
        )
    lat = r["latency"]
    lines += [
        "",
        "Ping round trip over loopback TCP (µs)",
        f"{'path':>10} {'median':>8} {'p95':>8}",
    ]
    for name in ("clear", "sealed", "transport"):
        lines.append(f"{name:>10} {lat[name]['median_us']:>8.1f} {lat[name]['p95_us']:>8.1f}")
    lines.append(f"added by the channel (sealed - clear, median): {lat['added_median_us']} µs")
    hs = r["handshake"]
    lines += [
        "",
        f"Handshake (median ms): password {hs['password_ms']}, server key {hs['vouched_ms']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--pings", type=int, default=200, help="round trips per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
