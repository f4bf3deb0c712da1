"""end-to-end encryption: per-session salt and pre-shared key (issue 10 §1)

Sessions from before keep NULL in both columns; an app refuses such an offer.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remote_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("e2e_salt", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("e2e_psk", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remote_sessions", schema=None) as batch_op:
        batch_op.drop_column("e2e_psk")
        batch_op.drop_column("e2e_salt")
