"""The desktop app's networking: the sans-IO session protocol and the helpdesk client.

``session`` and ``session_state`` are sans-IO, so the Qt app, the benches and the tests
drive them over any byte pipe; ``helpdesk`` uses requests. What the server and the relay
share with the app (framing, tokens, the relay handshake) lives in ``remotewire``.
"""
