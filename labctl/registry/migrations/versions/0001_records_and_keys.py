"""The records and keys tables with their immutability triggers: the schema labctl made
with ``create_all`` before migrations existed (a registry without a version table but
with ``labctl_records`` is stamped at this revision, then upgraded).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_IMMUTABLE = "labctl records are immutable: push a new record that supersedes this one"


def upgrade() -> None:
    op.create_table(
        "labctl_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("supersedes", sa.String(36)),
        sa.Column("finished", sa.String(40), nullable=False),
        sa.Column("dut_maker", sa.String(200), nullable=False),
        sa.Column("dut_model", sa.String(200), nullable=False),
        sa.Column("dut_serial", sa.String(200), nullable=False),
        sa.Column("procedure_id", sa.String(200), nullable=False),
        sa.Column("procedure_version", sa.String(50), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("pushed_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("lab", "link", name="uq_labctl_records_chain"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_labctl_records_lab_seq", "labctl_records", ["lab", "seq"])
    op.create_index("ix_labctl_records_dut_serial", "labctl_records", ["dut_serial"])
    op.create_table(
        "labctl_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("added", sa.String(40), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER labctl_records_no_{verb.lower()} BEFORE {verb} "
                       f"ON labctl_records BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE}'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION labctl_records_immutable() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_IMMUTABLE}'; END $$")
        op.execute("CREATE TRIGGER labctl_records_immutable BEFORE UPDATE OR DELETE ON "
                   "labctl_records FOR EACH ROW EXECUTE FUNCTION labctl_records_immutable()")
        op.execute("CREATE TRIGGER labctl_records_no_truncate BEFORE TRUNCATE ON "
                   "labctl_records FOR EACH STATEMENT EXECUTE FUNCTION "
                   "labctl_records_immutable()")


def downgrade() -> None:
    raise NotImplementedError("records are never removed: there is no way down from 0001")
