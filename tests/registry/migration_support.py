"""A registry database made at an older schema revision, for the migration tests."""

from __future__ import annotations

from sqlalchemy import text

from labctl.registry import migrate
from labctl.registry.database import make_engine, parse_url


def upgrade_to(url: str, revision: str, *, unversioned: bool = False) -> None:
    """Make the registry at ``url`` by the migrations up to ``revision`` only;
    ``unversioned``: then drop the version table, as a labctl from before migrations
    left its database."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(parse_url(url), "test")
    with engine.connect() as conn:
        conn.execution_options(labctl_write=True)
        with conn.begin():
            config = Config()
            config.set_main_option("script_location", str(migrate.MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            if unversioned:
                conn.execute(text(f"DROP TABLE {migrate.VERSION_TABLE}"))
    engine.dispose()
