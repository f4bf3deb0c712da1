"""The two parties of a remote session, one definition for tokens, relay and protocol."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A ``str`` enum: tokens carry the value as is (``"agent"``, ``"customer"``)."""

    CUSTOMER = "customer"  #: shares its screen, receives input
    AGENT = "agent"  #: views, sends input

    @property
    def peer(self) -> Role:
        """The role this side must be paired with."""
        return Role.AGENT if self is Role.CUSTOMER else Role.CUSTOMER
