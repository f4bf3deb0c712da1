"""A small real HTTP server between the app and the helpdesk, standing in for what we do
not own on the way: a captive portal, a redirecting proxy, a slow link.

Requests are forwarded to the helpdesk unless ``modes`` says otherwise for their method:
``portal`` answers 200 with a login page (the helpdesk never sees the request),
``proxy-400`` a proxy's own refusal page (400, HTML),
``redirect`` answers 302 to the same URL on the helpdesk, and ``hold`` forwards the
request (the helpdesk does the work) but keeps the answer until ``release`` is set, so the
client times out without hearing it.  ``refuse_appointments`` answers a write carrying a
time appointment 400, as a real Movidesk answers one whose activity the account has not
registered (our server takes any)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

PAGE = b"<html><body>Hotel Wi-Fi: please log in</body></html>"
HOLD_LIMIT_S = 30.0  #: a held answer is let go after this long, whatever the test does


class Middlebox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target.rstrip("/")
        self.modes: dict[str, str] = {}  #: HTTP method -> portal | proxy-400 | redirect | hold
        self.release = threading.Event()
        self.seen: list[str] = []  #: "METHOD path" of every request, in order
        self.refuse_appointments = False
        self.forwarder = requests.Session()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Middlebox

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's own assertions say what happened

    def _handle(self) -> None:
        box = self.server
        box.seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        mode = box.modes.get(self.command)
        if box.refuse_appointments and b'"timeAppointments": [{' in body.replace(b'":[', b'": ['):
            refusal = b'{"message": "The activity Remote access does not exist"}'
            self._answer(400, "application/json", refusal)
            return
        if mode == "portal":
            self._answer(200, "text/html", PAGE)
            return
        if mode == "proxy-400":
            self._answer(400, "text/html", b"<html><body>400 Bad Request (proxy)</body></html>")
            return
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", box.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in _PASSED}
        answer = box.forwarder.request(
            self.command, box.target + self.path, data=body, headers=headers, timeout=10
        )
        if mode == "hold":
            box.release.wait(HOLD_LIMIT_S)
        with contextlib.suppress(OSError):  # a client that gave up waiting: held on purpose
            self._answer(answer.status_code, answer.headers.get("Content-Type", ""), answer.content)

    def _answer(self, status: int, kind: str, content: bytes) -> None:
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


_PASSED = {"content-type", "authorization", "accept"}


@contextmanager
def middlebox(target: str) -> Iterator[Middlebox]:
    box = Middlebox(target)
    thread = threading.Thread(target=box.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.release.set()
        box.shutdown()
        box.server_close()
        box.forwarder.close()
        thread.join(10)
