"""Random reports, rendered to every format, parse back to the same document."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.models import Counts, ParsedReport, Period, Region, Register, Row
from shared.parsing import parse_report
from tests.report_renderers import VARIANTS, expected_document, figures, render_variant, unlocated

# Latin-1 only: the PDF fixtures use a core font. Enough for Dutch and Frisian names.
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZáéíóúâêîôûäëïöüàèçñÁÉÓÚÂÊÎÔÛ"
REGIONS = ["Midden-Limburg", "West-Brabant", "Rijk van Nijmegen", "Zaanstreek/Waterland", "Helmond-De Peel",
           "Zuid-Kennemerland en IJmond", "Groot Amsterdam", "Friesland", "Holland Rijnland",
           "Stedendriehoek en Noordwest Veluwe", "Súdwest-Fryslân"]

words = st.text(alphabet=LETTERS, min_size=1, max_size=9)
separators = st.sampled_from([" ", "-", ", ", " en ", " aan den ", " "])
municipalities = st.builds(
    lambda prefix, first, rest, suffix: prefix + first + "".join(sep + word for sep, word in rest) + suffix,
    st.sampled_from(["", "", "'s-", "'t "]),
    words,
    st.lists(st.tuples(separators, words), max_size=3),
    st.sampled_from(["", "", " (L.)", " (NH.)", " (Gld)"]),
).filter(lambda name: not re.match(r"totaal\s+amr\b", name, re.IGNORECASE))
counts = st.integers(min_value=0, max_value=999_999)
# Beyond Latin-1 (Frisian ŷ, the Dutch ĳ, a typographic apostrophe) for formats that carry Unicode.
wide_names = st.builds(
    lambda prefix, first, rest: prefix + first + "".join(sep + word for sep, word in rest),
    st.sampled_from(["", "\u2019s-", "'t "]),
    st.text(alphabet=LETTERS + "ŷĳœšžŁ", min_size=1, max_size=9),
    st.lists(st.tuples(separators, st.text(alphabet=LETTERS + "ŷĳ\u2019", min_size=1, max_size=9)), max_size=3),
)
UNICODE_VARIANTS = [variant for variant, (fmt, options) in VARIANTS.items()
                    if fmt in ("html", "csv", "xlsx") or (fmt == "text" and options.get("encoding") != "cp1252")]


@st.composite
def reports(draw: st.DrawFn) -> ParsedReport:
    rows = draw(st.lists(st.builds(Row, municipality=municipalities, municipal_with_profile=counts,
                                   municipal_without_profile=counts, uwv_with_profile=counts,
                                   uwv_without_profile=counts, total=counts), min_size=1, max_size=20))
    return ParsedReport(
        format="text",
        region=Region(code=draw(st.none() | st.integers(1, 99)), name=draw(st.sampled_from(REGIONS))),
        period=Period(year=draw(st.integers(2000, 2099)), quarter=draw(st.integers(1, 4))),
        rows=tuple(rows),
        totals=draw(st.builds(Counts, municipal_with_profile=counts, municipal_without_profile=counts,
                              uwv_with_profile=counts, uwv_without_profile=counts, total=counts)),
        register=draw(st.none() | st.builds(Register, size=counts, percent_in_sonar=st.integers(0, 100))),
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=reports())
def test_random_report_round_trips(variant: str, report: ParsedReport) -> None:
    parsed = parse_report(render_variant(report, variant), name=f"upload.{VARIANTS[variant][0]}")
    assert parsed.format == VARIANTS[variant][0]
    assert figures(parsed) == expected_document(report, variant)


@settings(max_examples=60, deadline=None)
@given(name=municipalities)
def test_any_municipality_name_survives_every_format(name: str) -> None:
    row = Row(municipality=name, municipal_with_profile=1, municipal_without_profile=22,
              uwv_with_profile=333, uwv_without_profile=4_444, total=55_555)
    report = ParsedReport(format="text", region=Region(code=34, name="Midden-Limburg"),
                          period=Period(year=2021, quarter=4), rows=(row,),
                          totals=Counts(**row.model_dump(exclude={"municipality", "municipality_code", "location"})),
                          register=None)
    for variant in VARIANTS:
        assert unlocated(parse_report(render_variant(report, variant)).rows) == (row,), variant


@settings(max_examples=40, deadline=None)
@given(name=wide_names)
def test_unicode_names_survive_the_formats_that_carry_unicode(name: str) -> None:
    row = Row(municipality=name, municipal_with_profile=0, municipal_without_profile=1,
              uwv_with_profile=2, uwv_without_profile=3, total=6)
    report = ParsedReport(format="text", region=Region(code=None, name="Friesland"),
                          period=Period(year=2022, quarter=2), rows=(row,),
                          totals=Counts(**row.model_dump(exclude={"municipality", "municipality_code", "location"})),
                          register=None)
    for variant in UNICODE_VARIANTS:
        assert figures(parse_report(render_variant(report, variant))) == \
            expected_document(report, variant), variant
