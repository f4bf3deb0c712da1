"""The relay: pairs an agent with a customer and forwards bytes; server side only.

Depends on ``remotewire`` and the standard library; never on the desktop packages.
"""

from remoterelay.server import Relay, RelayConfig

__all__ = ["Relay", "RelayConfig"]
