"""A helpdesk that lies, for the live end-to-end tests (``test_e2e_live.py``): a proxy in
front of the real server that may rewrite the session grants and offers it passes on."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

JOIN_S = 20.0  #: the bound on the proxy's thread ending

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class LyingProxy:
    """The helpdesk as one app sees it, through a test double at the HTTP boundary:
    every call goes to the real server; ``rewrite`` may change a session grant (the
    agent's) or each session offer of a long poll (the customer's) on the way."""

    def __init__(self, upstream: str, rewrite: Rewrite):
        self.upstream = httpx.Client(base_url=upstream, timeout=30)  # long polls too
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "x-presence-key")
                }
                answer = proxy.upstream.request(
                    self.command, self.path, content=body, headers=headers
                )
                content = answer.content
                if answer.status_code == 200 and self.path.startswith("/api/sessions"):
                    grant = answer.json()
                    if "token" in grant:  # a grant (not a session's state)
                        content = json.dumps(rewrite(grant)).encode()
                elif answer.status_code == 200 and "/events" in self.path:
                    poll = answer.json()
                    poll["events"] = [rewrite(e) for e in poll["events"]]
                    content = json.dumps(poll).encode()
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self._thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self._thread.join(JOIN_S)
        self.upstream.close()
