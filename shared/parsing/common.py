"""What every format shares: Dutch numbers, quarter names, the footnote, and assembling a report
from the rows of cells a format yields. Every parser ends in `assemble_report`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import ValidationError

from shared.models import Counts, ParsedReport, Period, Region, Register, ReportFormat, Row
from shared.parsing.errors import NotAReport

QUARTERS = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4}

_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+")
_NUMBER_FULL = re.compile(rf"^(?:{_NUMBER.pattern})$")
_PERIOD = re.compile(r"\b(eerste|tweede|derde|vierde)\s+kwartaal\s+(\d{4})\b", re.IGNORECASE)
_REST_OF_LINE = re.compile(r"[ \t]+([^\t\r\n]*\S)")
_PERIOD_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_ .]?(?:q|kw)([1-4])(?!\d)|(?:q|kw)([1-4])[-_ .]?(\d{4})(?!\d)",
                             re.IGNORECASE)
_FOOTNOTE = re.compile(
    # The region is bounded: the table header's "Arbeidsmarktregio" must not start a match.
    r"arbeidsmarktregio\s+(?P<region>[^\t]{1,80}?)\s+bevat\s+het\s+doelgroepregister\s+banenaf?s?praak\s+"
    r"in\s+totaal\s+(?P<size>\d[\d.]*)\s+personen\.?\s+Hiervan\s+is\s+(?P<percent>\d+)\s*%\s+bekend",
    re.IGNORECASE | re.DOTALL,
)
_REGION_CELL = re.compile(r"^(\d{1,3})\s+(\S.*)$")
# A heading line that can only be a region name: letters and the punctuation of real names, no digits.
_REGION_LINE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '\u2019/().,-])*$")
_NOT_A_REGION = re.compile(r"kwartaal|transparantie|klantprofiel|sonar|gemeente", re.IGNORECASE)
_NAME_NOISE = {"klantprofielen", "transparantie", "rapport", "report", "export", "tabel", "uwv", "amr"}
_PARTICLES = {"van", "en", "de", "der", "den", "op", "aan", "in"}
_TOTAL_ROW = re.compile(r"^totaal\s+amr\b", re.IGNORECASE)
MAX_COUNT = 9_999_999
# A labour-market region has a few dozen municipalities; far more rows is not this report, and
# building them would only cost time.
MAX_ROWS = 500
_YEARS = range(1900, 3000)  # what Period accepts; a mangled '0021' is no period


# Footnote references glued to a name or a figure ('Land van Cuijk²', '2.537¹', 'Weert*').
FOOTNOTE_MARKERS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079*\u2020\u2021"
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u00ad": None,
                         "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None})


def parse_dutch_int(text: str) -> int:
    """'1.519' -> 1519. Raises NotAReport for anything that is not a whole Dutch number."""
    cleaned = _number_text(text).replace(" ", "")
    if not _NUMBER_FULL.match(cleaned):
        raise NotAReport(f"not a number: {text.strip()[:40]!r}")
    return int(cleaned.replace(".", ""))


def is_dutch_int(text: str) -> bool:
    return bool(_NUMBER_FULL.match(_number_text(text)))


def _number_text(text: str) -> str:
    return text.translate(_SPACES).strip().rstrip(FOOTNOTE_MARKERS).rstrip()


def find_period(text: str) -> Period | None:
    """The first plausible 'Vierde kwartaal 2021' in the text."""
    match = _period_match(text)
    return Period(year=int(match.group(2)), quarter=QUARTERS[match.group(1).lower()]) if match else None


def _period_match(text: str) -> re.Match[str] | None:
    for match in _PERIOD.finditer(text):
        if int(match.group(2)) in _YEARS:
            return match
    return None


def period_from_name(name: str) -> Period | None:
    """A period from a file name such as 'ml-2021q4.xlsx' or 'q4_2021.csv'."""
    for match in _PERIOD_IN_NAME.finditer(name):
        year, quarter = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        if period := _period(int(year), int(quarter)):
            return period
    return None


def _period(year: int, quarter: int) -> Period | None:
    return Period(year=year, quarter=quarter) if year in _YEARS else None


def find_register(text: str) -> tuple[str, Register] | None:
    """The footnote: (region name it names, register size and percentage)."""
    match = _FOOTNOTE.search(text)
    if not match:
        return None
    region = " ".join(match.group("region").split())
    size = parse_dutch_int(match.group("size"))
    return region, Register(size=size, percent_in_sonar=int(match.group("percent")))


def region_after_period(text: str) -> str | None:
    """'Vierde kwartaal 2020  West-Brabant' -> 'West-Brabant' (the PDF edition's title line)."""
    period = _period_match(text)
    match = _REST_OF_LINE.match(text, period.end()) if period else None
    if not match:
        return None
    candidate = match.group(1).strip().lstrip("-\u2013\u2014:|, ").strip()  # 'kwartaal 2021 - Regio'
    return candidate if candidate and not is_dutch_int(candidate.split()[-1]) else None


def region_below_period(text: str) -> str | None:
    """The heading line right after the period line ('## Vierde kwartaal 2021' / '## Midden-Limburg')."""
    period = _period_match(text)
    start = text.find("\n", period.end()) if period else -1
    while start != -1:
        end = text.find("\n", start + 1)
        candidate = clean_cell(text[start + 1:end if end != -1 else len(text)].lstrip("#* \t"))
        if candidate:
            usable = (len(candidate) <= 60 and _REGION_LINE.match(candidate)
                      and not _NOT_A_REGION.search(candidate))
            return candidate if usable else None
        start = end
    return None


def region_from_name(name: str) -> str | None:
    """'midden-limburg_2021-q4.xlsx' -> 'Midden-Limburg'; None when the name holds no plausible region."""
    stem = re.split(r"[\\/]", name)[-1].rsplit(".", 1)[0]
    stem = _PERIOD_IN_NAME.sub(" ", _PERIOD.sub(" ", stem)).replace("_", " ")
    words = [w for w in re.split(r"\s+", stem.strip(" -")) if w]
    while words and words[0].lower() in _NAME_NOISE:
        words.pop(0)
    while words and words[-1].lower() in _NAME_NOISE:
        words.pop()
    candidate = " ".join(words).strip(" -")
    if sum(c.isalpha() for c in candidate) < 4 or not _REGION_LINE.match(candidate):
        return None
    return re.sub(r"[^\W\d_]+", _capitalise, candidate)


def _capitalise(match: re.Match[str]) -> str:
    word = match.group().lower()
    if word in _PARTICLES and match.start() > 0:
        return word
    return "IJ" + word[2:] if word.startswith("ij") else word.capitalize()


def clean_cell(cell: str) -> str:
    """A cell's text with soft hyphens and zero-width characters gone, any run of spaces (non-breaking
    ones too) one space, and footnote markers after it dropped."""
    return " ".join(cell.translate(_SPACES).split()).rstrip(FOOTNOTE_MARKERS).rstrip()


def assemble_report(
    fmt: ReportFormat,
    cell_rows: Iterable[Sequence[str]],
    text: str,
    *,
    name_hint: str | None = None,
    title_region: str | None = None,
) -> ParsedReport:
    """Build the report from rows of cells (name cell, then five numbers, optionally a region cell
    before the name) and the surrounding text (title, footnote)."""
    region_code: int | None = None
    region_name: str | None = None
    rows: list[Row] = []
    totals: Counts | None = None
    saw_table_row = False
    for raw in cell_rows:
        cells = [clean_cell(c) for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) < 6 or not all(is_dutch_int(c) for c in cells[-5:]):
            continue
        label_cells = [c for c in cells[:-5] if c]
        if not label_cells:
            continue
        saw_table_row = True
        label = label_cells[-1]
        # The region cell ("34 Midden-Limburg") may also come as two cells: code, then name.
        if len(label_cells) >= 2 and (code_match := _REGION_CELL.match(" ".join(label_cells[:-1]))):
            region_code, region_name = int(code_match.group(1)), code_match.group(2)
        numbers = [parse_dutch_int(c) for c in cells[-5:]]
        if any(n > MAX_COUNT for n in numbers):
            raise NotAReport(f"implausible count in row {label[:40]!r}")
        if _TOTAL_ROW.match(label):
            if rows or totals is not None:
                totals = totals or _counts(numbers)
                break  # TOTAAL AMR closes the table (a second one closes a table it opened)
            totals = _counts(numbers)  # printed above the municipalities: they follow
            continue
        rows.append(_row(label, numbers))
        if len(rows) > MAX_ROWS:
            raise NotAReport(f"not a report table: more than {MAX_ROWS} municipality rows")
    if not saw_table_row:
        raise NotAReport("not a report table: no rows of a municipality and five counts")
    if totals is None:
        raise NotAReport("table cut off: no TOTAAL AMR row")
    if not rows:
        raise NotAReport("not a report table: no municipality rows with TOTAAL AMR")

    period = find_period(text) or (period_from_name(name_hint) if name_hint else None)
    if period is None:
        raise NotAReport("no period found (expected e.g. 'Vierde kwartaal 2021')")
    footnote = find_register(text)
    register = footnote[1] if footnote else None
    region_name = (region_name or title_region or (footnote[0] if footnote else None)
                   or region_after_period(text) or region_below_period(text)
                   or (region_from_name(name_hint) if name_hint else None))
    if not region_name:
        raise NotAReport("no region name found (no region cell, title or footnote)")
    try:
        return ParsedReport(
            format=fmt,
            region=Region(code=region_code, name=clean_cell(region_name)),
            period=period,
            rows=tuple(rows),
            totals=totals,
            register=register,
        )
    except ValidationError as exc:
        raise NotAReport(f"not a valid report: {exc.errors()[0]['msg']}") from None


def _counts(numbers: list[int]) -> Counts:
    return Counts(**dict(zip(("municipal_with_profile", "municipal_without_profile", "uwv_with_profile",
                              "uwv_without_profile", "total"), numbers, strict=True)))


def _row(label: str, numbers: list[int]) -> Row:
    return Row(
        municipality=label,
        municipal_with_profile=numbers[0],
        municipal_without_profile=numbers[1],
        uwv_with_profile=numbers[2],
        uwv_without_profile=numbers[3],
        total=numbers[4],
    )
