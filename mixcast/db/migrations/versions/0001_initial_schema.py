"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pictures",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("primary_color", sa.String(length=6), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('profile', 'profile_cover', 'extaudio')", name=op.f("ck_pictures_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pictures")),
    )
    op.create_table(
        "tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.CheckConstraint("kind IN ('genre', 'city')", name=op.f("ck_tags_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("kind", "slug", name="uq_tags_kind_slug"),
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("username_key", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("biog", sa.Text(), server_default="", nullable=False),
        sa.Column("city", sa.String(length=128), server_default="", nullable=False),
        sa.Column("country", sa.String(length=128), server_default="", nullable=False),
        sa.Column("is_pro", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("is_premium", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("picture_id", sa.String(length=32), nullable=True),
        sa.Column("cover_picture_id", sa.String(length=32), nullable=True),
        sa.Column("follower_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("following_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("favorite_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("listen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cloudcast_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cover_picture_id"], ["pictures.id"], name=op.f("fk_users_cover_picture_id_pictures")
        ),
        sa.ForeignKeyConstraint(
            ["picture_id"], ["pictures.id"], name=op.f("fk_users_picture_id_pictures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username_key", name=op.f("uq_users_username_key")),
    )
    op.create_table(
        "follows",
        sa.Column(
            "follower_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "followee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_not_self")),
        sa.ForeignKeyConstraint(
            ["followee_id"],
            ["users.id"],
            name=op.f("fk_follows_followee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["users.id"],
            name=op.f("fk_follows_follower_id_users"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("follower_id", "followee_id", name="uq_follows_pair"),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follows_followee_created", ["followee_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_follows_follower_created", ["follower_id", "created_at"], unique=False
        )

    op.create_table(
        "host_invitations",
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("accepted_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["users.id"],
            name=op.f("fk_host_invitations_host_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_host_invitations_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("owner_id", "host_id", name="uq_host_invitations_owner_host"),
    )
    op.create_table(
        "oauth_apps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_oauth_apps_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_apps_client_id")),
    )
    op.create_table(
        "playlists",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("cloudcast_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_playlists_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlists")),
        sa.UniqueConstraint("owner_id", "slug", name="uq_playlists_owner_slug"),
    )
    op.create_table(
        "shows",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("audio_length", sa.Integer(), nullable=True),
        sa.Column("picture_id", sa.String(length=32), nullable=True),
        sa.Column(
            "city_tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("visibility", sa.String(length=10), server_default="public", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="received", nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("hide_stats", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("disable_comments", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("original_blob", sa.String(length=255), nullable=True),
        sa.Column("stream_blob", sa.String(length=255), nullable=True),
        sa.Column("waveform_blob", sa.String(length=255), nullable=True),
        sa.Column("play_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("favorite_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("listener_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("repost_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("popular_score", sa.Float(), server_default="0", nullable=False),
        sa.Column("hot_score", sa.Float(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=True),
        sa.Column("publish_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'processing', 'ready', 'failed')", name=op.f("ck_shows_status")
        ),
        sa.CheckConstraint(
            "visibility IN ('draft', 'unlisted', 'scheduled', 'public')",
            name=op.f("ck_shows_visibility"),
        ),
        sa.ForeignKeyConstraint(
            ["city_tag_id"], ["tags.id"], name=op.f("fk_shows_city_tag_id_tags")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_shows_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["picture_id"], ["pictures.id"], name=op.f("fk_shows_picture_id_pictures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shows")),
        sa.UniqueConstraint("owner_id", "slug", name="uq_shows_owner_slug"),
    )
    with op.batch_alter_table("shows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shows_city_published", ["city_tag_id", "published_at"], unique=False
        )
        batch_op.create_index("ix_shows_owner_created", ["owner_id", "created_at"], unique=False)
        batch_op.create_index("ix_shows_published", ["published_at"], unique=False)

    op.create_table(
        "comments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(show_id IS NULL) <> (profile_id IS NULL)", name=op.f("ck_comments_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["users.id"],
            name=op.f("fk_comments_profile_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_comments_show_id_shows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comments_profile_created", ["profile_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_comments_show_created", ["show_id", "created_at"], unique=False)

    op.create_table(
        "favorites",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_favorites_show_id_shows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "show_id", name="uq_favorites_pair"),
    )
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.create_index("ix_favorites_show_created", ["show_id", "created_at"], unique=False)
        batch_op.create_index("ix_favorites_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "listen_later",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["shows.id"],
            name=op.f("fk_listen_later_show_id_shows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_later_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("user_id", "show_id", name="uq_listen_later_pair"),
    )
    with op.batch_alter_table("listen_later", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listen_later_show_created", ["show_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_listen_later_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "listens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("listener", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_listens_show_id_shows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_listens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listens")),
    )
    with op.batch_alter_table("listens", schema=None) as batch_op:
        batch_op.create_index("ix_listens_show_created", ["show_id", "created_at"], unique=False)
        batch_op.create_index("ix_listens_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_codes_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oauth_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oauth_codes")),
    )
    op.create_table(
        "oauth_redirect_uris",
        sa.Column("app_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_redirect_uris_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("app_id", "uri", name="uq_oauth_redirect_uris_app_uri"),
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_tokens_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oauth_tokens")),
    )
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_oauth_tokens_user", ["user_id"], unique=False)

    op.create_table(
        "playlist_items",
        sa.Column(
            "playlist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_items_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["shows.id"],
            name=op.f("fk_playlist_items_show_id_shows"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("playlist_id", "show_id", name="uq_playlist_items_pair"),
    )
    op.create_table(
        "reposts",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_reposts_show_id_shows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reposts_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "show_id", name="uq_reposts_pair"),
    )
    with op.batch_alter_table("reposts", schema=None) as batch_op:
        batch_op.create_index("ix_reposts_show_created", ["show_id", "created_at"], unique=False)
        batch_op.create_index("ix_reposts_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "sections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section_type", sa.String(length=8), nullable=False),
        sa.Column("artist", sa.String(length=255), nullable=True),
        sa.Column("song", sa.String(length=255), nullable=True),
        sa.Column("chapter", sa.String(length=255), nullable=True),
        sa.Column("start_time", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(section_type = 'track' AND artist IS NOT NULL AND song IS NOT NULL) OR (section_type = 'chapter' AND chapter IS NOT NULL)",
            name=op.f("ck_sections_shape"),
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_sections_show_id_shows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint("show_id", "position", name="uq_sections_show_position"),
    )
    op.create_table(
        "show_hosts",
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_show_hosts_show_id_shows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_show_hosts_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("show_id", "user_id", name="uq_show_hosts_show_user"),
    )
    op.create_table(
        "show_listeners",
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("listener", sa.String(length=64), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["shows.id"],
            name=op.f("fk_show_listeners_show_id_shows"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("show_id", "listener", name="uq_show_listeners_pair"),
    )
    op.create_table(
        "show_tags",
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_show_tags_show_id_shows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_show_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("show_id", "tag_id", name="uq_show_tags_show_tag"),
    )
    with op.batch_alter_table("show_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_show_tags_tag_published", ["tag_id", "published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("show_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_show_tags_tag_published")

    op.drop_table("show_tags")
    op.drop_table("show_listeners")
    op.drop_table("show_hosts")
    op.drop_table("sections")
    with op.batch_alter_table("reposts", schema=None) as batch_op:
        batch_op.drop_index("ix_reposts_user_created")
        batch_op.drop_index("ix_reposts_show_created")

    op.drop_table("reposts")
    op.drop_table("playlist_items")
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_oauth_tokens_user")

    op.drop_table("oauth_tokens")
    op.drop_table("oauth_redirect_uris")
    op.drop_table("oauth_codes")
    with op.batch_alter_table("listens", schema=None) as batch_op:
        batch_op.drop_index("ix_listens_user_created")
        batch_op.drop_index("ix_listens_show_created")

    op.drop_table("listens")
    with op.batch_alter_table("listen_later", schema=None) as batch_op:
        batch_op.drop_index("ix_listen_later_user_created")
        batch_op.drop_index("ix_listen_later_show_created")

    op.drop_table("listen_later")
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.drop_index("ix_favorites_user_created")
        batch_op.drop_index("ix_favorites_show_created")

    op.drop_table("favorites")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_show_created")
        batch_op.drop_index("ix_comments_profile_created")

    op.drop_table("comments")
    with op.batch_alter_table("shows", schema=None) as batch_op:
        batch_op.drop_index("ix_shows_published")
        batch_op.drop_index("ix_shows_owner_created")
        batch_op.drop_index("ix_shows_city_published")

    op.drop_table("shows")
    op.drop_table("playlists")
    op.drop_table("oauth_apps")
    op.drop_table("host_invitations")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_follower_created")
        batch_op.drop_index("ix_follows_followee_created")

    op.drop_table("follows")
    op.drop_table("users")
    op.drop_table("tags")
    op.drop_table("pictures")
