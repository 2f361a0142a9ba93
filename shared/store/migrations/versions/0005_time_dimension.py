"""The time dimension: each report's baseline (the current report of the previous quarter it was
checked against) and the mergers that explained a change of membership; the series views.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The views as 0004 made them (recreated around the copy of `report` that SQLite's batch mode makes).
MUNICIPALITY_FIGURES = """
CREATE VIEW municipality_figures AS
SELECT r.region_code, r.region_name, r.year, r.quarter, rr.position, rr.municipality, rr.municipality_code,
       rr.municipal_with_profile, rr.municipal_without_profile, rr.uwv_with_profile,
       rr.uwv_without_profile, rr.total, r.status AS report_status, r.id AS report_id,
       r.written_at AS report_written_at,
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
       r.status AS report_status, r.finding_count, r.id AS report_id, r.written_at AS report_written_at,
       s.name AS source_name, s.sha256 AS source_sha256, s.format AS source_format,
       s.received_at AS source_received_at, s.final_path AS source_archive_path
FROM report r
JOIN source_file s ON s.id = r.source_file_id
WHERE r.is_current
"""

# One row per municipality per quarter across the current reports, with the change on the previous
# quarter of the same municipality code (the `series` command adds predecessors across mergers).
MUNICIPALITY_SERIES = """
CREATE VIEW municipality_series AS
SELECT cur.municipality_code, cur.municipality, cur.region_code, cur.region_name, cur.year, cur.quarter,
       cur.municipal_with_profile, cur.municipal_without_profile, cur.uwv_with_profile,
       cur.uwv_without_profile, cur.total,
       prev.total AS previous_total, cur.total - prev.total AS total_change, cur.report_id
FROM municipality_figures cur
LEFT JOIN municipality_figures prev
  ON prev.municipality_code = cur.municipality_code
 AND prev.year * 4 + prev.quarter = cur.year * 4 + cur.quarter - 1
"""

REGION_SERIES = """
CREATE VIEW region_series AS
SELECT cur.region_code, cur.region_name, cur.year, cur.quarter,
       cur.municipal_with_profile, cur.municipal_without_profile, cur.uwv_with_profile,
       cur.uwv_without_profile, cur.total, cur.register_size, cur.percent_in_sonar,
       prev.total AS previous_total, cur.total - prev.total AS total_change,
       prev.register_size AS previous_register_size, cur.report_id
FROM region_figures cur
LEFT JOIN region_figures prev
  ON prev.region_code = cur.region_code
 AND prev.year * 4 + prev.quarter = cur.year * 4 + cur.quarter - 1
"""


def upgrade() -> None:
    op.execute("DROP VIEW municipality_figures")
    op.execute("DROP VIEW region_figures")
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("baseline_report_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mergers", AutoString(), nullable=True))
        batch.create_foreign_key("fk_report_baseline", "report", ["baseline_report_id"], ["id"])
    op.execute(MUNICIPALITY_FIGURES)
    op.execute(REGION_FIGURES)
    op.execute(MUNICIPALITY_SERIES)
    op.execute(REGION_SERIES)


def downgrade() -> None:
    op.execute("DROP VIEW region_series")
    op.execute("DROP VIEW municipality_series")
    with op.batch_alter_table("report") as batch:
        batch.drop_constraint("fk_report_baseline", type_="foreignkey")
        batch.drop_column("mergers")
        batch.drop_column("baseline_report_id")
