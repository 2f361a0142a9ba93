"""Name keys: two spellings of one name ('Midden Limburg', 'Midden-Limburg'; 'Súdwest-Fryslân',
'Sudwest Fryslan'; "'s-Hertogenbosch", '’s Hertogenbosch') give the same key."""

from __future__ import annotations

import re
import unicodedata

_AMPERSAND = re.compile(r"\s*&\s*")
# 'a/d', 'a.d.' and 'aan de(n)' all become 'ad': 'Capelle a/d IJssel' is 'Capelle aan den IJssel'.
_AAN_DEN = re.compile(r"(?<![^\W_])(?:a\s*/\s*d|a\.\s*d\.?|aan\s+den?)(?![^\W_])")
_SINT = re.compile(r"(?<![^\W_])st\.?(?=[\s.-])")
_GEMEENTE = re.compile(r"^\s*gemeente\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# A trailing province in brackets: 'Hengelo (O.)', 'Bergen (NH.)', 'Bergen (N.H.)', 'Hengelo (Overijssel)'.
_PROVINCE_SUFFIX = re.compile(r"^(?P<base>.*\S)\s*\((?P<province>[^()]{1,20})\)\s*$")

_PROVINCE_ABBREVIATIONS = {
    "Drenthe": ("d", "dr", "dre", "drenthe"),
    "Flevoland": ("fl", "fla", "flevoland"),
    "Fryslân": ("f", "fr", "fri", "friesland", "fryslan"),
    "Gelderland": ("g", "gd", "gl", "gld", "gelderland"),
    "Groningen": ("gr", "gn", "gro", "groningen"),
    "Limburg": ("l", "li", "lb", "lim", "limburg"),
    "Noord-Brabant": ("nb", "nbr", "noordbrabant"),
    "Noord-Holland": ("nh", "noordholland"),
    "Overijssel": ("o", "ov", "ovl", "overijssel"),
    "Utrecht": ("u", "ut", "utr", "utrecht"),
    "Zeeland": ("z", "ze", "zld", "zeeland"),
    "Zuid-Holland": ("zh", "zuidholland"),
}
_PROVINCE_BY_ABBREVIATION = {abbr: province for province, abbrs in _PROVINCE_ABBREVIATIONS.items()
                             for abbr in abbrs}


def fold(text: str) -> str:
    """Lower case, no diacritics, straight apostrophes: 'Súdwest-Fryslân' -> 'sudwest-fryslan'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(text: str) -> str:
    """The matching key of a name: folded, '&' read as 'en', 'a/d' as 'aan den', 'St.' as 'Sint',
    then only letters and digits ('Nuenen, Gerwen en Nederwetten' -> 'nuenengerwenennederwetten')."""
    folded = _AMPERSAND.sub(" en ", fold(text))
    folded = _SINT.sub("sint", _AAN_DEN.sub("ad", _GEMEENTE.sub("", folded)))
    return _NOT_ALNUM.sub("", folded)


def province_key(province: str) -> str:
    """A province name as a key ('Noord-Holland' -> 'noordholland'); 'Friesland' and 'Fryslân' are one."""
    return name_key(_PROVINCE_BY_ABBREVIATION.get(name_key(province), province))


def split_province(name: str) -> tuple[str, str | None]:
    """'Hengelo (O.)' -> ('Hengelo', 'overijssel'); a bracket that names no province stays in the name."""
    match = _PROVINCE_SUFFIX.match(name)
    if match:
        province = _PROVINCE_BY_ABBREVIATION.get(name_key(match.group("province")))
        if province:
            return match.group("base"), province_key(province)
    return name, None
