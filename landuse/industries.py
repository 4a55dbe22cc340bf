"""What a record is: GB/T 4754 industry names (行业分类) to two-digit major-group codes.

Supply records name the industry (``通用设备制造业``, ``汽车制造``, ``C制造业-汽车制造业``) more
often than they give its code. :func:`industry_codes_from_names` turns names into the two-digit
major-group code (大类) that the rules file uses, and reports every name it could not turn into a
code once, with its row count.

**Output edition: GB/T 4754-2002.** The plot-ratio table of RULES.md and the national control
indicators it comes from are keyed by 2002 codes, and the land-market supervision system lists
2002 names, so every code given out is a 2002 code, whatever edition the name comes from:
``汽车制造业`` (2011/2017 major group 36) and ``铁路、船舶、航空航天和其他运输设备制造业`` (2011/2017
37) both give ``37`` (2002 交通运输设备制造业). A later major group that has no single 2002 major
group (2011/2017 29 橡胶和塑料制品业 = 2002 29 + 30; 43 修理业; 65 软件和信息技术服务业; ...) gives
no code: it is reported, with the code it has in its own edition in ``industry_source_code``.

Tables shipped in ``landuse/data/``:

- ``gbt4754_major_groups.csv``: the sections (门类) and major groups (大类) of the 2002, 2011 and
  2017 editions with, for each, its 2002 code (``code_2002``).
- ``industry_name_variants.csv``: names that are not major-group names but name one 2002 major
  group: the 2002 medium and small groups the land-market system lists (``汽车制造``, ``水力发电``),
  that system's spellings (``造纸及纸质品业``) and GB/T 4754-1994 names.

Before lookup a name is normalised (:func:`name_key`): full-width characters, spaces and
punctuation, 其它/其他, 通讯/通信 and 及/和/与 do not matter; a leading code or section letter
(``36 汽车制造业``, ``C3610``, ``C制造业-汽车制造业``) is dropped; then a trailing 业, 制造 or 制品
may be missing (``汽车制造`` = ``汽车制造业``) when that leaves no doubt.

Names that give no code: section names (``制造业``, ``批发和零售业``: a section holds several major
groups), placeholders (``其它``: the land-market system offers 其它 under many groups, so the
text does not say which), later groups with no single 2002 group, and unknown names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from landuse.rules_file import industry_codes

OUTPUT_EDITION = "2002"
"""GB/T 4754 edition of every ``industry_code`` given out."""

INDUSTRY_COLUMNS = (
    "industry_code",
    "industry_name",
    "industry_section",
    "industry_match",
    "industry_source_code",
)
"""Columns of :func:`industries_from_names`, in order."""

# Names that say "no industry given" (compared after name_key).
_PLACEHOLDERS = ("其它", "其他", "其他行业", "其它行业", "无", "不详", "未知", "未分类", "暂无")

_DROP = re.compile(r"[\s、,，;；:：.．·・\-—–_/\\()（）\[\]【】<>《》\"'“”‘’]+")
_LEADING_CODE = re.compile(r"^(?:[A-T](?=[\d\u4e00-\u9fff]))?\d{0,4}")
_ONLY_CODE = re.compile(r"^[A-T]?\d{2,4}$")
_STEM_SUFFIXES = ("制造", "制品")

NOTES = {
    "section": "a section (门类) name: it holds several major groups",
    "placeholder": "no industry given (其它 and the like)",
    "split": "a later major group with no single GB/T 4754-2002 major group",
    "code": "a code without a name: its edition is unknown",
    "unknown": "not a GB/T 4754 name known here",
}
"""Why a name gave no code (``industry_match`` value -> note in the unmatched report)."""


def name_key(name: str) -> str:
    """The comparison form of an industry name (see the module notes)."""
    key = unicodedata.normalize("NFKC", name).upper()
    key = _DROP.sub("", key)
    for old, new in (("其它", "其他"), ("通讯", "通信"), ("与", "和"), ("及", "和")):
        key = key.replace(old, new)
    return key


def _stem(key: str) -> str:
    key = key.replace("的", "")
    if key.endswith("业"):
        key = key[:-1]
    for suffix in _STEM_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            return key[: -len(suffix)]
    return key


def _read(name: str) -> pd.DataFrame:
    path = files("landuse").joinpath("data", name)
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class _Entry:
    code_2002: str  # 2002 code (section letter for sections); "" when there is no single one
    match: str  # "2002", "2011", "2017", "variant", "section" or "split"
    edition: str  # edition of the name ("variant" for the variants table)
    source_code: str  # the code in its own edition ("" for variants)


@cache
def _major_groups() -> pd.DataFrame:
    return _read("gbt4754_major_groups.csv")


@cache
def _name_variants() -> pd.DataFrame:
    return _read("industry_name_variants.csv")


def major_groups() -> pd.DataFrame:
    """The shipped GB/T 4754 table (a copy): ``edition, section, code, name, code_2002``.

    Section rows have the section letter as ``code``; ``code_2002`` is the 2002 code (or letter)
    the entry falls in, empty where there is no single one.
    """
    return _major_groups().copy()


def name_variants() -> pd.DataFrame:
    """The shipped table of other names (a copy): ``name, code_2002, note``."""
    return _name_variants().copy()


@cache
def _names_2002() -> dict[str, tuple[str, str]]:
    """2002 code -> (major-group name, section letter)."""
    g = _major_groups()
    g = g[(g["edition"] == OUTPUT_EDITION) & g["code"].str.isdigit()]
    return dict(zip(g["code"], zip(g["name"], g["section"], strict=True), strict=True))


@cache
def _placeholder_keys() -> frozenset[str]:
    return frozenset(name_key(p) for p in _PLACEHOLDERS)


@cache
def _lookups() -> tuple[dict[str, _Entry], dict[str, _Entry], dict[str, _Entry]]:
    """(exact keys of major groups and variants, section keys, unambiguous stems).

    Earlier sources win on equal keys: 2002 names, the variants, 2011, then 2017 names.
    """
    g = _major_groups()
    majors: dict[str, _Entry] = {}
    sections: dict[str, _Entry] = {}
    sources = [
        g[g["edition"] == OUTPUT_EDITION],
        _name_variants().assign(edition="variant", code=""),
    ]
    sources += [g[g["edition"] == ed] for ed in ("2011", "2017")]
    for frame in sources:
        for name, edition, code, code_2002 in zip(
            frame["name"], frame["edition"], frame["code"], frame["code_2002"], strict=True
        ):
            key = name_key(name)
            if code.isalpha():
                sections.setdefault(key, _Entry(code_2002, "section", edition, code))
            else:
                match = edition if code_2002 else "split"
                majors.setdefault(key, _Entry(code_2002, match, edition, code))
    by_stem: dict[str, set[str]] = {}
    first: dict[str, _Entry] = {}
    for key, entry in majors.items():
        stem = _stem(key)
        by_stem.setdefault(stem, set()).add(entry.code_2002)
        first.setdefault(stem, entry)
    stems = {
        stem: first[stem]
        for stem, codes in by_stem.items()
        if len(codes) == 1 and len(stem) >= 2 and stem not in _placeholder_keys()
    }
    return majors, sections, stems


def _match(name: str) -> _Entry:
    """How one non-blank name is recognised."""
    key = name_key(name)
    if not key or key in _placeholder_keys():
        return _Entry("", "placeholder", "", "")
    majors, sections, stems = _lookups()
    candidates = [key]
    bare = _LEADING_CODE.sub("", key)
    if bare and bare != key:
        candidates.append(bare)
    for candidate in list(candidates):
        for section_key in sections:
            if candidate.startswith(section_key) and len(candidate) > len(section_key):
                candidates.append(candidate[len(section_key) :])
    for candidate in candidates:
        entry = majors.get(candidate) or sections.get(candidate) or stems.get(_stem(candidate))
        if entry is not None:
            return entry
    if _ONLY_CODE.match(key):
        return _Entry("", "code", "", "")
    return _Entry("", "unknown", "", "")


def _match_distinct(names: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Row positions into a frame of the distinct names (last row: blank) and that frame."""
    positions, uniques = pd.factorize(names.astype("string"), use_na_sentinel=True)
    names_2002 = _names_2002()
    rows = []
    for name in uniques:
        text = str(name).strip()
        if not text:
            rows.append((name, "", "", "", "", "", ""))
            continue
        entry = _match(text)
        if entry.match == "section":
            code, label, section = "", "", entry.code_2002
        else:
            code = entry.code_2002
            label, section = names_2002.get(code, ("", ""))
        note = NOTES.get(entry.match, "")
        if entry.match in ("split", "section"):
            note += f" (GB/T 4754-{entry.edition} {entry.source_code})"
        rows.append((name, code, label, section, entry.match, entry.source_code, note))
    rows.append((pd.NA, "", "", "", "", "", ""))  # the slot for missing names
    found = pd.DataFrame(rows, columns=["name", *INDUSTRY_COLUMNS, "note"], dtype="string")
    found = found.mask(found == "")
    return np.where(positions < 0, len(rows) - 1, positions), found


def industries_from_names(names: pd.Series) -> pd.DataFrame:
    """Industry code and what the name was recognised as, row by row.

    Returns a frame on ``names.index`` with the string columns of :data:`INDUSTRY_COLUMNS`:

    - ``industry_code``: GB/T 4754-2002 major-group code (two digits), ``<NA>`` when the name
      gives none;
    - ``industry_name``: the 2002 name of that major group;
    - ``industry_section``: its 2002 section letter (for a section name, the 2002 letter of that
      section);
    - ``industry_match``: ``2002``, ``2011`` or ``2017`` (a major-group name of that edition),
      ``variant`` (a name of ``industry_name_variants.csv``), or, without a code, ``section``,
      ``split``, ``placeholder``, ``code`` or ``unknown`` (see :data:`NOTES`); ``<NA>`` for a
      blank name;
    - ``industry_source_code``: the code in the edition the name comes from (``36`` for
      ``汽车制造业``, 2011), or the section letter of that edition for a section name.

    Each distinct name is matched once, then spread to the rows.
    """
    positions, found = _match_distinct(names)
    out = found[list(INDUSTRY_COLUMNS)].iloc[positions].reset_index(drop=True)
    out.index = names.index
    return out


def _unmatched(positions: np.ndarray, found: pd.DataFrame) -> pd.DataFrame:
    counts = np.bincount(positions, minlength=len(found))
    out = found.assign(count=counts)
    out = out[out["name"].notna() & out["industry_code"].isna() & out["industry_match"].notna()]
    out = out.rename(columns={"industry_match": "reason"})[["name", "count", "reason", "note"]]
    out = out.sort_values(["count", "name"], ascending=[False, True], kind="stable")
    return out.astype({"count": "int64"}).reset_index(drop=True)


def industry_codes_from_names(names: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    """GB/T 4754-2002 major-group codes of 行业分类 names, and the names that gave none.

    Returns ``(codes, unmatched)``. ``codes`` is a string Series on ``names.index`` (``<NA>``
    where the name gives no code or is blank). ``unmatched`` lists each distinct name that gave
    no code once: ``name`` (as written), ``count`` (rows), ``reason`` (an ``industry_match``
    value of :func:`industries_from_names`) and ``note``, most rows first; blank names are not
    listed. Vectorised over distinct names.
    """
    positions, found = _match_distinct(names)
    codes = found["industry_code"].iloc[positions].reset_index(drop=True)
    codes.index = names.index
    return codes, _unmatched(positions, found)


def fill_industry_codes(
    codes: pd.Series | None, names: pd.Series
) -> tuple[pd.Series, pd.DataFrame]:
    """The given codes (two digits, as the rules file reads them), else the code of the name.

    ``codes`` is the raw 行业代码 column (or ``None`` when there is none); a code given there
    always wins over the name. The unmatched report covers only the rows without a given code.
    """
    if codes is None:
        given = pd.Series(pd.NA, index=names.index, dtype="string")
    else:
        given = industry_codes(codes)
    need = given.isna().to_numpy()
    from_names, unmatched = industry_codes_from_names(names[need])
    return given.fillna(from_names.reindex(given.index)), unmatched
