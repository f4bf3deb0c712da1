"""A stable id for this device, so the customer keeps the same 9-digit ID across starts."""

from __future__ import annotations

import uuid
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The user data directory (outbox, device id); created on first use."""
    path = Path(platformdirs.user_data_dir("remoteapp", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def device_id(directory: Path | None = None) -> str:
    path = (directory or data_dir()) / "device-id"
    try:
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
    except OSError:
        pass
    new = uuid.uuid4().hex
    path.write_text(new, encoding="ascii")
    return new
