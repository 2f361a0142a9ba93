"""The report document of the data contract (docs/contract.md): plain pydantic models, no tables."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_serializer
from typing_extensions import TypedDict

# "register" is a contract field name; pydantic warns that it shadows ABCMeta.register, which only
# matters on the class, never on instances.
warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

ReportFormat = Literal["pdf", "html", "text", "csv", "xlsx", "ods", "xls"]
# The four arithmetic checks (severity error) and the consistency checks (severity warning): identity
# against the reference, and plausibility against the region's previous quarter.
CheckName = Literal["row_total", "column_total", "percent_in_sonar", "register_size",
                    "unknown_region", "unknown_municipality",
                    "municipality_missing", "municipality_new", "quarter_change", "register_change"]
ARITHMETIC_CHECKS: tuple[str, ...] = ("row_total", "column_total", "percent_in_sonar", "register_size")

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


class LocationKeys(TypedDict, total=False):
    """A Location as printed: only the keys its format has."""

    line: int
    table_row: int
    sheet: str
    cell: str
    page: int
    bbox: Sequence[float]  # a list in JSON


class Location(_Frozen):
    """Where in its file a row, the TOTAAL AMR row or the footnote was read (only the keys of its format):
    text and CSV {line}; HTML {line, table_row}; spreadsheets {sheet, cell} (the cell of the name);
    PDF {page, bbox} in PDF points, origin bottom left, covering the name and the five numbers."""

    line: int | None = Field(default=None, ge=1)
    table_row: int | None = Field(default=None, ge=1)
    sheet: str | None = None
    cell: str | None = None
    page: int | None = Field(default=None, ge=1)
    bbox: tuple[float, float, float, float] | None = None

    @model_serializer(mode="plain")
    def _only_its_keys(self) -> LocationKeys:
        """Printed and stored with the keys of its format only: {"line": 14}, not five nulls beside it."""
        return self.as_keys()

    def as_keys(self) -> LocationKeys:
        """The keys of its format with their values (what model_dump gives, without its machinery)."""
        return cast(LocationKeys, {key: value for key in _LOCATION_KEYS if (value := getattr(self, key)) is not None})

    def describe(self, label: str | None = None) -> str:
        """For people: 'page 2, row "Roermond"', 'line 14', 'Blad1!A7'."""
        if self.sheet is not None and self.cell is not None:
            return f"{self.sheet}!{self.cell}"
        if self.page is not None:
            return f'page {self.page}, row "{label}"' if label else f"page {self.page}"
        if self.line is not None:
            return f"line {self.line}" + (f" (table row {self.table_row})" if self.table_row else "")
        if self.table_row is not None:  # an HTML row the parser made up: no source line of its own
            return f"table row {self.table_row}"
        return "unknown"


_LOCATION_KEYS = tuple(Location.model_fields)  # in the order model_dump gives them


class Row(_Frozen):
    municipality: str = Field(min_length=1)
    municipal_with_profile: int = Field(ge=0)
    municipal_without_profile: int = Field(ge=0)
    uwv_with_profile: int = Field(ge=0)
    uwv_without_profile: int = Field(ge=0)
    total: int = Field(ge=0)
    # The CBS code valid in the report's year (GM0957), from the reference; None when the name matches
    # nothing, or more than one municipality.
    municipality_code: str | None = None
    location: Location | None = None


class Region(_Frozen):
    code: int | None = None
    name: str = Field(min_length=1)


class Period(_Frozen):
    year: int = Field(ge=1900, le=2999)
    quarter: int = Field(ge=1, le=4)


class Register(_Frozen):
    size: int = Field(ge=0)
    percent_in_sonar: int = Field(ge=0)
    location: Location | None = None  # of the footnote


class Finding(_Frozen):
    check: CheckName
    severity: Literal["error", "warning"] = "error"
    municipality: str | None = None
    field: str | None = None
    expected: int | float | None  # None where a check has no figure to compare (unknown_region)
    actual: int | float | None
    municipality_code: str | None = None
    # Cross-quarter checks: the quarter compared with, the method and its bounds.
    compared_with: Period | None = None
    method: str | None = None
    bounds: dict[str, float | int | str | None] | None = None
    location: Location | None = None  # of what it is about: the row, TOTAAL AMR, or the footnote


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
    totals_location: Location | None = None  # of the TOTAAL AMR row


class Version(_Frozen):
    """Which version of its region and quarter a stored report is (reports --include-superseded)."""

    status: Literal["current", "superseded", "held"]
    pinned: bool = False
    written_at: str | None = None  # the file's modification time, ISO 8601 UTC


class ReportDocument(_Frozen):
    """The contract's report document, as printed by `parse --json` and `reports --json`."""

    source: Source
    region: Region
    period: Period
    rows: tuple[Row, ...]
    totals: Counts
    register: Register | None = None  # a default, or pydantic takes ABCMeta.register for one
    findings: tuple[Finding, ...] = ()
    totals_location: Location | None = None  # of the TOTAAL AMR row
    version: Version | None = None
    # The quarter this stored report was checked against (None: no baseline, which is not a pass).
    compared_with: Period | None = None

    def as_json(self, *, stored: bool = False) -> dict[str, object]:
        """The document as the contract prints it: `compared_with` for stored reports, `version` for
        stored versions that have one."""
        exclude = {"version"} if self.version is None else set()
        if not stored:
            exclude.add("compared_with")
        return self.model_dump(mode="json", exclude=exclude or None)
