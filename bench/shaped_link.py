"""A video session over a shaped link (issue 12): 5 Mbit/s, 40 ms round trip, in process.

Real TCP sockets, the real session protocol (``SessionConnection``: credits, acks,
chunks), the real encoder with its lossy path and rate control on the customer's side and
the real decoder on the agent's.  Between them a shaping proxy: each direction a token
bucket at the link rate, a one-way delay of half the round trip, and a bounded queue (like
``tc tbf limit``), so a sender that outruns the link feels TCP back-pressure.  The screen
is synthetic (``bench.lossy``'s 1080p desktop with a 640x360 video playing); the agent
presses a key every ``KEY_EVERY_S`` and the customer's screen answers it by toggling a
marker in the text next to the video, so input-to-pixel is measured from the key's send to
the marker's change in the agent's framebuffer.

    python -m bench.shaped_link --seconds 10 --mbit 5 --rtt-ms 40
    python -m bench.shaped_link --netns   # a real network (bench.netns), as root

``--netns``: the same customer and agent, paired by the real relay process in its own
network namespace; the customer's veth shaped by the kernel's tbf (rate, 64 KiB queue),
the round trip by a user-space delay line (no netem in this kernel, see bench.netns);
the baseline is the same path without tbf and delay.  The link's queue is then the tbf
backlog and the relay's sockets, sampled every 0.25 s.

Unsent limit: the customer's sockets (its own, and the delay line's towards the relay,
which stands for the customer's end of the shaped link) keep few unsent bytes
(``remoteapp.session.sockopts.limit_unsent``, as the app's Transport does), so a backlog
waits in the sender, not in a kernel send buffer.  ``--netns`` runs it both ways in one
go (the run without it is the baseline); ``--no-unsent-limit`` turns it off everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import queue
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.link_shaper import ShapedLink, tcp_pair
from bench.lossy import LOSSY, video_in_desktop
from bench.shaped_link_agent import MARK, agent_main, pump
from remoteapp.codec import ScreenEncoder
from remoteapp.codec.rate_control import RateController
from remoteapp.net.session import (
    Hello,
    Key,
    ScreenUpdate,
    SessionConnection,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remoteapp.session.sockopts import limit_unsent
from remotewire.tokens import issue_token

FPS = 30
UNSHAPED = 10_000.0  #: Mbit/s: no shaping


def run(
    seconds: float,
    mbit: float,
    rtt_ms: float,
    reserve: bool = False,
    netns: bool = False,
    unsent_limit: bool = True,
) -> dict[str, object]:
    """``reserve``: a third credit that only the answer to an input may use; ``netns``:
    over a real network (``bench.netns``; ``mbit`` of ``UNSHAPED`` or more: no tbf);
    ``unsent_limit``: the customer's sockets keep few unsent bytes (as the app's)."""
    with contextlib.ExitStack() as stack:
        return _run(stack, seconds, mbit, rtt_ms, reserve, netns, unsent_limit)


def _in_process(
    stack: contextlib.ExitStack, seconds: float, mbit: float, rtt_ms: float, results: Any
) -> tuple[socket.socket, Any, Callable[[], float]]:
    """The customer's socket, the agent's process and the link's queue peak (bytes)."""
    a_cust, a_link = tcp_pair()
    with socket.create_server(("127.0.0.1", 0)) as server:
        child = multiprocessing.get_context("spawn").Process(
            target=agent_main, args=(("127.0.0.1", server.getsockname()[1]), seconds, results)
        )
        child.start()
        b_link, _ = server.accept()
    b_link.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up = ShapedLink(a_link, b_link, mbit * 1e6, rtt_ms / 2e3)  # customer -> agent
    down = ShapedLink(b_link, a_link, mbit * 1e6, rtt_ms / 2e3)  # agent -> customer
    for sock in (a_link, b_link):
        stack.callback(sock.close)
    stack.callback(down.join)
    stack.callback(up.join)
    return a_cust, child, lambda: max(up.max_queued, down.max_queued)


def _over_netns(
    stack: contextlib.ExitStack,
    seconds: float,
    mbit: float,
    rtt_ms: float,
    results: Any,
    unsent_limit: bool,
) -> tuple[socket.socket, Any, Callable[[], float], dict[str, int]]:
    """As ``_in_process``, through the relay in its namespace; and the sampled peaks."""
    from bench import netns  # (it builds on ShapedLink)

    link = stack.enter_context(netns.NetnsLink(mbit if mbit < UNSHAPED else None))
    secret = os.urandom(16).hex().encode()
    link.start_relay(secret)
    token = issue_token(secret, "bench", Role.CUSTOMER)
    line = netns.DelayLine(link, token, rtt_ms / 2e3, unsent_limit=unsent_limit)
    stack.callback(line.close)
    agent_token = issue_token(secret, "bench", Role.AGENT)
    child = multiprocessing.get_context("spawn").Process(
        target=agent_main,
        args=((link.relay_for_agent, netns.RELAY_PORT), seconds, results, agent_token),
    )
    child.start()
    a_cust = socket.create_connection(("127.0.0.1", line.port))
    peaks: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            queues = {**link.socket_queues(), "tbf": link.qdisc_backlog()}
            queues["customer_send_q"] = netns.send_queue(a_cust)
            for name, value in queues.items():
                peaks[name] = max(peaks.get(name, 0), value)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stack.callback(sampler.join, 30)
    stack.callback(done.set)
    return a_cust, child, lambda: max(peaks.values(), default=0), peaks


def _run(
    stack: contextlib.ExitStack,
    seconds: float,
    mbit: float,
    rtt_ms: float,
    reserve: bool,
    netns: bool,
    unsent_limit: bool,
) -> dict[str, object]:
    frames = video_in_desktop(int(FPS * 2)).frames
    results: multiprocessing.Queue[dict[str, float]] = multiprocessing.get_context("spawn").Queue()
    peaks: dict[str, int] = {}
    if netns:
        a_cust, child, queue_peak, peaks = _over_netns(
            stack, seconds, mbit, rtt_ms, results, unsent_limit
        )
    else:
        a_cust, child, queue_peak = _in_process(stack, seconds, mbit, rtt_ms, results)
    a_cust.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if unsent_limit:
        limit_unsent(a_cust)
    stack.callback(a_cust.close)
    cust = SessionConnection(Role.CUSTOMER, window=3 if reserve else 2)
    spare = 1 if reserve else 0
    lock = threading.Condition()
    rate = RateController()
    state = {"marker": 0, "stop": False}

    def customer_event(event: object) -> None:
        with lock:
            if isinstance(event, UpdateAck):
                rate.acked(event.seq, time.monotonic())
            elif isinstance(event, Key) and event.pressed:
                state["marker"] += 1
            lock.notify_all()

    a_cust.sendall(cust.send(Hello(Role.CUSTOMER, "Maria")))
    reader = threading.Thread(target=pump, args=(a_cust, cust, customer_event), daemon=True)
    reader.start()
    enc_ms: list[float] = []
    sent_bytes = [0]
    # as the app's Transport: a writer thread does the socket writes (so a write the link
    # holds up never keeps the capture loop from answering an input) and tells rate
    # control how long each update waited for it, not for the link
    outbox: queue.SimpleQueue[tuple[int, bytes, float] | None] = queue.SimpleQueue()

    def writer() -> None:
        written_at = 0.0
        while (item := outbox.get()) is not None:
            seq, data, queued_at = item
            with lock:
                rate.local(seq, time.monotonic() - max(queued_at, written_at))
            with contextlib.suppress(OSError):
                a_cust.sendall(data)
            written_at = time.monotonic()

    out = threading.Thread(target=writer, daemon=True)
    out.start()

    def customer_loop() -> None:
        enc = ScreenEncoder(lossy_codecs=LOSSY)
        enc.video_rate = rate
        seq, i, answered = 0, 0, 0
        next_tick = time.monotonic()

        def may_send() -> bool:
            return cust.credits > spare or (cust.credits > 0 and state["marker"] != answered)

        while not state["stop"]:
            with lock:
                waiting = time.monotonic()
                lock.wait_for(lambda: may_send() or bool(state["stop"]), timeout=1.0)
                rate.waited(time.monotonic() - waiting, time.monotonic())
                if state["stop"]:
                    return
                if not may_send():
                    continue
                marker = answered = state["marker"]
                enc.refresh_pixels = rate.refresh_pixels(time.monotonic())
            frame = frames[i % len(frames)].copy()
            i += 1
            frame[MARK] = 0 if marker % 2 else 255
            t0 = time.perf_counter()
            update = enc.encode(frame)
            enc_ms.append((time.perf_counter() - t0) * 1e3)
            with lock:
                rate.sent(seq, len(update), time.monotonic())
                data = cust.send(ScreenUpdate(seq, update))
            outbox.put((seq, data, time.monotonic()))
            sent_bytes[0] += len(data)
            seq += 1
            next_tick = max(next_tick + 1 / FPS, time.monotonic() - 1 / FPS)
            with lock:  # as the app: an input is answered by a grab at once, not next tick
                while state["marker"] == marker and not state["stop"]:
                    wait = next_tick - time.monotonic()
                    if wait <= 0:
                        break
                    lock.wait(wait)

    cap = threading.Thread(target=customer_loop, daemon=True)
    started = time.monotonic()
    cap.start()
    agent_results = results.get(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    state["stop"] = True
    with lock:
        lock.notify_all()
    cap.join(5)
    outbox.put(None)
    out.join(5)
    child.join(10)
    a_cust.shutdown(socket.SHUT_RDWR)
    reader.join(5)
    return {
        **agent_results,
        "mbit_s": sent_bytes[0] * 8 / elapsed / 1e6,
        "link_queue_max_kb": queue_peak() / 1e3,
        **{f"{name}_max_kb": peak / 1e3 for name, peak in peaks.items()},
        "enc_ms_p50": statistics.median(enc_ms),
        "final_bitrate": rate.bitrate,
        "final_fps": rate.fps,
        "cuts": rate.cuts,
        "cuts_spared": rate.spared,
        "base_rtt_ms": (rate.base_rtt or 0) * 1e3,
        "update_rtt_ms_p50": float(np.percentile([r for _, r in rate._rtts], 50)) * 1e3,
        "update_rtt_ms_p95": float(np.percentile([r for _, r in rate._rtts], 95)) * 1e3,
        "updates_per_s": len(enc_ms) / elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mbit", type=float, default=5.0)
    parser.add_argument("--rtt-ms", type=float, default=40.0)
    parser.add_argument("--reserve", action="store_true", help="also: a credit for input")
    parser.add_argument(
        "--netns", action="store_true", help="a real network: relay in a namespace, tbf (root)"
    )
    parser.add_argument(
        "--no-unsent-limit", action="store_true", help="the customer's sockets as the OS sets"
    )
    args = parser.parse_args(argv)
    limit = not args.no_unsent_limit
    if args.netns:
        from bench import netns

        if (why := netns.available()) is not None:
            print(f"no network namespace here ({why}): use the in-process shaper", file=sys.stderr)
            return 2
    where = "netns, " if args.netns else ""
    shaped = f"{where}shaped {args.mbit:g} Mbit/s {args.rtt_ms:g} ms"
    results = {
        shaped: run(args.seconds, args.mbit, args.rtt_ms, netns=args.netns, unsent_limit=limit),
    }
    if args.netns and limit:  # the same link with the kernel's own send buffers
        results[f"{shaped}, no unsent limit"] = run(
            args.seconds, args.mbit, args.rtt_ms, netns=True, unsent_limit=False
        )
    results[f"{where}same run, unshaped"] = run(
        args.seconds, UNSHAPED, 0.0, netns=args.netns, unsent_limit=limit
    )
    if args.netns:  # and the in-process shaper at the same settings, for comparison
        results[f"in process, shaped {args.mbit:g} Mbit/s {args.rtt_ms:g} ms"] = run(
            args.seconds, args.mbit, args.rtt_ms
        )
    if args.reserve:
        results["shaped, a third credit for input"] = run(
            args.seconds, args.mbit, args.rtt_ms, reserve=True
        )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
