"""remoteapp: helpdesk-integrated remote support (customer app, agent viewer, relay)."""

__version__ = "0.1.0"
