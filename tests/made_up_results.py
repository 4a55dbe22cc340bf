"""Small made-up results files (no tests here): seven parcels whose summaries and ranking are
worked out by hand below, written with or without geometries, with or without regions.

=====  ========  ==================  ==========  =====  ======  =====  =======  =========
 row    park      region_label        status      ha    total   idle   late st  confirmed
=====  ========  ==================  ==========  =====  ======  =====  =======  =========
 A1     北区                          recovery     2.0   100.0   20.0    80.0    true
 A2     (blank)   湖北省武汉市江夏区   unverified   3.0    50.0    0.0    50.0    false
 A3               湖北省武汉市江夏区   late_start   1.0     5.0    0.0     5.0    true
 A4                                   on_track     4.0     0.0    0.0     0.0    true
 A5     北区                          unverified   5.0    30.0    6.0    24.0    false
 A6     北区                          compliant    1.5     0.0    0.0     0.0    true
 A7                                   idle_fee     2.5    40.0   40.0     0.0    true
=====  ========  ==================  ==========  =====  ======  =====  =======  =========

By hand, grouped by park, else region, else （未指定园区）:

- 北区 (park): A1, A5, A6: 3 parcels, 8.5 ha, confirmed 100.00, would apply 30.00
  (idle fee 20 confirmed + 6 would apply; late start 80 + 24).
- 湖北省武汉市江夏区 (region): A2, A3: 2 parcels, 4.0 ha, confirmed 5.00, would apply 50.00.
- （未指定园区）: A4, A7: 2 parcels, 6.5 ha, confirmed 40.00, would apply 0.
- Without the region column, A2 and A3 fall into （未指定园区）: 4 parcels, 10.5 ha, confirmed
  45.00, would apply 50.00.
- All: 7 parcels, 19.0 ha, confirmed 145.00, would apply 80.00 (never 225).

To act on, ranked (status severity, then amount): A1 recovery, A7 idle_fee, A3 late_start,
A2 unverified 50, A5 unverified 30 (A4 on_track and A6 compliant need nothing).
With ``geometry="some"`` A1, A5 and A6 have polygons; A2, A3, A4 and A7 do not (of them A7,
A3, A2 are to act on, in that order).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

XSS = "<img src=x onerror=alert(1)>"
CRS = "EPSG:4529"  # CGCS2000 3-degree Gauss-Krüger zone 41 (Shenyang)
REGION = "湖北省武汉市江夏区"

ROWS = pd.DataFrame(
    {
        "parcel_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
        "supervision_no": [
            "2101062016B00001",
            "4201152016B00002",
            "4201152016B00003",
            "2101062016B00004",
            "2101062016B00005",
            "2101062016B00006",
            "2101062016B00007",
        ],
        "park": ["北区", " ", None, None, "北区", "北区", None],
        "project_name": [
            "一号项目",
            "二号项目",
            "三号项目",
            "四号项目",
            XSS,
            "六号项目",
            "七号项目",
        ],
        "holder": ["甲公司", "乙公司", "丙公司", "丁公司", XSS, "己公司", "庚公司"],
        "status": [
            "recovery",
            "unverified",
            "late_start",
            "on_track",
            "unverified",
            "compliant",
            "idle_fee",
        ],
        "area_ha": [2.0, 3.0, 1.0, 4.0, 5.0, 1.5, 2.5],
        "idle_fee_wan": [20.0, 0.0, 0.0, 0.0, 6.0, 0.0, 40.0],
        "late_start_wan": [80.0, 50.0, 5.0, 0.0, 24.0, 0.0, 0.0],
        "total_penalty_wan": [100.0, 50.0, 5.0, 0.0, 30.0, 0.0, 40.0],
        "amounts_confirmed": [True, False, True, True, False, True, True],
        "as_of_date": pd.to_datetime(["2017-06-30"] * 7),
    }
)
REGIONS = [None, REGION, REGION, None, None, None, None]
WITH_GEOMETRY = ["A1", "A5", "A6"]

STATUS_ZH = {
    "recovery": "拟收回",
    "unverified": "待核查",
    "late_start": "逾期未开工",
    "on_track": "按期推进",
    "compliant": "已竣工达标",
    "idle_fee": "闲置满一年",
}


def parcels(*, geometry: str = "none", region: bool = False) -> pd.DataFrame:
    """The seven parcels; ``geometry``: ``none`` (a ledger-only result), ``some`` (A1, A5, A6
    have 100 m squares) or ``column`` (a geometry column of None only)."""
    frame = ROWS.copy()
    frame["status_zh"] = frame["status"].map(STATUS_ZH)
    if region:
        frame["region_label"] = REGIONS
    if geometry == "none":
        return frame
    x0, y0 = 41_524_000.0, 4_626_000.0
    geoms = np.full(len(frame), None, dtype=object)
    if geometry == "some":
        for i, pid in enumerate(frame["parcel_id"]):  # seven made-up rows
            if pid in WITH_GEOMETRY:
                geoms[i] = shapely.box(x0 + 300 * i, y0, x0 + 300 * i + 100, y0 + 100)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def write(path: Path, *, geometry: str = "none", region: bool = False) -> Path:
    """Write the seven parcels as results.

    Without ``region``: with ``landuse analyse``'s own writers (a GeoPackage with layers
    ``parcels``, ``rejects``, ``summary``; a Parquet file, plain when no parcel has a
    geometry). With ``region`` (a column the analysis is about to add): the ``parcels`` layer
    written as is with pyogrio / geopandas."""
    from landuse.outputs import write_gpkg, write_parquet
    from landuse.workbook import summary_table

    frame = parcels(geometry=geometry, region=region)
    crs = frame.crs if isinstance(frame, gpd.GeoDataFrame) else None
    if region:
        if path.suffix == ".gpkg":
            pyogrio.write_dataframe(frame, path, layer="parcels")
        else:
            frame.to_parquet(path, index=False)
        return path
    rejects = pd.DataFrame({"reason": pd.Series([], dtype="string")})
    if path.suffix == ".gpkg":
        write_gpkg(path, frame, rejects, summary_table(frame), None, crs)
    else:
        write_parquet(path, frame, rejects, crs)
    return path


REAL_DAY = (
    Path(__file__).resolve().parents[2]
    / "shared/data/real/landchina_forfudan/landchina/2016/06/01.csv"
)
_REAL_CACHE: dict[str, Path] = {}


def real_day_results(folder_factory) -> dict[str, Path]:
    """One real day of land-market exports (``REAL_DAY``) analysed as of 2017-06-30 and
    written as ``day.gpkg`` and ``day.parquet`` (once per test session; ``folder_factory`` is
    pytest's ``tmp_path_factory``)."""
    if not _REAL_CACHE:
        from landuse.pipeline import run_analysis, write_results
        from landuse.rules_file import load_rules

        results = run_analysis([REAL_DAY], rules=load_rules(None), as_of="2017-06-30")
        folder = folder_factory.mktemp("real_day")
        for suffix in (".gpkg", ".parquet"):
            out = folder / f"day{suffix}"
            write_results(results, out)
            _REAL_CACHE[suffix[1:]] = out
    return dict(_REAL_CACHE)
