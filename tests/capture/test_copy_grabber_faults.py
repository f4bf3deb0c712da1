"""The copy grabber against faults, each found by a review (helper-69, of 01cf5b8) and
each failing before its fix: copies the server refused, the stream ended, the probes'
or a read's connection killed, a stream longer than one catch-up, and the X server's
buffers while the loop only waits.  A grab's frame must be the screen, or the grabber
must know it is not (``pending``: the loop grabs again at once); nothing raises out of
``grab``."""

from __future__ import annotations

import time

import pytest

from remoteapp.capture import ScreenGrabber
from tests.capture.copy_rig import Rig, copy_grabber, exact_or_pending, kill_client, refused_gc
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter, follow, until_exact

pytestmark = pytest.mark.display


@pytest.mark.parametrize("how", ["depth-1", "bad-font"])
def test_a_refused_copy_last_in_the_stream_is_applied_with_nothing_pending(
    rig: Rig, how: str
) -> None:
    """Before its fix: a trusted copy is applied to the frame as soon as the stream shows it
    (``CopyModel.moved`` hands out its Move at once); its own damage report is judged
    only at the next event of the stream.  A copy the server refused (no pixel moved, no
    damage) that is the last event when the grab comes: nothing is unknown, so nothing is
    read, ``settle`` waits for nothing and the Move goes into the frame.  The frame shows
    the window moved by a line, the screen does not, and ``pending()`` is False (no damage
    anywhere): wrong until some other client's event and a wake, or the safety check."""
    g, _, term, mon, pipe, truth = rig
    gc = refused_gc(term, how)
    term.d.sync()
    until_exact(g, pipe, truth)  # (the CreateGC is in; the table takes the GC as plain)
    term.win.copy_area(gc, term.win, 0, 13, 300, 187, 0, 0)  # refused: nothing changes
    term.d.sync()
    exact_or_pending(g, mon, pipe, truth)


@pytest.mark.parametrize("how", ["depth-1", "bad-font"])
def test_a_refused_copy_whose_report_an_unrecorded_draw_supplies_stays_wrong(
    rig: Rig, how: str
) -> None:
    """The model: a trusted copy's report is "the next damage in the stream".  A
    refused copy has none, and a draw that is not recorded (PolyFillRectangle, text,
    PutImage) of exactly the copy's destination, right after it, supplies one: the model
    takes it as the copy's own, keeps the Move (the window moved up a line) and drops
    the fill.  Every later grab keeps the wrong pixels with nothing pending; only the
    safety check finds them (as a miss).  The design (x11_gcs: "a copy through it would
    fail with no damage, which the copy model sees") assumes another *recorded* event
    comes first."""
    g, _, term, mon, pipe, truth = rig
    gc = refused_gc(term, how)
    term.gc.change(foreground=0x00C000)  # (before the copy: a ChangeGC is recorded)
    term.d.sync()
    until_exact(g, pipe, truth)
    term.win.copy_area(gc, term.win, 0, 13, 300, 187, 0, 0)  # refused
    term.win.fill_rectangle(term.gc, 0, 0, 300, 187)  # its damage: the copy's destination
    term.d.sync()
    for _ in range(3):  # (not a race: it never comes right)
        exact_or_pending(g, mon, pipe, truth)
    until_exact(g, pipe, truth)


def test_a_stream_the_server_ended_does_not_leave_the_grabber_blind(
    rig: Rig, other: Painter
) -> None:
    """Before its fix: when the RECORD context goes (its control connection killed, as ``xkill``
    or a session's KillClient does; or any client's RecordDisableContext/FreeContext of
    its id), the data connection gets EndOfData (``Ended``) and stays open.  The follower
    only drops its proofs; ``following`` stays True, the model sees no damage any more,
    plans no reads, and every grab hands back the old frame with damage () and nothing
    pending, whatever the screen shows, until a safety check's read times out."""
    g, _, term, mon, pipe, truth = rig
    assert g._copy is not None
    kill_client(other.d, g._copy._stream._context)  # (the context: the control's)
    until_exact(g, pipe, truth)  # (the grab that reads the end of the stream)
    other.fill(10, 10, 50, 40, 0xFF0000)
    term.scroll(b"after the end of the stream")
    other.d.sync()
    exact_or_pending(g, mon, pipe, truth)
    until_exact(g, pipe, truth)


def test_the_provers_connection_dying_does_not_raise_out_of_grab(rig: Rig, other: Painter) -> None:
    """Before its fix: the prover's round trips are python-xlib's, and ``probe``/``probe_gc`` catch
    only ``XError``.  Once its connection is gone (killed, the server closing it),
    the next probe raises ``Xlib.error.ConnectionClosedError`` (from the probe's
    ``ungrab_server`` in its ``finally`` too), which is not a CaptureError: it goes out
    of ``plan()``, ``_follow`` and ``grab()``, and the customer's capture loop ends the
    session ("serve-failed").  (The client's death drops every proof, so the terminal's
    next copy asks for a probe at once.)"""
    g, _, term, _mon, pipe, truth = rig
    assert g._copy is not None and g._copy._prover is not None
    prover = g._copy._prover._d
    held = prover.screen().root.create_gc()  # (a resource to name the client by)
    prover.sync()
    kill_client(other.d, held.id)
    for line in range(3):
        term.scroll(f"after the prover {line} ".encode() * 4)
        until_exact(g, pipe, truth)


def test_damage_left_in_the_stream_past_the_catch_up_cap_is_pending(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``catch_up`` reads at most MAX_READS_PER_CATCH_UP chunks of the stream (64 x
    64 KB; 1 here, to make the test small: the same as a 4 MB backlog).  What it leaves
    is read only by ``settle``, and only while the grab's reads are not all shown: when
    nothing was unknown in what ``plan`` saw, nothing is read, ``settle`` returns at
    once, and damage further down the stream (a fill after a burst of GC changes) is
    neither in the frame nor pending (the damage source's report of it was taken by
    this grab, and the capture loop does not wait on the stream's socket)."""
    g, _, term, mon, pipe, truth = rig
    from remoteapp.capture import copy_capture

    monkeypatch.setattr(copy_capture, "MAX_READS_PER_CATCH_UP", 1)
    for i in range(6000):  # (recorded, no damage: about 120 KB of the stream)
        term.gc.change(foreground=i)
    term.win.fill_rectangle(term.gc, 100, 100, 40, 30)
    term.d.sync()
    exact_or_pending(g, mon, pipe, truth)


def xvfb_rss_kib() -> int:
    """The resident size of the test's Xvfb (a child of this process), in KiB."""
    import os

    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
            if comm == "Xvfb" and int(rest.split()[1]) == os.getpid():
                with open(f"/proc/{pid}/status") as f:
                    return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (OSError, ValueError, StopIteration):
            continue
    pytest.skip("the test's Xvfb is not a child of this process")


def test_waiting_without_grabs_does_not_pile_the_stream_up_in_the_x_server(rig: Rig) -> None:
    """Memory: the RECORD stream and the raw DAMAGE connection are read only in
    ``grab`` (``catch_up``).  While the capture loop only waits (the viewer out of
    credits: ``_await_credit`` calls ``wait`` for as long as no ack comes), every raw
    DamageNotify is buffered by the X server twice (the raw connection's events and the
    stream's copy of them), without bound: Xvfb grows by about 3 MB per 50,000 small
    fills here.  (The damage backend's server-side region stays one region.)  And the
    first grab after a long enough stall spends more than SETTLE_S catching up, which
    turns the following off for good."""
    g, _, term, _mon, pipe, truth = rig
    before = xvfb_rss_kib()
    for burst in range(50):
        for i in range(1000):
            term.win.fill_rectangle(term.gc, i % 290, burst * 3, 10, 10)
        term.d.sync()
        g.wait(0)  # (as the loop waits for a credit: no grab)
    grown = xvfb_rss_kib() - before
    until_exact(g, pipe, truth)
    assert grown < 1024, f"Xvfb grew by {grown} KiB while the capture waited"


def test_a_probe_held_by_another_clients_server_grab_ends_the_following(
    fbdir_xvfb: FbdirXvfb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probes wait for the capture thread at most PROBE_BOUND_S (their round trips
    are python-xlib's): a window wanted for a probe while another client holds the
    server ends the following instead of holding the capture; the grab is released
    once the grabber says so, and the next frames are exact."""
    import threading

    from Xlib import display as xdisplay

    from remoteapp.capture import copy_capture

    monkeypatch.setattr(copy_capture, "PROBE_BOUND_S", 0.2)
    g = copy_grabber(fbdir_xvfb.display, Clock(), always=False)  # (probes before its take)
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    holder = xdisplay.Display(fbdir_xvfb.display)
    released = threading.Event()

    def release_when_off() -> None:
        deadline = time.monotonic() + 30
        while g.following and time.monotonic() < deadline:
            time.sleep(0.01)  # (the capture thread is held: nothing to wait on here)
        holder.ungrab_server()
        holder.sync()
        released.set()

    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            mon, pipe, truth = follow(g, poll)
            term.scroll(b"a copy in a window not proven yet: wanted for a probe")
            assert g.sync(5)
            holder.grab_server()
            holder.sync()
            threading.Thread(target=release_when_off, daemon=True).start()
            shot = g.grab(mon)  # (held until the grab goes: no probe, no following)
            assert released.wait(30) and not g.following
            pipe.send(shot.pixels, shot.damage, shot.copies)
            term.scroll(b"after")
            until_exact(g, pipe, truth)
    finally:
        holder.close()
        term.close()
        g.close()
