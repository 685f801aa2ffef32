"""An instrument's history from one index (issue 11, speed): on PostgreSQL a covering
index on (dut_serial, seq DESC) that INCLUDEs every column a history row shows, so
``GET /v1/instruments/{serial}/history`` reads one or two index pages (an index-only
scan once autovacuum has marked the table's pages all-visible) instead of one table page
per record; it replaces the (dut_serial, seq) index of 0002. On both databases the
single-column index on dut_serial goes: the (dut_serial, seq) indexes serve every query
it served, and each index is one more B-tree written by every push.

Records are not touched. ``CREATE INDEX`` holds off pushes while it runs (it runs in the
migration's transaction): seconds per million records.

Revision ID: 0003_history_index
"""

from __future__ import annotations

from alembic import op

revision = "0003_history_index"
down_revision = "0003_reviews"  # the lead may re-chain
branch_labels = None
depends_on = None

#: The columns of a history row (``labctl.registry.store._SUMMARY_COLUMNS``) besides the key.
_SHOWN = ("id", "lab", "finished", "dut_maker", "dut_model", "procedure_id",
          "procedure_version", "decision", "supersedes", "hash", "family", "pushed_at")


def upgrade() -> None:
    op.drop_index("ix_labctl_records_dut_serial", "labctl_records")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_labctl_records_history ON labctl_records "
                   f"(dut_serial, seq DESC) INCLUDE ({', '.join(_SHOWN)})")
        op.drop_index("ix_labctl_records_serial_seq", "labctl_records")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_labctl_records_serial_seq", "labctl_records", ["dut_serial", "seq"])
        op.drop_index("ix_labctl_records_history", "labctl_records")
    op.create_index("ix_labctl_records_dut_serial", "labctl_records", ["dut_serial"])
