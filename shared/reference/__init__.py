"""Official identities: labour-market regions (UWV numbers), municipalities (CBS codes) per year and
their mergers, from the reference tables shipped in shared/reference/data. Pure and loaded once."""

from shared.reference.mergers import (
    MembershipChange,
    RecordedMerger,
    explain_membership_change,
    predecessors,
    successors,
)
from shared.reference.municipalities import municipality_code, municipality_name, reference_year, reference_years
from shared.reference.names import name_key
from shared.reference.regions import region_code, region_name, region_names

__all__ = [
    "MembershipChange",
    "RecordedMerger",
    "explain_membership_change",
    "municipality_code",
    "municipality_name",
    "name_key",
    "predecessors",
    "reference_year",
    "reference_years",
    "region_code",
    "region_name",
    "region_names",
    "successors",
]
