"""The agent's memory over many sessions, with glibc's default arenas and with the
app's cap (``remoteapp.platform.malloc_arenas``), in the same run.

One real helpdesk server (``--demo``), one customer window on its own Xvfb, and for each
variant a fresh agent process (real ``AgentWindow``, logged in, on its own Xvfb) that
runs ``--sessions`` sessions one after another the way an agent does: pick the customer
in the queue, Connect, look up ticket 2, start, let frames flow for a second, end, close
the viewer. After each session the agent reports its RSS and glibc's bytes in use
(``mallinfo2``). Target: the capped agent's end RSS within 50 MB of its start; the
default's is the baseline (115 → 211 MB at 200 sessions when measured first).

    python -m bench.agent_memory                  # table, 60 sessions per variant
    python -m bench.agent_memory --sessions 200 --json
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VARIANTS = {"glibc default": False, "2 arenas (app)": True}
RECORD = "AGENT-MEMORY "


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _memory(app: Any) -> dict[str, float]:
    """After the GUI thread's garbage collection and deferred deletes: what stays."""
    _spin(app, lambda: False, 0.5)  # the session's last queued calls
    gc.collect()
    _spin(app, lambda: False, 0.1)
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    out = {"rss_mb": round(rss, 1)}
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:  # not glibc >= 2.33
        return out
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    out["in_use_mb"] = round((info.uordblks + info.hblkhd) / 1e6, 1)
    return out


def _spin(app: Any, done: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop until ``done()`` (deferred deletes too, as ``exec`` does)."""
    from remoteapp.ui.qt import QtCore

    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            return False
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        time.sleep(0.01)
    return True


def customer(url: str) -> int:
    """The customer window, registered, answering every session until killed."""
    from remoteapp.branding.profile import load_profile
    from remoteapp.ui.customer_window import CustomerWindow
    from remoteapp.ui.qt import QtWidgets, collect_garbage_on_gui_thread

    app = QtWidgets.QApplication(["bench-customer"])
    collect_garbage_on_gui_thread(app)
    window = CustomerWindow(load_profile().with_overrides(server_url=url, app_id="demo"))
    window.show()
    window.inputs["name"].setText("Memory Bench")
    if "email" in window.inputs:
        window.inputs["email"].setText("memory@acme.example")
    window.submit_button.click()
    return app.exec()


def agent(url: str, credentials: Path, sessions: int, capped: bool) -> int:
    """``sessions`` sessions from a real agent window; a record line after each."""
    from remoteapp.platform import malloc_arenas

    if capped and not malloc_arenas.limit():
        print("remoteapp: not glibc, or MALLOC_ARENA_MAX set: no cap", file=sys.stderr)
        return 2
    from remoteapp.branding.profile import load_profile
    from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
    from remoteapp.ui.agent_window import AgentWindow
    from remoteapp.ui.qt import QtWidgets, collect_garbage_on_gui_thread

    app = QtWidgets.QApplication(["bench-agent"])
    collect_garbage_on_gui_thread(app)
    creds = json.loads(credentials.read_text())
    client = HelpdeskClient(url)
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    profile = load_profile().with_overrides(server_url=url, app_id="demo")
    window = AgentWindow(profile, client, user, TicketClient(url, creds["token"]))
    window.show()
    window.polls.timer.setInterval(1000)

    def row() -> int | None:
        items = [window.queue.item(r, 0) for r in range(window.queue.rowCount())]
        names = [item.text() if item is not None else "" for item in items]
        return names.index("Memory Bench") if "Memory Bench" in names else None

    def one() -> str | None:
        if not _spin(app, lambda: row() is not None, 60):
            return "the customer is not in the queue"
        window.queue.selectRow(row() or 0)
        window.queue_connect.click()
        dialog = None

        def asked() -> bool:
            nonlocal dialog
            dialog = getattr(window, "ticket_dialog", None)
            return dialog is not None and dialog.isVisible()

        if not _spin(app, asked, 15):
            return "no ticket dialog"
        assert dialog is not None
        dialog.number.setText("2")
        dialog.lookup.click()
        if not _spin(app, dialog.start.isEnabled, 15):
            return f"ticket lookup: {dialog.message.text()!r}"
        dialog.start.click()
        if not _spin(app, lambda: bool(window.viewers), 30):
            return f"no viewer: {window.status.text()!r}"
        viewer = next(iter(window.viewers.values()))
        if not _spin(app, lambda: viewer.verification_code != "", 20):
            return "the session was not secured"
        _spin(app, lambda: False, 1.0)  # frames flow
        viewer.end_action.trigger()
        _spin(app, lambda: False, 0.5)
        viewer.close()
        _spin(app, lambda: not window.viewers, 10)
        return None

    _spin(app, lambda: False, 2.0)
    print(RECORD + json.dumps({"session": 0, **_memory(app)}), flush=True)
    for n in range(1, sessions + 1):
        failed = one()
        if failed is not None:
            print(f"remoteapp: session {n}: {failed}", file=sys.stderr)
            return 1
        print(RECORD + json.dumps({"session": n, **_memory(app)}), flush=True)
    return 0


def _child(role: str, *args: str, display: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    env["XDG_DATA_HOME"] = env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix=f"bench-{role}-")
    return subprocess.Popen(
        [sys.executable, "-m", "bench.agent_memory", "--role", role, *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def run(sessions: int) -> dict[str, Any]:
    from tests import displays
    from tests.helpdesk.server_process import start_server

    results: dict[str, Any] = {}
    env = {"REMOTEAPP_RELAY_SECRET": os.urandom(32).hex(), "REMOTEAPP_POLL_WAIT_S": "1"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        displays.xvfb(1280, 800) as customer_display,
        displays.xvfb(1280, 800) as agent_display,
    ):
        server = start_server(Path(tmp), env)
        creds = Path(tmp) / "bench-credentials.json"
        creds.write_text(json.dumps(server.credentials))
        cust = _child("customer", server.http_url, display=customer_display)
        try:
            for name, capped in VARIANTS.items():
                args = [server.http_url, str(creds), str(sessions), "capped" if capped else "-"]
                proc = _child("agent", *args, display=agent_display)
                assert proc.stdout is not None
                rows = [
                    json.loads(line[len(RECORD) :])
                    for line in proc.stdout
                    if line.startswith(RECORD)
                ]
                if proc.wait(60) != 0 or len(rows) != sessions + 1:
                    raise SystemExit(f"bench.agent_memory: the {name} agent failed")
                results[name] = _summary(rows)
        finally:
            cust.kill()
            cust.wait(30)
            server.process.stop()
    return {"sessions": sessions, "variants": results}


def _summary(rows: list[dict[str, float]]) -> dict[str, Any]:
    rss = [r["rss_mb"] for r in rows]
    tenth = max(1, len(rows) // 10)
    return {
        "start_mb": rss[0],
        f"after_{tenth}_mb": rss[tenth],
        "end_mb": rss[-1],
        "steps_over_8mb": sum(1 for a, b in itertools.pairwise(rss) if b - a >= 8),
        "in_use_end_mb": rows[-1].get("in_use_mb"),
        "rss_mb": rss,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--role", choices=("customer", "agent"), help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "customer":
        return customer(args.rest[0])
    if args.role == "agent":
        url, creds, n, capped = args.rest
        return agent(url, Path(creds), int(n), capped == "capped")
    report = run(args.sessions)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"agent RSS over {report['sessions']} sessions (MB)")
    print(f"{'variant':<16} {'start':>7} {'1/10':>7} {'end':>7} {'steps':>6} {'in use':>7}")
    for name, row in report["variants"].items():
        after = next(v for k, v in row.items() if k.startswith("after_"))
        print(
            f"{name:<16} {row['start_mb']:>7} {after:>7} {row['end_mb']:>7} "
            f"{row['steps_over_8mb']:>6} {row['in_use_end_mb']!s:>7}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
