"""Alembic environment: migrations run on the connection ``labctl.registry.migrate`` gives,
inside its transaction (which holds the schema lock)."""

from __future__ import annotations

from alembic import context

from labctl.registry.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
