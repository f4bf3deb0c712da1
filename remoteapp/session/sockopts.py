"""Socket options the session's TCP connections use where the OS has them.

``limit_unsent``: Linux's TCP_NOTSENT_LOWAT.  A socket's send buffer grows to megabytes
on its own; on a slow link, what the app hands it waits there unseen (``ss`` showed
~600 kB behind the customer's socket on a 5 Mbit/s link: a second of video nobody could
drop, reorder or account for).  With the option the kernel keeps only about ``limit``
bytes not yet sent: the socket is writable, and a blocking send goes on, only below it,
so what waits stays in the app's own bounded queue (``transport.Transport``).
"""

from __future__ import annotations

import socket
import sys
from typing import Final

#: bytes the kernel may hold not yet sent (~50 ms at 5 Mbit/s; a fast link refills it
#: long before it runs dry)
UNSENT_LIMIT: Final = 32 << 10
TCP_NOTSENT_LOWAT: Final = 25  #: Linux's option number (include/uapi/linux/tcp.h)


def limit_unsent(sock: socket.socket, limit: int = UNSENT_LIMIT) -> bool:
    """Make ``sock`` hold at most about ``limit`` unsent bytes (Linux TCP_NOTSENT_LOWAT:
    it is writable, and a blocking send goes on, only below that).  False where that
    does not apply (another OS, not TCP): nothing is changed then."""
    if not sys.platform.startswith("linux") or sock.type != socket.SOCK_STREAM:
        return False
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT, limit)
    except OSError:
        return False
    return True
