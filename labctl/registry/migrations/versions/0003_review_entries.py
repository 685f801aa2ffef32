"""Review and approval entries (issue 11): ``labctl_reviews``, one immutable signed entry
per act (a reviewer's review, an approver's approval) chained per lab like the records,
with the same immutability triggers; and a ``person`` column on ``labctl_tokens`` (a
reviewer token made for one person of the personnel list acts only as that person).

Nothing stored before is touched: the new table starts empty and existing tokens keep
``person`` empty.

Revision ID: 0003_reviews
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_reviews"
down_revision = "0002"
branch_labels = None
depends_on = None

_IMMUTABLE = "labctl review entries are immutable: a correction is a new record"


def upgrade() -> None:
    op.create_table(
        "labctl_reviews",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("act", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("lab", "link", name="uq_labctl_reviews_chain"),
        sa.UniqueConstraint("record_id", "act", name="uq_labctl_reviews_act"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_labctl_reviews_lab_seq", "labctl_reviews", ["lab", "seq"])
    with op.batch_alter_table("labctl_tokens") as batch:
        batch.add_column(sa.Column("person", sa.String(64)))
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER labctl_reviews_no_{verb.lower()} BEFORE {verb} "
                       f"ON labctl_reviews BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE}'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION labctl_reviews_immutable() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_IMMUTABLE}'; END $$")
        op.execute("CREATE TRIGGER labctl_reviews_immutable BEFORE UPDATE OR DELETE ON "
                   "labctl_reviews FOR EACH ROW EXECUTE FUNCTION labctl_reviews_immutable()")
        op.execute("CREATE TRIGGER labctl_reviews_no_truncate BEFORE TRUNCATE ON "
                   "labctl_reviews FOR EACH STATEMENT EXECUTE FUNCTION "
                   "labctl_reviews_immutable()")


def downgrade() -> None:
    raise NotImplementedError("review entries are never removed: there is no way down")
