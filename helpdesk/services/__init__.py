"""The helpdesk's rules, one module per resource, with no HTTP in them.

Functions take a database session (always named ``db``; "session" means a support
session here), the ``Settings`` (which carry the clock) and whatever collaborator they
need (failure limiter, notifier), and raise ``helpdesk.errors`` on refusal. The routers
in ``helpdesk.routers`` parse requests, call these and shape the answers.
"""
