"""Who may do what in the web console: access-profile permissions and app roles.

Two independent kinds of right, as in the product description:

- **Permissions** come from the user's access profile (Settings » Access profiles) and
  open settings screens: ``remote_apps.manage`` ("Permitir o cadastramento de aplicativos
  para acesso remoto") opens Settings » Remote access » Applications;
  ``settings.access_profiles`` opens Settings » Access profiles and the users list.
- **Roles** are per remote app: administrator (indicators, customers' IDs and passwords)
  and/or agent (may connect). Being one does not imply the other.
"""

from __future__ import annotations

from helpdesk.models import User

REMOTE_APPS = "remote_apps.manage"
ACCESS_PROFILES = "settings.access_profiles"
PERMISSIONS: dict[str, str] = {
    REMOTE_APPS: "Allow registering remote-access apps",
    ACCESS_PROFILES: "Manage access profiles and users",
}
"""Permission name → its label (English msgid; the console translates it)."""


def has_permission(user: User, permission: str) -> bool:
    return user.profile is not None and permission in (user.profile.permissions or [])
