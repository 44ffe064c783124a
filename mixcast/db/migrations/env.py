"""Alembic environment: the engine comes from ``db.migrate`` through the config's attributes."""

from alembic import context

from mixcast.db.schema import metadata
from mixcast.search.tables import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
    include_name=include_name,  # the search tables live outside the metadata
)
with context.begin_transaction():
    context.run_migrations()
