"""whose presence: an agent app's own presence is no waiting customer

The agent app registers a presence too (colleagues connect to the agent by ID and
password), with the agent's bearer; ``presences.staff_user_id`` records whose it is, and
the queue, the monitoring page and the indicators leave such presences out.

On SQLite the column is added in place (``ALTER TABLE ... ADD COLUMN ... REFERENCES``):
batch mode would copy the table, and dropping the old copy fails while sessions point
at presences (foreign keys are on). Downgrading on SQLite does copy it, as 0006's does.
No ``ON DELETE``, as the sessions' ``agent_id``: users are never deleted (and SQLite's
reflection does not read it from an inline reference).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_presences_staff_user_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE presences ADD COLUMN staff_user_id INTEGER REFERENCES users (id)")
        return
    op.add_column("presences", sa.Column("staff_user_id", sa.Integer(), nullable=True))
    op.create_foreign_key(FOREIGN_KEY, "presences", "users", ["staff_user_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("presences") as batch:
            batch.drop_column("staff_user_id")
        return
    op.drop_constraint(FOREIGN_KEY, "presences", type_="foreignkey")
    op.drop_column("presences", "staff_user_id")
