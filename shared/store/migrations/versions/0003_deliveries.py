"""Deliveries: one row per delivered file and how it ended; stored content unique, quarantine not.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The views as 0002 made them (unchanged here; recreated after source_file is rebuilt).
MUNICIPALITY_FIGURES = """
CREATE VIEW municipality_figures AS
SELECT r.region_code, r.region_name, r.year, r.quarter, rr.position, rr.municipality,
       rr.municipal_with_profile, rr.municipal_without_profile, rr.uwv_with_profile,
       rr.uwv_without_profile, rr.total, r.status AS report_status, r.id AS report_id,
       s.name AS source_name, s.sha256 AS source_sha256, s.format AS source_format,
       s.received_at AS source_received_at, s.final_path AS source_archive_path
FROM report r
JOIN report_row rr ON rr.report_id = r.id
JOIN source_file s ON s.id = r.source_file_id
WHERE r.is_current
"""

REGION_FIGURES = """
CREATE VIEW region_figures AS
SELECT r.region_code, r.region_name, r.year, r.quarter,
       r.municipal_with_profile, r.municipal_without_profile, r.uwv_with_profile,
       r.uwv_without_profile, r.total, r.register_size, r.percent_in_sonar,
       r.status AS report_status, r.finding_count, r.id AS report_id,
       s.name AS source_name, s.sha256 AS source_sha256, s.format AS source_format,
       s.received_at AS source_received_at, s.final_path AS source_archive_path
FROM report r
JOIN source_file s ON s.id = r.source_file_id
WHERE r.is_current
"""
VIEWS = {"municipality_figures": MUNICIPALITY_FIGURES, "region_figures": REGION_FIGURES}


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("name_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", AutoString(length=64), nullable=True),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", AutoString(length=16), nullable=False),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("path", AutoString(), nullable=False),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("report.id"), nullable=True),
        sa.Column("source_file_id", sa.Integer(), sa.ForeignKey("source_file.id"), nullable=True),
        sa.Column("requeued_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("claim", name="uq_delivery_claim"),
    )
    op.create_index("ix_delivery_committed_at", "delivery", ["committed_at"])
    op.create_index("ix_delivery_sha256", "delivery", ["sha256"])
    # Every file handled before this revision becomes a delivery (its claim name says so).
    op.execute("""
        INSERT INTO delivery (claim, name, name_bytes, size, sha256, received_at, committed_at, outcome,
                              reason, path, report_id, source_file_id)
        SELECT 'before-0003-' || s.id, s.name, CAST(s.name AS BLOB), s.size, s.sha256, s.received_at,
               s.stored_at, s.status, s.reason, s.final_path,
               (SELECT r.id FROM report r WHERE r.source_file_id = s.id), s.id
        FROM source_file s
    """ if op.get_bind().dialect.name == "sqlite" else """
        INSERT INTO delivery (claim, name, name_bytes, size, sha256, received_at, committed_at, outcome,
                              reason, path, report_id, source_file_id)
        SELECT 'before-0003-' || s.id, s.name, convert_to(s.name, 'UTF8'), s.size, s.sha256, s.received_at,
               s.stored_at, s.status, s.reason, s.final_path,
               (SELECT r.id FROM report r WHERE r.source_file_id = s.id), s.id
        FROM source_file s
    """)
    # The views read source_file; SQLite's batch mode copies the table, so take them down meanwhile.
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")
    with op.batch_alter_table("source_file") as batch:
        batch.drop_constraint("uq_source_file_sha256", type_="unique")
    op.create_index("uq_source_file_stored_sha256", "source_file", ["sha256"], unique=True,
                    sqlite_where=sa.text("status = 'stored'"), postgresql_where=sa.text("status = 'stored'"))
    for view in VIEWS:
        op.execute(VIEWS[view])


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")
    op.drop_index("uq_source_file_stored_sha256", table_name="source_file")
    with op.batch_alter_table("source_file") as batch:
        batch.create_unique_constraint("uq_source_file_sha256", ["sha256"])
    for view in VIEWS:
        op.execute(VIEWS[view])
    op.drop_index("ix_delivery_sha256", table_name="delivery")
    op.drop_index("ix_delivery_committed_at", table_name="delivery")
    op.drop_table("delivery")
