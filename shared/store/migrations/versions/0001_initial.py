"""The first schema: source files, reports, their rows and findings.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

String = AutoString


def upgrade() -> None:
    op.create_table(
        "source_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("name", String(), nullable=False),
        sa.Column("received_path", String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("format", String(length=8), nullable=True),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("reason", String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final_path", String(), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_source_file_sha256"),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_file_id", sa.Integer(), sa.ForeignKey("source_file.id"), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=True),
        sa.Column("region_name", String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("municipal_with_profile", sa.Integer(), nullable=False),
        sa.Column("municipal_without_profile", sa.Integer(), nullable=False),
        sa.Column("uwv_with_profile", sa.Integer(), nullable=False),
        sa.Column("uwv_without_profile", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("register_size", sa.Integer(), nullable=True),
        sa.Column("percent_in_sonar", sa.Integer(), nullable=True),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_file_id", name="uq_report_source_file"),
    )
    op.create_index("ix_report_region_period", "report", ["region_name", "year", "quarter"])
    op.create_table(
        "report_row",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("report.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("municipality", String(), nullable=False),
        sa.Column("municipal_with_profile", sa.Integer(), nullable=False),
        sa.Column("municipal_without_profile", sa.Integer(), nullable=False),
        sa.Column("uwv_with_profile", sa.Integer(), nullable=False),
        sa.Column("uwv_without_profile", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_row_report_id", "report_row", ["report_id"])
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("report.id"), nullable=False),
        sa.Column("check", String(length=32), nullable=False),
        sa.Column("severity", String(length=8), nullable=False),
        sa.Column("municipality", String(), nullable=True),
        sa.Column("field", String(length=32), nullable=True),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=False),
    )
    op.create_index("ix_finding_report_id", "finding", ["report_id"])


def downgrade() -> None:
    op.drop_table("finding")
    op.drop_table("report_row")
    op.drop_table("report")
    op.drop_table("source_file")
