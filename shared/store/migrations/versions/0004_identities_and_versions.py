"""Official identities and versions: regions keyed by code, municipality codes per row, the current
version decided by the facts (pin, error findings, the file's modification time), warning findings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    op.execute("DROP VIEW municipality_figures")
    op.execute("DROP VIEW region_figures")
    op.drop_index("uq_report_current", table_name="report")
    op.drop_index("ix_report_region_period", table_name="report")
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("region_key", AutoString(length=120), nullable=True))
        batch.add_column(sa.Column("figures_sha256", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("written_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("version_status", AutoString(length=16), nullable=False,
                                   server_default="current"))
        batch.add_column(sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pinned_by", AutoString(), nullable=True))
    with op.batch_alter_table("report_row") as batch:
        batch.add_column(sa.Column("municipality_code", AutoString(length=8), nullable=True))
    with op.batch_alter_table("finding") as batch:
        batch.alter_column("expected", existing_type=sa.Float(), nullable=True)
        batch.alter_column("actual", existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("municipality_code", AutoString(length=8), nullable=True))
        batch.add_column(sa.Column("compared_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("compared_quarter", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("method", AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("bounds", AutoString(), nullable=True))
        batch.add_column(sa.Column("against_report_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_finding_against_report", "report", ["against_report_id"], ["id"])
    _fill_identities_and_versions(op.get_bind())
    with op.batch_alter_table("report") as batch:
        batch.alter_column("region_key", existing_type=AutoString(length=120), nullable=False)
        batch.alter_column("figures_sha256", existing_type=AutoString(length=64), nullable=False)
        batch.alter_column("written_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column("version_status", existing_type=AutoString(length=16), server_default=None)
        batch.drop_column("content_sha256")
    op.create_index("ix_report_region_period", "report", ["region_key", "year", "quarter"])
    op.create_index("uq_report_current", "report", ["region_key", "year", "quarter"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.execute(MUNICIPALITY_FIGURES)
    op.execute(REGION_FIGURES)


def _fill_identities_and_versions(connection: sa.Connection) -> None:
    """Codes for the stored reports, the written time from the archived file (else when it was
    received), and the current flags by the new rules. Nothing is deleted."""
    from shared.identity import StoredVersion, choose_current, figures_hash, region_key, version_status
    from shared.models import TOTAL_FIELDS, Region
    from shared.reference import municipality_code, region_code

    reports = connection.execute(sa.text(
        "SELECT r.id, r.region_code, r.region_name, r.year, r.quarter, r.status, r.stored_at, "
        "r.municipal_with_profile, r.municipal_without_profile, r.uwv_with_profile, r.uwv_without_profile, "
        "r.total, s.final_path, s.received_at FROM report r JOIN source_file s ON s.id = r.source_file_id")).all()
    groups: dict[tuple[str, int, int], list[StoredVersion]] = {}
    for report in reports:
        code = report.region_code if report.region_code is not None else region_code(report.region_name)
        key = region_key(Region(code=code, name=report.region_name))
        rows = connection.execute(sa.text(
            "SELECT id, municipality, municipal_with_profile, municipal_without_profile, uwv_with_profile, "
            "uwv_without_profile, total FROM report_row WHERE report_id = :id ORDER BY position"),
            {"id": report.id}).all()
        keyed = []
        for row in rows:
            gm = municipality_code(row.municipality, report.year, region_code=code)
            connection.execute(sa.text("UPDATE report_row SET municipality_code = :code WHERE id = :id"),
                               {"code": gm, "id": row.id})
            keyed.append((gm, row.municipality, *(getattr(row, field) for field in TOTAL_FIELDS)))
        written = _written_at(report.final_path, report.received_at)
        connection.execute(sa.text(
            "UPDATE report SET region_code = :code, region_key = :key, figures_sha256 = :figures, "
            "written_at = :written WHERE id = :id"),
            {"code": code, "key": key, "written": written, "id": report.id,
             "figures": figures_hash(key, report.year, report.quarter, keyed,
                                     [getattr(report, field) for field in TOTAL_FIELDS])})
        groups.setdefault((key, report.year, report.quarter), []).append(StoredVersion(
            report_id=report.id, has_errors=report.status == "findings", written_at=written, pinned_at=None))
    connection.execute(sa.text("UPDATE report SET is_current = false"))
    for versions in groups.values():
        current_id = choose_current(versions)
        current = next(v for v in versions if v.report_id == current_id)
        for version in versions:
            status = version_status(version, current)
            connection.execute(sa.text(
                "UPDATE report SET is_current = :current, version_status = :status, "
                "superseded_by_id = CASE WHEN :current THEN NULL ELSE :by END WHERE id = :id"),
                {"current": status == "current", "status": status, "by": current_id, "id": version.report_id})


def _written_at(final_path: str | None, received_at: object) -> datetime:
    if final_path and os.path.isabs(final_path):
        try:
            return datetime.fromtimestamp(os.stat(final_path).st_mtime, UTC)
        except OSError:
            pass
    moment = received_at if isinstance(received_at, datetime) else datetime.fromisoformat(str(received_at))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def downgrade() -> None:
    raise NotImplementedError("0004 does not go back: the current flags were decided by new rules")
