"""Where the region is printed: a region cell ('34 Midden-Limburg'), a parameter line
('Arbeidsmarktregio: 13 Holland Rijnland', a CSV metadata line 'Arbeidsmarktregio;34 Midden-Limburg'),
the title beside or below the period, the footnote, or the file name."""

from __future__ import annotations

import re

from shared.parsing import filename
from shared.parsing.dutch import PERIOD, PERIOD_IN_NAME, clean_cell, is_dutch_int, period_match

_REST_OF_LINE = re.compile(r"[ \t]+([^\t\r\n]*\S)")
REGION_CELL = re.compile(r"^(\d{1,3})\s+(\S.*)$")
_CODE_AFTER = re.compile(r"^(\S.*?)\s*\((\d{1,3})\)$")  # 'Midden-Limburg (34)'
# A heading line that can only be a region name: letters and the punctuation of real names, no digits.
_REGION_LINE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '\u2019/().,-])*$")
_NOT_A_REGION = re.compile(r"kwartaal|transparantie|klantprofiel|sonar|gemeente", re.IGNORECASE)
_NAME_NOISE = {"klantprofielen", "transparantie", "rapport", "report", "export", "tabel", "uwv", "amr"}
_PARTICLES = {"van", "en", "de", "der", "den", "op", "aan", "in"}
# A parameter line, its value alone on the rest of the line (the table header's 'Arbeidsmarktregio'
# cell is followed by more header cells, so it never matches).
_PARAMETER = re.compile(r"^[ \t#*>-]*(?:arbeidsmarktregio|amr|regio)[ \t]*[:;,|=\t][ \t:;,|=]*"
                        r"(?P<value>[^\t\n;|]*?)[ \t;,|*]*$", re.IGNORECASE | re.MULTILINE)


def split_region_code(region: str) -> tuple[int | None, str]:
    """'34 Midden-Limburg' or 'Midden-Limburg (34)' -> (34, 'Midden-Limburg'); else (None, region)."""
    if match := REGION_CELL.match(region):
        return int(match.group(1)), match.group(2)
    if match := _CODE_AFTER.match(region):
        return int(match.group(2)), match.group(1)
    return None, region


def plausible_region(candidate: str) -> bool:
    """A region name, perhaps with its code: letters and the punctuation of names, no report words."""
    name = split_region_code(candidate)[1]
    return (len(name) <= 60 and bool(_REGION_LINE.match(name)) and not _NOT_A_REGION.search(name)
            and not name.endswith((",", ":")))  # a greeting ('Hoi allemaal,') or a label


def region_parameter(text: str) -> str | None:
    """The value of a 'Arbeidsmarktregio: 13 Holland Rijnland' line."""
    for match in _PARAMETER.finditer(text):
        value = clean_cell(match.group("value"))
        if value and plausible_region(value):
            return value
    return None


def region_after_period(text: str) -> str | None:
    """'Vierde kwartaal 2020  West-Brabant' -> 'West-Brabant' (the PDF edition's title line); after the
    first period mention, or a later one that a region name follows (under a running page header)."""
    for index, period in enumerate(PERIOD.finditer(text)):
        match = _REST_OF_LINE.match(text, period.end())
        if not match:
            continue
        candidate = match.group(1).strip().lstrip("-\u2013\u2014:|, ").strip()  # 'kwartaal 2021 - Regio'
        if candidate and not is_dutch_int(candidate.split()[-1]) and (index == 0 or plausible_region(candidate)):
            return candidate
    return None


def region_below_period(text: str) -> str | None:
    """The heading line right after the period line ('## Vierde kwartaal 2021' / '## Midden-Limburg')."""
    period = period_match(text)
    start = text.find("\n", period.end()) if period else -1
    while start != -1:
        end = text.find("\n", start + 1)
        candidate = clean_cell(text[start + 1:end if end != -1 else len(text)].strip("#*_ \t"))
        if candidate:
            return candidate if plausible_region(candidate) else None
        start = end
    return None


def region_from_name(name: str) -> str | None:
    """'midden-limburg_2021-q4.xlsx' -> 'Midden-Limburg'; None when the name holds no plausible region.
    A region the reference knows is named as the reference spells it ('Midden Limburg' -> 'Midden-Limburg')."""
    known = filename.region_from_name(name)
    if known is not None:
        return known[1]
    stem = re.split(r"[\\/]", name)[-1].rsplit(".", 1)[0]
    stem = PERIOD_IN_NAME.sub(" ", PERIOD.sub(" ", stem)).replace("_", " ")
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


