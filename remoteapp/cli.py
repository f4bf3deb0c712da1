"""The ``remoteapp`` command.

Until the desktop app lands (issue #4) its one mode is ``pipeline``: the screen pipeline
run live on this display.
"""

from __future__ import annotations

import argparse
import logging
import sys

from remoteapp import __version__
from remoteapp.errors import CaptureError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remoteapp", description="remoteapp remote support")
    parser.add_argument("--version", action="version", version=f"remoteapp {__version__}")
    sub = parser.add_subparsers(dest="command")
    pipe = sub.add_parser("pipeline", help="run capture -> encode -> decode live and print figures")
    pipe.add_argument("--seconds", type=float, default=10.0)
    pipe.add_argument("--fps", type=float, default=30.0)
    pipe.add_argument("--monitor", type=int, default=1, help="0 = all monitors, 1 = first, ...")
    pipe.add_argument("--display", help="X display to capture (default: $DISPLAY)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from remoteapp import live_pipeline

    try:
        live_pipeline.run(args.seconds, args.fps, args.monitor, args.display)
    except CaptureError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
