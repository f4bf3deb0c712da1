"""The helpdesk web console (``/console``): server-rendered pages (Jinja2, htmx, Pico.css),
live tables over server-sent events, pt_BR and English. ``helpdesk.console.app.install``
adds it to the server's FastAPI app; docs/console.md describes the pages and the rules.

This package's ``__init__`` imports nothing, so ``helpdesk.console.i18n`` (the message
marker the services use) loads without FastAPI.
"""
