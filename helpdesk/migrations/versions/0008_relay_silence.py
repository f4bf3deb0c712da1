"""relay silence: when a relay fell silent and when it was heard from again

A cut between a relay and a server that stays up, longer than the relay lapse, ended as
``not-joined`` an offer the parties joined during it, and the relay's word that it runs
came too late to reopen it. ``relay_nodes.silent_from`` and ``back_at`` record the
relay's latest silence longer than the lapse; an offer expired during it is reopenable
within a relay lapse of the relay's return (``helpdesk.services.relay_dating``).

Both nullable, no default: a relay is not known to have been silent until the server
sees it come back. On SQLite the columns are added in place (``ALTER TABLE ... ADD
COLUMN``); downgrading there copies the table, as 0006's does.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("relay_nodes", sa.Column("silent_from", sa.DateTime(), nullable=True))
    op.add_column("relay_nodes", sa.Column("back_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("relay_nodes") as batch:
        batch.drop_column("back_at")
        batch.drop_column("silent_from")
