"""The registry's schema migrations (Alembic), run by ``labctl.registry.migrate``.

Each file in ``versions/`` is one step of the schema, written out in full (never derived
from the current table definitions), so a database made by any earlier labctl is
brought to the current schema in place.
"""
