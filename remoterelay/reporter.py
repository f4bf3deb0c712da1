"""Reports from the relay to the helpdesk: every connect, end and heartbeat, in order,
each signed over a timestamp and its body (``remotewire.relay_reports``)."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from remotewire.relay_reports import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_report

MAX_ANSWER = 256 * 1024
"""An answer lists at most a few hundred ended sessions; more is not read."""


class HttpReporter:
    """Posts relay events to the helpdesk in order, from one worker, without blocking I/O;
    returns the helpdesk's answer (which may list sessions it has ended)."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        timeout_s: float = 5.0,
        now: Callable[[], float] = time.time,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/relay/events"
        self.context = context
        """Verifies an https:// helpdesk (None: the system's default trust)."""
        self.secret = secret
        self.timeout_s = timeout_s
        self.now = now
        """The wall clock stamped on reports (the helpdesk checks them against its own
        wall clock, ``helpdesk.services.relay_events.check_signature``)."""
        self._lock = asyncio.Lock()

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        timestamp = f"{self.now():.6f}"
        request = urllib.request.Request(
            self.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign_report(self.secret, timestamp, body),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s, context=self.context) as resp:
            answer = resp.read(MAX_ANSWER)
        try:
            parsed = json.loads(answer)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    async def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:  # keeps "connected" before "ended"
            return await asyncio.to_thread(self._post, payload)
