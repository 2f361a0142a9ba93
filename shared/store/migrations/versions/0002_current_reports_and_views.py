"""Corrected re-issues (one current report per region and quarter) and the consumer views.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("content_sha256", AutoString(length=64),
                                   nullable=False, server_default=""))
        batch.add_column(sa.Column("is_current", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_report_superseded_by", "report", ["superseded_by_id"], ["id"])
    # Reports stored before this revision: the newest of each region and quarter stays current.
    op.execute("""
        UPDATE report SET is_current = false,
            superseded_by_id = (SELECT MAX(n.id) FROM report n WHERE n.region_name = report.region_name
                                AND n.year = report.year AND n.quarter = report.quarter),
            superseded_at = stored_at
        WHERE id < (SELECT MAX(n.id) FROM report n WHERE n.region_name = report.region_name
                    AND n.year = report.year AND n.quarter = report.quarter)
    """)
    with op.batch_alter_table("report") as batch:
        batch.alter_column("content_sha256", server_default=None)
        batch.alter_column("is_current", server_default=None)
    op.create_index("uq_report_current", "report", ["region_name", "year", "quarter"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.execute(MUNICIPALITY_FIGURES)
    op.execute(REGION_FIGURES)


def downgrade() -> None:
    op.execute("DROP VIEW region_figures")
    op.execute("DROP VIEW municipality_figures")
    op.drop_index("uq_report_current", table_name="report")
    with op.batch_alter_table("report") as batch:
        batch.drop_constraint("fk_report_superseded_by", type_="foreignkey")
        batch.drop_column("superseded_by_id")
        batch.drop_column("superseded_at")
        batch.drop_column("is_current")
        batch.drop_column("content_sha256")
