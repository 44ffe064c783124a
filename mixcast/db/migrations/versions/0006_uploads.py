"""uploads: the shows on each profile (owner's and hosted), the pipeline's claim and picture
waiting for renditions, and the indexes of the scheduled publisher and the pipeline's sweep

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LISTED = "s.visibility = 'public' AND s.status = 'ready'"


def upgrade() -> None:
    # Plain ALTERs, not a batch: on SQLite a batch copies the table and drops its search
    # triggers (0003).
    op.add_column("shows", sa.Column("picture_blob", sa.String(255), nullable=True))
    op.add_column("shows", sa.Column("original_crc32", sa.String(8), nullable=True))
    op.add_column("shows", sa.Column("lease_until", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_shows_scheduled",
        "shows",
        ["publish_at"],
        sqlite_where=sa.text("visibility = 'scheduled'"),
        postgresql_where=sa.text("visibility = 'scheduled'"),
    )
    op.create_index("ix_shows_original_blob", "shows", ["original_blob"])
    op.create_index(
        "ix_shows_picture_blob",
        "shows",
        ["picture_blob"],
        sqlite_where=sa.text("picture_blob IS NOT NULL"),
        postgresql_where=sa.text("picture_blob IS NOT NULL"),
    )
    op.create_index(
        "ix_shows_unfinished",
        "shows",
        ["status", "updated_at"],
        sqlite_where=sa.text("status = 'received' OR status = 'processing'"),
        postgresql_where=sa.text("status = 'received' OR status = 'processing'"),
    )
    op.create_table(
        "profile_shows",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("show_id", ID, nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_profile_shows_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name="fk_profile_shows_show_id_shows", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "show_id", name="uq_profile_shows_user_show"),
    )
    op.create_index(
        "ix_profile_shows_user_published",
        "profile_shows",
        ["user_id", "published_at", "show_id"],
    )
    op.create_index("ix_profile_shows_show", "profile_shows", ["show_id"])
    op.create_index("ix_show_hosts_user", "show_hosts", ["user_id"])
    # Every show on its owner's profile, and on its hosts' profiles.
    op.execute(
        "INSERT INTO profile_shows (user_id, show_id, published_at)"
        f" SELECT s.owner_id, s.id, CASE WHEN {LISTED} THEN s.published_at END FROM shows s"
    )
    op.execute(
        "INSERT INTO profile_shows (user_id, show_id, published_at)"
        f" SELECT h.user_id, s.id, CASE WHEN {LISTED} THEN s.published_at END"
        " FROM show_hosts h JOIN shows s ON s.id = h.show_id WHERE h.user_id <> s.owner_id"
    )


def downgrade() -> None:
    op.drop_index("ix_show_hosts_user", "show_hosts")
    op.drop_index("ix_profile_shows_show", "profile_shows")
    op.drop_index("ix_profile_shows_user_published", "profile_shows")
    op.drop_table("profile_shows")
    op.drop_index("ix_shows_unfinished", "shows")
    op.drop_index("ix_shows_picture_blob", "shows")
    op.drop_index("ix_shows_original_blob", "shows")
    op.drop_index("ix_shows_scheduled", "shows")
    for column in ("lease_until", "original_crc32", "picture_blob"):
        op.execute(f"ALTER TABLE shows DROP COLUMN {column}")  # SQLite 3.35+ and PostgreSQL
