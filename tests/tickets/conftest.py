"""The outbox and record tests' fixtures, from tests/tickets/servers.py."""

from tests.tickets.servers import box_between, server, through, tickets

__all__ = ["box_between", "server", "through", "tickets"]  # (fixtures, shared)
