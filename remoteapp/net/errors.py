"""The helpdesk client's branch of the error tree (the rest is in ``remotewire.errors``)::

RemoteappError
 └── HelpdeskError          a call to the helpdesk failed; subclasses and their
                            stable ``code`` live in ``remoteapp.net.helpdesk``
"""

from __future__ import annotations

from remotewire.errors import RemoteappError


class HelpdeskError(RemoteappError):
    """A call to the helpdesk server failed; subclasses live in ``remoteapp.net.helpdesk``."""
