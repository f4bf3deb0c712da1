"""web console: access profiles, users' profile and session epoch, online watches

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_foreign_key(
            "fk_users_profile_id", "access_profiles", ["profile_id"], ["id"], ondelete="SET NULL"
        )
    # Databases from before the console: app administrators keep managing remote access
    # through a profile that holds every console permission.
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM app_admins")).scalar():
        profiles = sa.table(
            "access_profiles",
            sa.column("id", sa.Integer()),
            sa.column("name", sa.String()),
            sa.column("permissions", sa.JSON()),
        )
        op.bulk_insert(
            profiles,
            [
                {
                    "id": 1,
                    "name": "Administradores",
                    "permissions": ["remote_apps.manage", "settings.access_profiles"],
                }
            ],
        )
        connection.execute(
            sa.text("UPDATE users SET profile_id = 1 WHERE id IN (SELECT user_id FROM app_admins)")
        )
    op.create_table(
        "online_watches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "person_id"),
    )


def downgrade() -> None:
    op.drop_table("online_watches")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_profile_id", type_="foreignkey")
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("profile_id")
    op.drop_table("access_profiles")
