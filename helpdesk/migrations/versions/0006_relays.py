"""relay fleet: registered relays and their regions (issue 13)

A relay's heartbeat carries the address apps reach it at, its region and its load; an
app's customers are placed on a relay of the app's region (``helpdesk.services.relay_fleet``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relay_nodes") as batch:
        batch.add_column(sa.Column("address", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("region", sa.String(length=40), server_default="default", nullable=False)
        )
        batch.add_column(sa.Column("load", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("remote_apps") as batch:
        batch.add_column(
            sa.Column("region", sa.String(length=40), server_default="default", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_apps") as batch:
        batch.drop_column("region")
    with op.batch_alter_table("relay_nodes") as batch:
        batch.drop_column("load")
        batch.drop_column("region")
        batch.drop_column("address")
