"""The two ends of a live session, Qt-free: the customer serves its screen and applies
input, the agent decodes the screen and sends input.  Each runs over a connected byte
stream (the relay's, once paired) on its own threads; the UI only gets callbacks."""

from remoteapp.session.agent import AgentSession
from remoteapp.session.customer import CustomerSession
from remoteapp.session.transport import Transport

__all__ = ["AgentSession", "CustomerSession", "Transport"]
