"""The registry service: bearer tokens (stored as SHA-256, never in clear), a ``family``
column (filled in for the records already stored, from their documents), and indexes for
the service's queries (history by serial in push order, records by procedure, decision,
family, supersession and time).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labctl_tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("revoked", sa.String(40)),
    )
    op.add_column("labctl_records", sa.Column("family", sa.String(100)))
    _fill_family()
    op.create_index("ix_labctl_records_family", "labctl_records", ["family", "seq"])
    op.create_index("ix_labctl_records_serial_seq", "labctl_records", ["dut_serial", "seq"])
    op.create_index("ix_labctl_records_procedure", "labctl_records", ["procedure_id", "seq"])
    op.create_index("ix_labctl_records_decision", "labctl_records", ["decision", "seq"])
    op.create_index("ix_labctl_records_supersedes", "labctl_records", ["supersedes"])
    op.create_index("ix_labctl_records_finished", "labctl_records", ["finished"])


def _fill_family() -> None:
    """The family of every record stored before this revision. Records are immutable by
    trigger; only this migration, in its own transaction, lifts the trigger to fill the
    new column, and puts it back before the transaction ends."""
    from labctl.registry.canonical import load_json
    from labctl.registry.family import family_of

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT seq, document FROM labctl_records")).all()
    if not rows:
        return
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER labctl_records_no_update")
    else:
        op.execute("ALTER TABLE labctl_records DISABLE TRIGGER labctl_records_immutable")
    update = sa.text("UPDATE labctl_records SET family = :family WHERE seq = :seq")
    for seq, document in rows:
        try:
            family = family_of(load_json(document))
        except ValueError:  # unreadable JSON: verify names it; the family stays unknown
            family = "unknown"
        bind.execute(update, {"family": family, "seq": seq})
    if sqlite:
        op.execute("CREATE TRIGGER labctl_records_no_update BEFORE UPDATE ON labctl_records "
                   "BEGIN SELECT RAISE(ABORT, 'labctl records are immutable: push a new "
                   "record that supersedes this one'); END")
    else:
        op.execute("ALTER TABLE labctl_records ENABLE TRIGGER labctl_records_immutable")


def downgrade() -> None:
    op.drop_index("ix_labctl_records_family", "labctl_records")
    op.drop_column("labctl_records", "family")
    for name in ("finished", "supersedes", "decision", "procedure", "serial_seq"):
        op.drop_index(f"ix_labctl_records_{name}", "labctl_records")
    op.drop_table("labctl_tokens")
