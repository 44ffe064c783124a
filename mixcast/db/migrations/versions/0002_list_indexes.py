"""list indexes: listed-show partial indexes, tag scores, show listeners' users

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LISTED = "visibility = 'public' AND status = 'ready'"


def _where(predicate: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(predicate), "postgresql_where": sa.text(predicate)}


def upgrade() -> None:
    with op.batch_alter_table("shows") as batch_op:
        batch_op.drop_index("ix_shows_published")
        batch_op.drop_index("ix_shows_city_published")
    op.create_index("ix_shows_new", "shows", ["published_at", "id"], **_where(LISTED))
    op.create_index(
        "ix_shows_owner_new", "shows", ["owner_id", "published_at", "id"], **_where(LISTED)
    )
    op.create_index(
        "ix_shows_city_new", "shows", ["city_tag_id", "published_at", "id"], **_where(LISTED)
    )
    op.create_index(
        "ix_shows_popular",
        "shows",
        ["popular_score", "id"],
        **_where(f"popular_score > 0 AND {LISTED}"),
    )
    op.create_index(
        "ix_shows_hot", "shows", ["hot_score", "id"], **_where(f"hot_score > 0 AND {LISTED}")
    )

    with op.batch_alter_table("show_tags") as batch_op:
        batch_op.add_column(
            sa.Column("popular_score", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("hot_score", sa.Float(), server_default="0", nullable=False))
    op.create_index(
        "ix_show_tags_tag_popular",
        "show_tags",
        ["tag_id", "popular_score"],
        **_where("popular_score > 0"),
    )
    op.create_index(
        "ix_show_tags_tag_hot", "show_tags", ["tag_id", "hot_score"], **_where("hot_score > 0")
    )
    op.execute(
        "UPDATE show_tags SET popular_score = (SELECT popular_score FROM shows"
        " WHERE shows.id = show_tags.show_id), hot_score = (SELECT hot_score FROM shows"
        " WHERE shows.id = show_tags.show_id)"
    )

    with op.batch_alter_table("show_listeners") as batch_op:
        batch_op.add_column(
            sa.Column(
                "user_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            op.f("fk_show_listeners_user_id_users"),
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_show_listeners_show_first", ["show_id", "first_at"])
    op.execute(
        "UPDATE show_listeners SET user_id = CAST(substr(listener, 3) AS BIGINT)"
        " WHERE listener LIKE 'u:%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("show_listeners") as batch_op:
        batch_op.drop_index("ix_show_listeners_show_first")
        batch_op.drop_constraint(op.f("fk_show_listeners_user_id_users"), type_="foreignkey")
        batch_op.drop_column("user_id")
    op.drop_index("ix_show_tags_tag_hot", "show_tags")
    op.drop_index("ix_show_tags_tag_popular", "show_tags")
    with op.batch_alter_table("show_tags") as batch_op:
        batch_op.drop_column("hot_score")
        batch_op.drop_column("popular_score")
    for name in ("ix_shows_hot", "ix_shows_popular", "ix_shows_city_new", "ix_shows_owner_new"):
        op.drop_index(name, "shows")
    op.drop_index("ix_shows_new", "shows")
    op.create_index("ix_shows_city_published", "shows", ["city_tag_id", "published_at"])
    op.create_index("ix_shows_published", "shows", ["published_at"])
