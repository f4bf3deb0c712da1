"""The ``remoteapp`` command.

Without a subcommand: the desktop app (customer mode; agent mode through the login).
``pipeline`` runs the screen pipeline live; ``share`` serves this screen straight to a
viewer (development).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from remoteapp import __version__
from remoteapp.errors import CaptureError
from remotewire.events import EventLog, to_stdout

share_events = EventLog("share")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remoteapp", description="remoteapp remote support")
    parser.add_argument("--version", action="version", version=f"remoteapp {__version__}")
    parser.add_argument("--profile", type=Path, help="app profile JSON (default: bundled)")
    parser.add_argument("--server", help="helpdesk server URL (overrides the profile)")
    parser.add_argument("--app", help="remote app id (overrides the profile)")
    parser.add_argument("--lang", help="pt_BR or en (default: the system locale)")
    parser.add_argument("--agent", action="store_true", help="start with the agent login")
    parser.add_argument(
        "--agent-credentials", type=Path, help="log in as the agent in this demo-credentials.json"
    )
    parser.add_argument("--ticket-token", help="ticket API token (overrides the profile)")
    parser.add_argument(
        "--window-pos", help="X,Y of the windows (no window manager, as under Xvfb)"
    )
    sub = parser.add_subparsers(dest="command")
    pipe = sub.add_parser("pipeline", help="run capture -> encode -> decode live and print figures")
    pipe.add_argument("--seconds", type=float, default=10.0)
    pipe.add_argument("--fps", type=float, default=30.0)
    pipe.add_argument("--monitor", type=int, default=1, help="0 = all monitors, 1 = first, ...")
    pipe.add_argument("--display", help="X display to capture (default: $DISPLAY)")
    share = sub.add_parser(
        "share", help="developer mode: serve this screen straight to a viewer at HOST:PORT"
    )
    share.add_argument("--connect", required=True, metavar="HOST:PORT")
    share.add_argument("--name", default="customer", help="name the agent sees")
    share.add_argument("--fps", type=float, default=30.0)
    share.add_argument(
        "--session",
        default="direct",
        help="session id bound into the encryption (the viewer must use the same); the key "
        "is read from $REMOTEAPP_SHARE_KEY (64 hex digits), never from the command line",
    )
    # hidden: the lossy codecs' self-check, run from a built binary by its tests
    sub.add_parser("codecs", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    # the OS starts the link handler as ``remoteapp <link>`` (docs/console.md)
    link = next((a for a in argv if a[:10].lower() == "remoteapp:"), None)
    args = parser.parse_args([a for a in argv if a is not link])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    to_stdout()  # event lines, unadorned: scripts and tests wait for them

    if args.command is None:
        from remoteapp.platform import malloc_arenas
        from remoteapp.ui import app

        malloc_arenas.limit()  # before any thread: the app runs for days (its docstring)

        return app.run(
            profile_path=args.profile,
            server=args.server,
            app_id=args.app,
            lang=args.lang,
            agent=args.agent,
            agent_credentials=args.agent_credentials,
            ticket_token=args.ticket_token,
            window_pos=_point(args.window_pos),
            link=link,
        )
    if args.command == "share":
        return _share(args.connect, args.name, args.fps, args.session)
    if args.command == "codecs":
        from remoteapp.codec import selfcheck

        return selfcheck.run()

    from remoteapp import live_pipeline

    try:
        live_pipeline.run(args.seconds, args.fps, args.monitor, args.display)
    except CaptureError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _point(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    x, _, y = text.partition(",")
    return int(x), int(y)


def _share(address: str, name: str, fps: float, session_id: str) -> int:
    """Serve the screen over one TCP connection until either side ends the session.
    End-to-end encrypted like every session: the viewer holds the same key."""
    import os
    import socket
    import threading

    from remoteapp.capture import check_capturable
    from remoteapp.net.session_state import Role
    from remoteapp.secure import SecureParams
    from remoteapp.secure.params import SHARE_KEY_ENV
    from remoteapp.session import CustomerSession

    try:
        secure = SecureParams.for_direct(
            Role.CUSTOMER, bytes.fromhex(os.environ.get(SHARE_KEY_ENV, "")), session_id
        )
    except ValueError:
        print(
            f"remoteapp: set {SHARE_KEY_ENV} to the viewer's key (64 hex digits)", file=sys.stderr
        )
        return 2

    try:
        check_capturable()
    except CaptureError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    host, _, port = address.rpartition(":")
    try:
        sock = socket.create_connection((host, int(port)), timeout=10)
    except (OSError, ValueError) as exc:
        print(f"remoteapp: cannot connect to {address}: {exc}", file=sys.stderr)
        return 2
    ended = threading.Event()

    def on_end(reason: str) -> None:
        share_events.emit("ended", reason=repr(reason))
        ended.set()

    session = CustomerSession(
        sock,
        name,
        secure=secure,
        on_secured=lambda code: share_events.emit("secured", code=code),
        fps=fps,
        on_agent=lambda agent: share_events.emit("agent", agent=repr(agent)),
        on_end=on_end,
    )
    session.start()
    share_events.emit("connected", peer=address)
    try:
        while not ended.wait(1.0):
            pass
    except KeyboardInterrupt:
        session.end("customer ended the session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
