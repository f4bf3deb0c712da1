"""Networking of remoteapp: wire framing, session tokens, the relay and the helpdesk client.

Everything here except ``relay`` (asyncio) and ``helpdesk`` (requests) is sans-IO, so the
same code runs in the relay, in the Qt app and in tests over in-memory byte pipes.
"""
