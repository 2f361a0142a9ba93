"""SQLModel tables (docs/schema.md documents them for database consumers)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class Outcome(StrEnum):
    """How a delivered file ended (a claim still in the work folder is 'pending', not stored here)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class SourceFile(SQLModel, table=True):
    """Every distinct stored file (by SHA-256). Rows with status 'quarantined' are history from before
    the delivery table; quarantined files are recorded in `delivery` now."""

    __tablename__ = "source_file"
    __table_args__ = (
        # Stored content is unique; a file quarantined once may be requeued and stored later.
        Index("uq_source_file_stored_sha256", "sha256", unique=True,
              sqlite_where=text("status = 'stored'"), postgresql_where=text("status = 'stored'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    name: str
    received_path: str
    size: int
    format: str | None = Field(default=None, max_length=8)
    status: str = Field(max_length=16)  # stored | quarantined
    reason: str | None = None
    received_at: datetime = Field(sa_column=_timestamp())
    stored_at: datetime = Field(sa_column=_timestamp())
    final_path: str  # where the file was moved: archive/ or quarantine/


class Report(SQLModel, table=True):
    """One version of a region's report for one quarter, as read from one source file. Of the versions
    of a region and quarter exactly one is current, decided by the facts (shared/identity.py): a pin,
    else the version without error findings written last."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("source_file_id", name="uq_report_source_file"),
        Index("ix_report_region_period", "region_key", "year", "quarter"),
        # The database, not Python, guarantees one current report per region and quarter.
        Index("uq_report_current", "region_key", "year", "quarter", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    region_code: int | None = None  # UWV's number 1-35, as printed or from the reference
    region_name: str  # as printed
    region_key: str = Field(max_length=120)  # the identity: the code, else 'name:<normalised name>'
    year: int
    quarter: int
    municipal_with_profile: int
    municipal_without_profile: int
    uwv_with_profile: int
    uwv_without_profile: int
    total: int
    register_size: int | None = None
    percent_in_sonar: int | None = None
    status: str = Field(max_length=16)  # ok | findings (error findings; warnings never change it)
    finding_count: int = 0  # error findings
    stored_at: datetime = Field(sa_column=_timestamp())
    figures_sha256: str = Field(max_length=64)  # of the figures by identity, whatever the format
    written_at: datetime = Field(sa_column=_timestamp())  # the file's modification time
    is_current: bool = True
    version_status: str = Field(default="current", max_length=16)  # current | superseded | held
    pinned_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    pinned_by: str | None = None
    superseded_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    superseded_by_id: int | None = Field(default=None, foreign_key="report.id")
    # The current report of the previous quarter this one was checked against (None: no baseline).
    baseline_report_id: int | None = Field(default=None, foreign_key="report.id")
    mergers: str | None = None  # JSON: the mergers that explained municipalities leaving and joining


class ReportRow(SQLModel, table=True):
    """One municipality's figures in a report, in the order of the report."""

    __tablename__ = "report_row"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    position: int
    municipality: str
    municipal_with_profile: int
    municipal_without_profile: int
    uwv_with_profile: int
    uwv_without_profile: int
    total: int
    municipality_code: str | None = Field(default=None, max_length=8)  # CBS code valid in the report's year


class Finding(SQLModel, table=True):
    """One finding of a stored report (check names as in the contract): arithmetic (error) or
    consistency (warning: identity, and cross-quarter against `against_report_id`)."""

    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    check: str = Field(max_length=32)
    severity: str = Field(max_length=8)
    municipality: str | None = None
    field: str | None = Field(default=None, max_length=32)
    expected: float | None = None
    actual: float | None = None
    municipality_code: str | None = Field(default=None, max_length=8)
    compared_year: int | None = None
    compared_quarter: int | None = None
    method: str | None = Field(default=None, max_length=32)
    bounds: str | None = None  # JSON
    against_report_id: int | None = Field(default=None, foreign_key="report.id")


class Delivery(SQLModel, table=True):
    """Every delivered file and how it ended: one row per claim, duplicates and requeued files included
    (so a SHA-256 can appear in several rows)."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("claim", name="uq_delivery_claim"),
        Index("ix_delivery_committed_at", "committed_at"),
        Index("ix_delivery_sha256", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim: str  # the claim name in the work folder: one delivery, one end
    name: str  # the original name, printable
    name_bytes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the original name, exactly
    size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sha256: str | None = Field(default=None, max_length=64)
    mtime_ns: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    dropped_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    received_at: datetime = Field(sa_column=_timestamp())  # when a worker took the claim
    committed_at: datetime = Field(sa_column=_timestamp())
    outcome: str = Field(max_length=16)  # Outcome
    reason: str | None = None
    path: str  # where the file is now, relative to the data directory
    report_id: int | None = Field(default=None, foreign_key="report.id")  # produced or duplicated
    source_file_id: int | None = Field(default=None, foreign_key="source_file.id")
    requeued_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
