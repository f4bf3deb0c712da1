"""The longest value of each console form field, in one place: the route's
``Form(max_length=...)`` and the template's ``maxlength`` (the ``bounds`` global) read the
same number, the bound the service checks. A service that names its bound is read here;
where it writes the number in its check, the number is repeated here, next to where it is
checked. ``tests/console/test_field_bounds.py`` reads every input's ``maxlength`` in
Chromium and has the server take that many characters and refuse one more.

Counted as the browser counts: a line break of a textarea is one character in its
``maxlength`` but is sent as CRLF, so the action's text is read with CRLF made LF
(``helpdesk.console.tickets``) and its raw form value may be twice as long.
"""

from __future__ import annotations

from typing import Final

from helpdesk.services import app_settings, password_policy, ticket_desk

PASSWORD: Final = password_policy.MAX_LENGTH
EMAIL: Final = 320
"""A login's, a new user's (``access.create_user``)."""
PROFILE_NAME: Final = 100
"""``access.save_profile``."""
USER_NAME: Final = 200
"""``access.create_user``."""
TOKEN_NAME: Final = 200
TOKEN_ORGANIZATION: Final = 200
"""``api_tokens.create``."""
ACTION: Final = ticket_desk.MAX_ACTION
ACTION_RAW: Final = 2 * ACTION
"""The action's text as sent: every line break CRLF."""
MINUTES: Final = len(str(24 * 60))
"""``ticket_desk.add_action``: 1 to 1440 minutes."""
APP_ID: Final = 40
"""``app_settings.APP_ID``, as are a relay region (``relay_fleet.REGION``) and a custom
field's key (``app_settings.CUSTOM_KEY``)."""
APP_NAME: Final = 200
APP_TITLE: Final = 200
CUSTOM_LABEL: Final = app_settings.MAX_LABEL
SELECT: Final = 100
"""A select's value (an id, an app ID): only a crafted form sends a long one."""
