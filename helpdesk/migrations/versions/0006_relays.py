"""relay fleet: registered relays and their regions (issue 13)

A relay's heartbeat carries the address apps reach it at, its region and its load; an
app's customers are placed on a relay of the app's region (``helpdesk.services.relay_fleet``).
The signatures of fresh relay reports are kept in the database, so that a report replayed
to another server process is refused there too.

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
    op.create_table(
        "relay_reports_seen",
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    op.create_index(
        op.f("ix_relay_reports_seen_until"), "relay_reports_seen", ["until"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_relay_reports_seen_until"), table_name="relay_reports_seen")
    op.drop_table("relay_reports_seen")
    with op.batch_alter_table("remote_apps") as batch:
        batch.drop_column("region")
    with op.batch_alter_table("relay_nodes") as batch:
        batch.drop_column("load")
        batch.drop_column("region")
        batch.drop_column("address")
