"""sessions and oauth: site sign-in sessions, unique emails, indexes for token revocation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"])
    op.create_index("uq_users_email", "users", ["email"], unique=True)
    op.create_index("ix_oauth_tokens_code", "oauth_tokens", ["code_hash"])
    op.create_index("ix_oauth_tokens_app", "oauth_tokens", ["app_id"])
    op.create_index("ix_oauth_apps_owner", "oauth_apps", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_oauth_apps_owner", "oauth_apps")
    op.drop_index("ix_oauth_tokens_app", "oauth_tokens")
    op.drop_index("ix_oauth_tokens_code", "oauth_tokens")
    op.drop_index("uq_users_email", "users")
    op.drop_index("ix_sessions_user", "sessions")
    op.drop_table("sessions")
