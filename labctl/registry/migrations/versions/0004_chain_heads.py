"""Chain heads instead of two random-key indexes on the records (issue 11, speed).

Every push wrote each record into three B-trees whose keys are random: the id (a UUID),
the hash and (lab, link) (SHA-256). Once a registry holds tens of thousands of records,
each record lands on a page of its own in each of them: with 40,000 records stored, a
batch of 200 wrote 5.6 log pages a record, 3.2 without the two hash indexes
(``benchmarks/bench_registry_service.py --stored 40000``, "log pages written a record").

- The unique hash goes: the hash covers the record's id, which stays unique, so two
  records with one hash cannot be stored anyway. The outbox checkpoints are looked up
  by record id (``has_record``); a query by hash alone reads the lab's records.
- The unique (lab, link), the guard against a fork of a lab's chain by two concurrent
  pushes, is replaced by ``labctl_chain_heads``: one row per lab naming its last record.
  A push moves that row only from the head it linked its records to (a compare-and-set
  in its transaction), so of two pushes linked to one head, the second fails and is
  refused as ``ChainMoved``, as the unique index refused it before. The table is filled
  here from each lab's last record.

On SQLite a constraint cannot be dropped, so the records table is rebuilt: copied into a
new table without the two constraints, in one transaction with its indexes and its
immutability triggers made again (minutes per million records). Nothing stored changes.
On PostgreSQL the two constraints are dropped.

Revision ID: 0004_chain_heads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_chain_heads"
down_revision = "0003_history_index"
branch_labels = None
depends_on = None

_IMMUTABLE = "labctl records are immutable: push a new record that supersedes this one"


def upgrade() -> None:
    op.create_table(
        "labctl_chain_heads",
        sa.Column("lab", sa.String(200), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_records()
    else:
        op.drop_constraint("uq_labctl_records_chain", "labctl_records", type_="unique")
        for unique in sa.inspect(op.get_bind()).get_unique_constraints("labctl_records"):
            if unique["column_names"] == ["hash"]:
                op.drop_constraint(unique["name"], "labctl_records", type_="unique")
    op.execute("INSERT INTO labctl_chain_heads (lab, hash) SELECT r.lab, r.hash "
               "FROM labctl_records r WHERE r.seq = (SELECT max(l.seq) FROM labctl_records l "
               "WHERE l.lab = r.lab)")


def _rebuild_sqlite_records() -> None:
    # the indexes of 0001-0003 (those of the constraints aside), made again on the copy
    indexes = sa.inspect(op.get_bind()).get_indexes("labctl_records")
    rebuilt = op.create_table(
        "labctl_records_0004",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
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
        sa.Column("family", sa.String(100)),
        sqlite_autoincrement=True,
    )
    columns = ", ".join(column.name for column in rebuilt.columns)
    op.execute(f"INSERT INTO labctl_records_0004 ({columns}) SELECT {columns} "
               "FROM labctl_records ORDER BY seq")
    # the push order goes on where it was (AUTOINCREMENT never reuses a seq)
    op.execute("UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE "
               "name = 'labctl_records') WHERE name = 'labctl_records_0004' AND EXISTS "
               "(SELECT 1 FROM sqlite_sequence WHERE name = 'labctl_records')")
    op.drop_table("labctl_records")  # its triggers and indexes go with it
    op.rename_table("labctl_records_0004", "labctl_records")
    for index in indexes:
        op.create_index(index["name"], "labctl_records", index["column_names"],
                        unique=bool(index["unique"]))
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER labctl_records_no_{verb.lower()} BEFORE {verb} "
                   f"ON labctl_records BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE}'); END")


def downgrade() -> None:
    """The two unique keys again (on SQLite as unique indexes, which keep the same rows
    out), once the records still satisfy them."""
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("uq_labctl_records_hash", "labctl_records", ["hash"], unique=True)
        op.create_index("uq_labctl_records_chain", "labctl_records", ["lab", "link"],
                        unique=True)
    else:
        op.create_unique_constraint("labctl_records_hash_key", "labctl_records", ["hash"])
        op.create_unique_constraint("uq_labctl_records_chain", "labctl_records",
                                    ["lab", "link"])
    op.drop_table("labctl_chain_heads")
