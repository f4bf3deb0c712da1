"""Start-up of a built app (one with a baked ``deployment.json``): whose app it is, then
the update icon.  From source there is no deployment and none of this runs.

``prepare`` runs before the QApplication exists (the GUI thread is not yet one): with a
verified cached profile of the same slug it reads only files, and refreshes the cache
on a background thread for the next start; only a first start waits (bounded) for the
server's signed profile, since the window cannot be drawn without knowing whose it is.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from remoteapp.branding.deployment import Deployment, load_deployment
from remoteapp.branding.identity import (
    Identity,
    ProfileCache,
    executable_path,
    refresh,
    resolve,
)
from remoteapp.branding.profile import Profile
from remoteapp.session.device import data_dir
from remoteapp.ui import company_code, updates
from remoteapp.ui.qt import QtWidgets
from remoteapp.update.replace import remove_leftovers
from remotewire.events import EventLog

log = logging.getLogger("remoteapp.identity")
identity_events = EventLog("identity")


@dataclass
class Deployed:
    deployment: Deployment
    executable: Path
    cache: ProfileCache
    identity: Identity | None
    updater: updates.Updater | None = None


def prepare() -> Deployed | None:
    """None from source; raises DeploymentError or ProfileRefused (never shown unsigned)."""
    deployment = load_deployment()
    if deployment is None:
        return None
    executable = executable_path()
    if getattr(sys, "frozen", False):
        for leftover in remove_leftovers(executable):
            log.info("update event=leftover-removed path=%s", leftover)
    cache = ProfileCache(data_dir() / "profile")
    identity = resolve(deployment, executable, cache, prefer_cache=True)
    if identity is not None:
        identity_events.emit(
            "resolved",
            slug=identity.slug,
            source=identity.source,
            version=deployment.version,
            pid=os.getpid(),
        )
        if identity.source == "cache":
            threading.Thread(
                target=refresh, args=(deployment, identity.slug, cache), daemon=True
            ).start()
    return Deployed(deployment, executable, cache, identity)


def profile(deployed: Deployed) -> Profile | None:
    """The profile to show; asks for the company's code when nothing says whose app this
    is (None: the user gave up)."""
    if deployed.identity is None:
        deployed.identity = company_code.ask(
            deployed.deployment, deployed.executable, deployed.cache
        )
    return deployed.identity.profile if deployed.identity is not None else None


def attach_updates(
    deployed: Deployed,
    header: QtWidgets.QWidget,
    window: QtWidgets.QWidget,
    session_in_progress: Callable[[], bool],
    status: Callable[[str], None],
) -> None:
    """The update icon in ``header``; ``session_in_progress()`` holds an update back."""
    deployed.updater = updates.attach(
        header,
        window,
        deployed.deployment,
        deployed.executable,
        session_in_progress,
        status,
    )
