"""ORM tables of the helpdesk. Times are naive UTC (portable across SQLite/PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Naive UTC, because SQLite drops tz info and mixing both breaks comparisons."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


app_admins = Table(
    "app_admins",
    Base.metadata,
    Column("app_id", ForeignKey("remote_apps.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
app_agents = Table(
    "app_agents",
    Base.metadata,
    Column("app_id", ForeignKey("remote_apps.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
ticket_clients = Table(
    "ticket_clients",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
)


class Person(Base):
    """A Movidesk person: a client (profile 2) or the person record of an agent (1)."""

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    organization: Mapped[str | None] = mapped_column(String(200))
    classification: Mapped[str | None] = mapped_column(String(100))
    profile_type: Mapped[int] = mapped_column(Integer, default=2)
    created_date: Mapped[datetime] = mapped_column(default=utcnow)


class AccessProfile(Base):
    """Settings » Access profiles: a named set of permissions given to users.

    ``permissions`` holds names from ``helpdesk.services.access.PERMISSIONS``, e.g.
    ``remote_apps.manage`` ("Permitir o cadastramento de aplicativos para acesso remoto").
    """

    __tablename__ = "access_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class User(Base):
    """Someone who logs in: an agent and/or an app administrator."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    person: Mapped[Person | None] = relationship()
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_profiles.id", ondelete="SET NULL")
    )
    profile: Mapped[AccessProfile | None] = relationship()
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Browser sessions carry the epoch they began in; logout or a password change bumps it,
    which revokes every browser session of the user at once."""
    login_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bearer tokens (the agent app's logins) carry the version they were issued in; API
    logout or a password change bumps it, which revokes every such login at once."""


class FailedAttempt(Base):
    """A failed, or still being checked, password attempt under one limit key
    (``helpdesk.limits``); rows older than every window are purged."""

    __tablename__ = "failed_attempts"
    __table_args__ = (
        Index("ix_failed_attempts_key_at", "key", "at"),
        Index("ix_failed_attempts_at", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the limit key, e.g. of ``login:<email>:<address>``."""
    at: Mapped[datetime] = mapped_column()


class RemoteApp(Base):
    """A branded customer app: which fields customers fill, how it looks, who serves it."""

    __tablename__ = "remote_apps"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    """{"name": {"shown": bool, "required": bool}, ..., "custom": [{"key", "label", ...}]}"""
    title: Mapped[str] = mapped_column(String(200))
    logo: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(40), default="default", server_default="default")
    """Sessions of this app's customers go to a relay of this region (``relay_fleet``)."""
    admins: Mapped[list[User]] = relationship(secondary=app_admins)
    agents: Mapped[list[User]] = relationship(secondary=app_agents)


class Presence(Base):
    """A device with the app open: its stable partner ID, current password and last poll.

    Mostly a customer's; an agent app registers one too, so that colleagues can connect
    to the agent by ID and password (``staff_user_id``)."""

    __tablename__ = "presences"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128), unique=True)
    partner_id: Mapped[str] = mapped_column(String(9), unique=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("remote_apps.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the presence key the customer app authenticates its polls with."""
    password: Mapped[str] = mapped_column(String(32))
    """Kept readable on purpose: app administrators are shown it in the queue."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    filled: Mapped[dict[str, Any]] = mapped_column(JSON)
    waiting_since: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The logged-in user whose own presence this is (registered with their bearer), else
    None: a customer. Only customers wait in the queue (``presence.waiting_clause``)."""
    app: Mapped[RemoteApp] = relationship()
    person: Mapped[Person | None] = relationship()


class RemoteSession(Base):
    """One agent↔customer session: offered → connected → ended(reason)."""

    __tablename__ = "remote_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("remote_apps.id"), index=True)
    presence_id: Mapped[int] = mapped_column(ForeignKey("presences.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="offered", index=True)
    end_reason: Mapped[str | None] = mapped_column(String(100))
    relay_address: Mapped[str] = mapped_column(String(200))
    relay_id: Mapped[str | None] = mapped_column(String(40))
    customer_token: Mapped[str] = mapped_column(Text)
    offer_delivered: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column()
    waiting_since: Mapped[datetime] = mapped_column()
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    connected_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    e2e_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    """Mixed into the session key (docs/security.md); None only on rows from before 0003."""
    e2e_psk: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    """The pre-shared key of a queue or connect-code session; None on password sessions."""
    agent: Mapped[User] = relationship()
    presence: Mapped[Presence] = relationship()


class RelayNode(Base):
    """A running relay as last heard from; silence means its sessions are lost."""

    __tablename__ = "relay_nodes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str | None] = mapped_column(String(200))
    """Where apps reach it (``host:port`` or ``tls://host:port``), as the relay reports it
    (``remoteapp-relay --public-address``); None: it gets no sessions placed on it."""
    region: Mapped[str] = mapped_column(String(40), default="default", server_default="default")
    load: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Sessions running or parked there at its last heartbeat (for operators; placement
    counts the open sessions in the database, which is current between heartbeats)."""
    silent_from: Mapped[datetime | None] = mapped_column()
    """When it was last heard before its latest silence longer than the relay lapse (a
    cut, or this server down); None: never silent that long (``relay_dating.heard``)."""
    back_at: Mapped[datetime | None] = mapped_column()
    """When it was first heard again after that silence: an offer expired as not joined
    during it may be reopened up to a relay lapse after this (``relay_dating.reopenable``)."""


class RelayReportSeen(Base):
    """A relay report's signature while its timestamp is fresh: seen again, by any server
    process, it is a replay (``relay_events.remember``); the sweeper drops old ones."""

    __tablename__ = "relay_reports_seen"
    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    until: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A token for the Movidesk-shaped public API (query parameter ``token``), scoped to
    one organization's or one app's tickets (``helpdesk.services.api_tokens``). Only its
    SHA-256 is stored; the token is shown once, when made. No scope at all (a token from
    before scopes) is honoured only where the operator allows it explicitly."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str | None] = mapped_column(String(200))
    app_id: Mapped[str | None] = mapped_column(
        ForeignKey("remote_apps.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(400))
    type: Mapped[int] = mapped_column(Integer, default=2)
    status: Mapped[str] = mapped_column(String(50), default="Novo")
    base_status: Mapped[str] = mapped_column(String(50), default="New")
    origin: Mapped[int] = mapped_column(Integer, default=9)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_date: Mapped[datetime] = mapped_column(default=utcnow)
    last_update: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    clients: Mapped[list[Person]] = relationship(secondary=ticket_clients)
    actions: Mapped[list[TicketAction]] = relationship(
        back_populates="ticket", order_by="TicketAction.number", cascade="all, delete-orphan"
    )


class TicketAction(Base):
    """A ticket action; ``session_ref`` dedupes actions appended for a remote session."""

    __tablename__ = "ticket_actions"
    __table_args__ = (UniqueConstraint("ticket_id", "session_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    type: Mapped[int] = mapped_column(Integer, default=2)
    origin: Mapped[int] = mapped_column(Integer, default=9)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_date: Mapped[datetime] = mapped_column(default=utcnow)
    time_appointments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    session_ref: Mapped[str | None] = mapped_column(String(40))
    ticket: Mapped[Ticket] = relationship(back_populates="actions")
    created_by: Mapped[Person | None] = relationship()


class OnlineWatch(Base):
    """ "Notify me when online": a console user waits for a client's app to come online."""

    __tablename__ = "online_watches"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
