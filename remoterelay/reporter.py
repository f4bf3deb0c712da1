"""Reports from the relay to the helpdesk: every connect, end and heartbeat, in order."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from remotewire.shared_secret import report_key


class HttpReporter:
    """Posts relay events to the helpdesk in order, from one worker, without blocking I/O."""

    def __init__(self, url: str, secret: bytes, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/") + "/relay/events"
        self.secret = secret
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()

    def _post(self, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-Relay-Secret": report_key(self.secret)},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            response.read()

    async def __call__(self, payload: dict[str, Any]) -> None:
        async with self._lock:  # keeps "connected" before "ended"
            await asyncio.to_thread(self._post, payload)
