"""Networking of remoteapp: wire framing, session tokens, the relay and the helpdesk client.

``framing`` and ``tokens`` are sans-IO, so the relay, the Qt app and the tests share them
over any byte pipe; ``relay`` and ``relay_client`` are asyncio; ``helpdesk`` uses requests.
"""
