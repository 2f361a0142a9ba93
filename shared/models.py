"""The report document of the data contract (docs/contract.md): plain pydantic models, no tables."""

from __future__ import annotations

import warnings
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# "register" is a contract field name; pydantic warns that it shadows ABCMeta.register, which only
# matters on the class, never on instances.
warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

ReportFormat = Literal["pdf", "html", "text", "csv", "xlsx", "ods", "xls"]
CheckName = Literal["row_total", "column_total", "percent_in_sonar", "register_size"]

COUNT_FIELDS: tuple[str, ...] = (
    "municipal_with_profile",
    "municipal_without_profile",
    "uwv_with_profile",
    "uwv_without_profile",
)
TOTAL_FIELDS: tuple[str, ...] = (*COUNT_FIELDS, "total")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())


class Counts(_Frozen):
    municipal_with_profile: int = Field(ge=0)
    municipal_without_profile: int = Field(ge=0)
    uwv_with_profile: int = Field(ge=0)
    uwv_without_profile: int = Field(ge=0)
    total: int = Field(ge=0)


class Row(_Frozen):
    municipality: str = Field(min_length=1)
    municipal_with_profile: int = Field(ge=0)
    municipal_without_profile: int = Field(ge=0)
    uwv_with_profile: int = Field(ge=0)
    uwv_without_profile: int = Field(ge=0)
    total: int = Field(ge=0)


class Region(_Frozen):
    code: int | None = None
    name: str = Field(min_length=1)


class Period(_Frozen):
    year: int = Field(ge=1900, le=2999)
    quarter: int = Field(ge=1, le=4)


class Register(_Frozen):
    size: int = Field(ge=0)
    percent_in_sonar: int = Field(ge=0)


class Finding(_Frozen):
    check: CheckName
    severity: Literal["error", "warning"] = "error"
    municipality: str | None = None
    field: str | None = None
    expected: int | float
    actual: int | float


class Source(_Frozen):
    path: str
    sha256: str
    format: ReportFormat


class ParsedReport(_Frozen):
    """What a parser returns: the table as read, before provenance and reconciliation."""

    format: ReportFormat
    region: Region
    period: Period
    rows: tuple[Row, ...]
    totals: Counts
    register: Register | None = None


class ReportDocument(_Frozen):
    """The contract's report document, as printed by `parse --json` and `reports --json`."""

    source: Source
    region: Region
    period: Period
    rows: tuple[Row, ...]
    totals: Counts
    register: Register | None
    findings: tuple[Finding, ...] = ()
