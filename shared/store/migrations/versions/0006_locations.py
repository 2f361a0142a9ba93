"""Provenance to the cell: where in its file each row, the TOTAAL AMR row, the footnote and each finding
was read (JSON: {line}, {line, table_row}, {sheet, cell} or {page, bbox}).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# The figures views gain the locations (so the export carries them); the series views read them.
MUNICIPALITY_FIGURES = """
CREATE VIEW municipality_figures AS
SELECT r.region_code, r.region_name, r.year, r.quarter, rr.position, rr.municipality, rr.municipality_code,
       rr.municipal_with_profile, rr.municipal_without_profile, rr.uwv_with_profile,
       rr.uwv_without_profile, rr.total, rr.location, r.status AS report_status, r.id AS report_id,
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
       r.uwv_without_profile, r.total, r.register_size, r.percent_in_sonar, r.totals_location, r.register_location,
       r.status AS report_status, r.finding_count, r.id AS report_id, r.written_at AS report_written_at,
       s.name AS source_name, s.sha256 AS source_sha256, s.format AS source_format,
       s.received_at AS source_received_at, s.final_path AS source_archive_path
FROM report r
JOIN source_file s ON s.id = r.source_file_id
WHERE r.is_current
"""

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
    for view in ("municipality_series", "region_series", "municipality_figures", "region_figures"):
        op.execute(f"DROP VIEW {view}")
    # New columns only: no table copy in SQLite's batch mode.
    op.add_column("report_row", sa.Column("location", AutoString(), nullable=True))
    op.add_column("report", sa.Column("totals_location", AutoString(), nullable=True))
    op.add_column("report", sa.Column("register_location", AutoString(), nullable=True))
    op.add_column("finding", sa.Column("location", AutoString(), nullable=True))
    for view in (MUNICIPALITY_FIGURES, REGION_FIGURES, MUNICIPALITY_SERIES, REGION_SERIES):
        op.execute(view)


def downgrade() -> None:
    raise NotImplementedError("0006 does not go back: restore a backup instead")
