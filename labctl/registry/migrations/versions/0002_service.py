"""The registry service: bearer tokens (stored as SHA-256, never in clear), the
reference standards the records used (for the standards due and the key figures), a
``family`` column (filled in for the records already stored, from their documents), and indexes for
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
    op.create_table(
        "labctl_standards",
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("register_id", sa.String(200), nullable=False),
        sa.Column("certificate", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("calibration_date", sa.String(10), nullable=False),
        sa.Column("due_date", sa.String(10), nullable=False),
        sa.Column("first_record", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("lab", "register_id", "certificate"),
    )
    op.create_index("ix_labctl_standards_due", "labctl_standards", ["due_date"])
    op.add_column("labctl_records", sa.Column("family", sa.String(100)))
    _fill_family_and_standards()
    op.create_index("ix_labctl_records_family", "labctl_records", ["family", "seq"])
    op.create_index("ix_labctl_records_serial_seq", "labctl_records", ["dut_serial", "seq"])
    op.create_index("ix_labctl_records_procedure", "labctl_records", ["procedure_id", "seq"])
    op.create_index("ix_labctl_records_decision", "labctl_records", ["decision", "seq"])
    op.create_index("ix_labctl_records_supersedes", "labctl_records", ["supersedes"])
    op.create_index("ix_labctl_records_finished", "labctl_records", ["finished"])


def _fill_family_and_standards() -> None:
    """The family and the standards of every record stored before this revision. Records
    are immutable by trigger; only this migration, in its own transaction, lifts the
    trigger to fill the new column, and puts it back before the transaction ends."""
    from labctl.registry.canonical import load_json
    from labctl.registry.family import family_of
    from labctl.registry.standards import standard_rows

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT seq, document FROM labctl_records ORDER BY seq")).all()
    if not rows:
        return
    seen: set[tuple[str, str, str]] = set()
    insert = sa.text("INSERT INTO labctl_standards (lab, register_id, certificate, description, "
                     "calibration_date, due_date, first_record) VALUES (:lab, :register_id, "
                     ":certificate, :description, :calibration_date, :due_date, :first_record)")
    for _seq, document in rows:
        try:
            doc = load_json(document)
        except ValueError:
            continue
        for row in standard_rows(doc):
            k = (row["lab"], row["register_id"], row["certificate"])
            if k not in seen:
                seen.add(k)
                bind.execute(insert, row)
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER labctl_records_no_update")
    else:
        op.execute("ALTER TABLE labctl_records DISABLE TRIGGER labctl_records_immutable")
    update = sa.text("UPDATE labctl_records SET family = :family WHERE seq = :seq")
    for seq, document in rows:
        try:
            family = family_of(load_json(document))
        except (ValueError, AttributeError):  # unreadable: verify names it; family unknown
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
    op.drop_table("labctl_standards")
