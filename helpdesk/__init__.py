"""Helpdesk server for remoteapp: agents, branded remote apps, customer presence,
remote sessions (brokered through the relay) and a Movidesk-shaped ticket API.

Run it with ``remoteapp-server`` (``helpdesk.cli:main``); see docs/server.md.
"""
