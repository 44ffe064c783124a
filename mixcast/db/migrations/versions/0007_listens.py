"""listens: the index of the once-an-hour check, and listener keys wide enough for "a:" and an
anonymous id of 64 characters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("listens", "show_listeners")


def _listener_width(width: int, was: int) -> None:
    # A batch: PostgreSQL gets a plain ALTER (widening a varchar rewrites nothing); SQLite
    # copies the table, its indexes and constraints included (neither table has triggers).
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "listener",
                type_=sa.String(width),
                existing_type=sa.String(was),
                existing_nullable=False,
            )


def upgrade() -> None:
    _listener_width(80, 64)
    op.create_index(
        "ix_listens_show_listener_created", "listens", ["show_id", "listener", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_listens_show_listener_created", "listens")
    _listener_width(64, 80)
