"""scoped ticket API tokens, stored hashed (issue 10 §3.9)

The old table kept tokens in clear with no scope. Each is carried over as its SHA-256
with no scope: such a token reads everything, so the server honours it only when
``REMOTEAPP_GLOBAL_API_TOKENS=1`` (docs/security.md); the console revokes it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    old = op.get_bind().execute(sa.text("SELECT token, name FROM api_tokens")).all()
    op.drop_table("api_tokens")
    tokens = op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=True),
        sa.Column("app_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["remote_apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_api_tokens_app_id"), "api_tokens", ["app_id"], unique=False)
    if old:
        stamp = datetime.now(UTC).replace(tzinfo=None)
        op.bulk_insert(
            tokens,
            [
                {
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "name": name,
                    "created_at": stamp,
                }
                for token, name in old
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_app_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.create_table(
        "api_tokens",
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
