"""Tests of ``landuse.load.load_inputs`` (and ``write_results``) on small hand-made inputs.

Every input is built in ``tmp_path``; every expected value is worked out by hand. Coordinates
are CGCS2000 3-degree Gauss-Krüger zone 41 (EPSG:4529, eastings prefixed with the zone number),
so a 200 m x 100 m box is 20,000 m² = 2.0 ha. Every test also checks that nothing is lost:
for each input kind, rows read = analysed (or matched) + rejected (RULES.md section 2).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from landuse.errors import InputError
from landuse.load import Loaded, load_inputs
from landuse.normalise import PLAUSIBLE_RANGES
from landuse.pipeline import run_analysis, write_results
from landuse.rules_file import load_rules
from landuse.schema import AMOUNT_COLUMNS, NUMBER_COLUMNS

GK41 = "EPSG:4529"  # CGCS2000 / 3-degree Gauss-Kruger zone 41 (CM 123°E)
X0, Y0 = 41_500_000.0, 4_600_000.0  # false easting of zone 41, about 41.5°N


def box(dx: float, dy: float, width: float, height: float) -> shapely.Polygon:
    """A width x height metre box whose lower-left corner is (X0 + dx, Y0 + dy)."""
    return shapely.box(X0 + dx, Y0 + dy, X0 + dx + width, Y0 + dy + height)


def layer(columns: dict, geometry: list, crs: str | None = GK41) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)


def assert_nothing_lost(loaded: Loaded) -> None:
    """Rows read = analysed (or matched) + rejected, per input kind, and every reject has a
    reason; the analysed rows are the parcels (the ledger's rows when there is a ledger)."""
    assert loaded.accounting, "no accounting"
    for kind, (read, analysed, rejected) in loaded.accounting.items():
        assert read == analysed + rejected, kind
        assert rejected == int((loaded.rejects["input_kind"] == kind).sum()), kind
    assert set(loaded.rejects["input_kind"]) <= set(loaded.accounting)
    assert loaded.rejects["reason"].notna().all()
    assert (loaded.rejects["reason"].astype(str).str.len() > 0).all()
    main_kind = "ledger" if "ledger" in loaded.accounting else "layer"
    assert len(loaded.parcels) == loaded.accounting[main_kind][1]
    if set(loaded.accounting) == {"layer", "ledger"}:
        # matched parcels are exactly the analysed rows that got a geometry
        assert loaded.parcels.geometry.notna().sum() == loaded.accounting["layer"][1]


def report_rows(loaded: Loaded, **where: object) -> pd.DataFrame:
    """Entries of the load report (one per problem cell) whose columns equal the given
    values."""
    table = loaded.report.entries()
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    return table[mask.fillna(False)]


def reject_of(loaded: Loaded, **where: object) -> pd.DataFrame:
    rejects = loaded.rejects
    mask = pd.Series(True, index=rejects.index)
    for column, value in where.items():
        mask &= rejects[column] == value
    return rejects[mask.fillna(False)]


# --------------------------------------------------------------------------------------------
# A parcel layer that carries the ledger columns itself


def test_layer_with_ledger_columns_is_analysed_alone(tmp_path):
    path = tmp_path / "parcels.gpkg"
    layer(
        {
            "宗地编号": ["A1", "A2"],
            "土地用途": ["工业用地", "工业用地"],
            "面积(公顷)": [2.0, 1.0],
            "成交价格(万元)": [1000.0, 500.0],
            "约定开工时间": ["2015年01月01日", "2016-03-01"],
        },
        [box(0, 0, 200, 100), box(1000, 0, 100, 100)],
    ).to_file(path, engine="pyogrio")

    loaded = load_inputs([path])

    assert loaded.accounting == {"layer": (2, 2, 0)}
    assert_nothing_lost(loaded)
    assert loaded.parcels.crs.to_epsg() == 4529
    a1, a2 = (loaded.parcels.set_index("parcel_id").loc[k] for k in ("A1", "A2"))
    assert a1["land_use"] == "工业用地"
    assert a1["area_ha"] == 2.0  # declared
    assert a1["land_price_wan"] == 1000.0
    assert a1["agreed_start_date"] == pd.Timestamp("2015-01-01")
    assert a1["geometry_area_ha"] == pytest.approx(2.0, rel=1e-12)  # 200 m x 100 m
    assert a2["geometry_area_ha"] == pytest.approx(1.0, rel=1e-12)  # 100 m x 100 m
    assert a2["agreed_start_date"] == pd.Timestamp("2016-03-01")
    assert list(loaded.parcels["source_row"]) == [1, 2]

    results = run_analysis([path], rules=load_rules(), as_of="2016-06-30")
    analysed = results.parcels.set_index("parcel_id")
    assert analysed.loc["A1", "area_source"] == "geometry"
    assert analysed.loc["A1", "area_ha"] == pytest.approx(2.0, rel=1e-12)
    assert not analysed["area_mismatch"].any()


# --------------------------------------------------------------------------------------------
# The same layer in every format

# Headers short enough for a DBF field name (10 bytes in GBK: 面积(公顷) is exactly 10).
FORMAT_LAYER = {
    "宗地编号": ["A1", "A2"],
    "土地用途": ["工业用地", "工矿仓储用地"],
    "面积(公顷)": [2.0, 1.0],
    "出让价款": [1000.0, 500.0],
}
# (parcel_id, land_use, area_ha, land_price_wan, geometry_area_ha), sorted by parcel_id
FORMAT_EXPECTED = [
    ("A1", "工业用地", 2.0, 1000.0, 2.0),
    ("A2", "工矿仓储用地", 1.0, 500.0, 1.0),
]


def _write_shp(frame: gpd.GeoDataFrame, folder: Path) -> Path:
    folder.mkdir()
    path = folder / "parcels.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")  # writes parcels.cpg saying GBK
    return path


def write_format(frame: gpd.GeoDataFrame, tmp_path: Path, kind: str) -> Path:
    if kind == "gpkg":
        path = tmp_path / "parcels.gpkg"
        pyogrio.write_dataframe(frame, path)
    elif kind == "shp":
        path = _write_shp(frame, tmp_path / "shp")
    elif kind == "shp-gbk-no-cpg":
        path = _write_shp(frame, tmp_path / "shp")
        path.with_suffix(".cpg").unlink()  # as most bureau shapefiles come: GBK, no .cpg
    elif kind == "zip":
        shp = _write_shp(frame, tmp_path / "shp")
        path = tmp_path / "parcels.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(shp.parent.iterdir()):
                zf.write(part, part.name)
    elif kind == "geojson-4490":
        path = tmp_path / "parcels.geojson"
        pyogrio.write_dataframe(frame.to_crs("EPSG:4490"), path)
    elif kind == "parquet":
        path = tmp_path / "parcels.parquet"
        frame.to_parquet(path)
    elif kind == "fgb":
        path = tmp_path / "parcels.fgb"
        pyogrio.write_dataframe(frame, path)
    else:
        raise AssertionError(kind)
    return path


@pytest.mark.parametrize(
    "kind", ["gpkg", "shp", "shp-gbk-no-cpg", "zip", "geojson-4490", "parquet", "fgb"]
)
def test_every_layer_format_loads_to_the_same_rows(tmp_path, kind):
    frame = layer(FORMAT_LAYER, [box(0, 0, 200, 100), box(1000, 0, 100, 100)])
    path = write_format(frame, tmp_path, kind)

    loaded = load_inputs([path])

    assert loaded.accounting == {"layer": (2, 2, 0)}
    assert_nothing_lost(loaded)
    assert loaded.parcels.crs.to_epsg() == 4529
    got = loaded.parcels.sort_values("parcel_id")  # FlatGeobuf stores features in index order
    rows = list(
        zip(
            got["parcel_id"],
            got["land_use"],
            got["area_ha"],
            got["land_price_wan"],
            got["geometry_area_ha"],
            strict=True,
        )
    )
    for (pid, use, area, price, geom_area), expected in zip(rows, FORMAT_EXPECTED, strict=True):
        assert (pid, use, area, price) == expected[:4]
        assert geom_area == pytest.approx(expected[4], rel=1e-6)
    assert (loaded.parcels["source_file"] == path.name).all()

    reprojected = [n for n in loaded.report.notes if "reprojected" in n]
    if kind == "geojson-4490":
        assert len(reprojected) == 1
        assert "EPSG:4490" in reprojected[0]
        assert "EPSG:4529" in reprojected[0]
        assert "zone 41" in reprojected[0]
    else:
        assert reprojected == []


def test_layer_without_crs_says_how_to_set_one(tmp_path):
    frame = layer({"宗地编号": ["A1"], "土地用途": ["工业用地"]}, [box(0, 0, 200, 100)])
    path = _write_shp(frame, tmp_path / "shp")
    path.with_suffix(".prj").unlink()  # a shapefile that lost its .prj

    with pytest.raises(InputError) as err:
        load_inputs([path])
    message = str(err.value)
    assert "parcels.shp" in message
    assert ".prj" in message
    assert "Set CRS" in message  # the QGIS way
    assert "--crs EPSG:4529" in message  # the command-line way

    loaded = load_inputs([path], assume_crs=GK41)
    assert loaded.parcels.crs.to_epsg() == 4529
    assert loaded.parcels["geometry_area_ha"].tolist() == pytest.approx([2.0], rel=1e-12)
    assert loaded.accounting == {"layer": (1, 1, 0)}
    assert_nothing_lost(loaded)


def test_invalid_polygon_is_repaired_and_empty_geometry_rejected(tmp_path):
    # a bow-tie: two triangles meeting at (50, 50), each 100 x 50 / 2 = 2,500 m²
    bow_tie = shapely.Polygon(
        [(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)]
    )
    assert not bow_tie.is_valid
    path = tmp_path / "geoms.gpkg"
    layer(
        {"宗地编号": ["A1", "B1", "C1"], "土地用途": ["工业用地"] * 3},
        [box(0, 0, 200, 100), bow_tie, shapely.Polygon()],
    ).to_file(path, engine="pyogrio")

    loaded = load_inputs([path])

    assert loaded.accounting == {"layer": (3, 2, 1)}
    assert_nothing_lost(loaded)
    areas = dict(zip(loaded.parcels["parcel_id"], loaded.parcels["geometry_area_ha"], strict=True))
    assert areas == pytest.approx({"A1": 2.0, "B1": 0.5})  # 2 x 2,500 m² = 0.5 ha
    assert loaded.parcels.geometry.is_valid.all()

    repaired = report_rows(loaded, file="geoms.gpkg", row=2, column="geometry")
    assert len(repaired) == 1
    assert "repaired" in repaired["action"].iloc[0]

    empty = reject_of(loaded, parcel_id="C1")
    assert len(empty) == 1
    assert empty["source_row"].iloc[0] == 3
    assert "empty geometry" in empty["reason"].iloc[0]


def test_conflicting_layer_duplicates_name_the_geometry(tmp_path):
    path = tmp_path / "dups.gpkg"
    layer(
        {"宗地编号": ["D1", "D1"], "土地用途": ["工业用地", "工业用地"]},
        [box(0, 0, 200, 100), box(500, 0, 100, 100)],
    ).to_file(path, engine="pyogrio")

    loaded = load_inputs([path])

    assert loaded.accounting == {"layer": (2, 0, 2)}
    assert_nothing_lost(loaded)
    for reason in loaded.rejects["reason"]:
        assert "dups.gpkg:1" in reason
        assert "dups.gpkg:2" in reason
        assert "geometry" in reason.split("不同列：")[1]


# --------------------------------------------------------------------------------------------
# A ledger CSV: units, placeholders, duplicates, land uses, keys

LEDGER_LINES = [
    "某某经济开发区工业用地供应台账（2014年）",  # line 1: a title above the header
    "宗地编号,电子监管号,土地用途,面积(平方米),成交价格(万元),约定开工时间",  # line 2
    "Z1,3205062013B00001,工业用地,20000,12000万元,2014年01月01日",  # 3: 2.0 ha, 12000 万元
    "Z2,3205062013B00002,工业用地,15000,800,1900年01月01日",  # 4: placeholder date
    "Z3,3205062013B00003,其他商服用地,5000,300,2014-05-01",  # 5: not industrial
    "Z4,3205062013B00004,,5000,300,2014-05-01",  # 6: no land use: kept, reported
    "Z5,3205062013B00005,工矿仓储用地,5000,300,2014-05-01",  # 7: industrial
    ",,工业用地,5000,300,2014-05-01",  # 8: no key
    "Z1,3205062013B00001,工业用地,20000,12000万元,2014年01月01日",  # 9: exact dup of line 3
    "Z6,3205062013B00006,工业用地,1000,100,2014-05-01",  # 10: conflicts with line 11
    "Z6,3205062013B00006,工业用地,1000,200,2014-05-01",  # 11: (another price)
    ",,,,,",  # 12: an empty row
]


@pytest.fixture(params=["gbk", "utf-8"])
def ledger(request, tmp_path) -> Loaded:
    path = tmp_path / "ledger.csv"
    path.write_bytes(("\r\n".join(LEDGER_LINES) + "\r\n").encode(request.param))
    return load_inputs([path])


def test_ledger_accounting(ledger):
    # 9 data rows (lines 3-11) + 1 empty row; analysed Z1, Z2, Z4, Z5; rejected lines 5, 8-11
    assert ledger.accounting == {"ledger": (9, 4, 5)}
    assert ledger.empty_rows == 1
    assert_nothing_lost(ledger)
    assert sorted(ledger.parcels["parcel_id"]) == ["Z1", "Z2", "Z4", "Z5"]
    assert sorted(ledger.rejects["source_row"]) == [5, 8, 9, 10, 11]
    assert (ledger.rejects["input_kind"] == "ledger").all()


def test_ledger_square_metres_converted_to_hectares(ledger):
    areas = dict(zip(ledger.parcels["parcel_id"], ledger.parcels["area_ha"], strict=True))
    # 20,000 m² = 2.0 ha, 15,000 m² = 1.5 ha, 5,000 m² = 0.5 ha
    assert areas == pytest.approx({"Z1": 2.0, "Z2": 1.5, "Z4": 0.5, "Z5": 0.5})
    said = report_rows(ledger, file="ledger.csv", column="面积(平方米)")
    assert said["row"].isna().all()  # one entry for the column, not one per row
    assert len(said) == 1
    assert "平方米" in said["problem"].iloc[0]
    assert "area_ha" in said["action"].iloc[0]


def test_ledger_money_with_unit_is_parsed(ledger):
    z1 = ledger.parcels.set_index("parcel_id").loc["Z1"]
    assert z1["land_price_wan"] == 12000.0  # "12000万元"
    assert ledger.parcels.set_index("parcel_id").loc["Z2", "land_price_wan"] == 800.0
    said = report_rows(ledger, file="ledger.csv", row=3, column="成交价格(万元)")
    assert said["value"].tolist() == ["12000万元"]


def test_ledger_placeholder_date_is_missing_and_reported(ledger):
    parcels = ledger.parcels.set_index("parcel_id")
    assert pd.isna(parcels.loc["Z2", "agreed_start_date"])
    assert parcels.loc["Z1", "agreed_start_date"] == pd.Timestamp("2014-01-01")
    said = report_rows(ledger, file="ledger.csv", row=4, column="约定开工时间")
    assert said["value"].tolist() == ["1900年01月01日"]
    assert "placeholder" in said["problem"].iloc[0]
    assert said["action"].iloc[0] == "treated as missing"


def test_ledger_exact_duplicate_keeps_the_first_row(ledger):
    assert (ledger.parcels["parcel_id"] == "Z1").sum() == 1
    assert ledger.parcels.set_index("parcel_id").loc["Z1", "source_row"] == 3
    dup = reject_of(ledger, source_row=9)
    assert dup["parcel_id"].tolist() == ["Z1"]
    reason = dup["reason"].iloc[0]
    assert "exact duplicate" in reason
    assert "ledger.csv 第 3 行" in reason  # names the row that was kept


def test_ledger_conflicting_duplicates_are_both_rejected(ledger):
    assert "Z6" not in set(ledger.parcels["parcel_id"])
    both = reject_of(ledger, parcel_id="Z6")
    assert sorted(both["source_row"]) == [10, 11]
    for reason in both["reason"]:
        assert "conflicting duplicates" in reason
        assert "3205062013B00006" in reason
        assert "ledger.csv:10" in reason
        assert "ledger.csv:11" in reason
        assert "land_price_wan" in reason  # the column that differs


def test_ledger_land_uses(ledger):
    parcels = ledger.parcels.set_index("parcel_id")
    skipped = reject_of(ledger, source_row=5)
    assert skipped["parcel_id"].tolist() == ["Z3"]
    assert "其他商服用地" in skipped["reason"].iloc[0]
    assert "not industrial" in skipped["reason"].iloc[0]

    assert pd.isna(parcels.loc["Z4", "land_use"])  # empty land use: kept ...
    said = report_rows(ledger, file="ledger.csv", row=6)  # ... and reported
    assert len(said) == 1
    assert said["column"].iloc[0] in {"land_use", "土地用途"}
    assert said["action"].iloc[0] == "analysed as industrial land"

    assert parcels.loc["Z5", "land_use"] == "工矿仓储用地"


def test_ledger_row_without_any_key_is_rejected(ledger):
    nokey = reject_of(ledger, source_row=8)
    assert len(nokey) == 1
    assert pd.isna(nokey["parcel_id"].iloc[0])
    assert "no parcel_id or supervision_no" in nokey["reason"].iloc[0]


def test_scientific_notation_under_a_unit_header_is_converted(tmp_path):
    path = tmp_path / "sci.csv"
    path.write_text("宗地编号,土地用途,面积(平方米)\nS1,工业用地,1e4\n", encoding="utf-8")

    loaded = load_inputs([path])

    assert_nothing_lost(loaded)
    assert loaded.parcels["area_ha"].tolist() == pytest.approx([1.0])  # 10,000 m²


# --------------------------------------------------------------------------------------------
# A parcel layer joined to a ledger workbook


def _join_inputs(tmp_path: Path) -> tuple[Path, Path]:
    parcels = tmp_path / "parcels.gpkg"
    layer(
        {"宗地编号": ["P1", "P2", "P4", "P9"]},
        [box(0, 0, 200, 100), box(500, 0, 100, 100), box(800, 0, 100, 100), box(900, 0, 50, 50)],
    ).to_file(parcels, engine="pyogrio")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["某某开发区工业用地供应台账"])  # row 1: title
    ws.append(["宗地编号", "土地用途", "面积(公顷)", "成交价格(万元)", "约定开工时间"])  # row 2
    ws.append(["P1", "工业用地", 2.0, 1000, "2020-01-01"])  # row 3
    ws.append(["P2", "工业用地", 1.0, 500, "2020-01-01"])  # row 4
    ws.append(["P3", "工业用地", 3.0, 900, "2020-01-01"])  # row 5: no parcel in the layer
    ws.append(["P4", "其他商服用地", 1.0, 800, "2020-01-01"])  # row 6: not industrial
    ledger = tmp_path / "ledger.xlsx"
    wb.save(ledger)
    return parcels, ledger


@pytest.mark.parametrize("ledger_as", ["ledger=", "input"])
def test_layer_joined_to_ledger_workbook(tmp_path, ledger_as):
    parcels_path, ledger_path = _join_inputs(tmp_path)
    if ledger_as == "ledger=":
        loaded = load_inputs([parcels_path], ledger=[ledger_path])
    else:
        loaded = load_inputs([parcels_path, ledger_path])

    # layer: P1, P2 matched; P4 (its ledger row rejected) and P9 (no ledger row) rejected
    # ledger: P1, P2, P3 analysed; P4 rejected (not industrial)
    assert loaded.accounting == {"layer": (4, 2, 2), "ledger": (4, 3, 1)}
    assert_nothing_lost(loaded)
    assert len(loaded.parcels) == 3

    parcels = loaded.parcels.set_index("parcel_id")
    assert parcels.loc["P1", "geometry"].equals(box(0, 0, 200, 100))
    assert parcels.loc["P1", "geometry_area_ha"] == pytest.approx(2.0, rel=1e-12)
    assert parcels.loc["P2", "geometry_area_ha"] == pytest.approx(1.0, rel=1e-12)
    assert parcels.loc["P1", "land_price_wan"] == 1000.0  # from the ledger
    assert parcels.loc["P1", "source_file"] == "ledger.xlsx"
    assert parcels.loc["P1", "source_row"] == 3  # Excel row, below the title and header

    assert parcels.loc["P3", "geometry"] is None
    assert parcels.loc["P3", "area_ha"] == 3.0
    said = report_rows(loaded, file="ledger.xlsx", row=5)
    assert said["value"].tolist() == ["P3"]
    assert said["action"].iloc[0] == "analysed with the declared area"

    p9 = reject_of(loaded, parcel_id="P9")
    assert p9["input_kind"].tolist() == ["layer"]
    assert p9["source_file"].iloc[0] == "parcels.gpkg"
    assert "no ledger row" in p9["reason"].iloc[0]
    p4 = reject_of(loaded, parcel_id="P4").set_index("input_kind")
    assert "not industrial" in p4.loc["ledger", "reason"]
    assert "its ledger rows were rejected" in p4.loc["layer", "reason"]

    results = run_analysis([parcels_path], ledger=[ledger_path], rules=load_rules())
    sources = dict(zip(results.parcels["parcel_id"], results.parcels["area_source"], strict=True))
    assert sources == {"P1": "geometry", "P2": "geometry", "P3": "declared"}


# --------------------------------------------------------------------------------------------
# Park boundaries

PARKS = {"name": ["甲园区", "乙园区"], "label": ["A区", "B区"]}
PARK_GEOMS = [box(0, 0, 1000, 1000), box(2000, 0, 1000, 1000)]  # 1 km² = 100 ha each


def write_park_parcels(folder: Path) -> Path:
    path = folder / "parcels.gpkg"
    layer(
        {
            "宗地编号": ["P1", "P2", "P3", "P4"],
            "园区": [None, "给定园区", None, None],
            "土地用途": ["工业用地"] * 4,
        },
        [
            box(100, 100, 200, 100),  # in 甲园区
            box(400, 100, 100, 100),  # in 甲园区, but has its own park name
            box(5000, 0, 100, 100),  # outside every park
            box(2100, 100, 100, 100),  # in 乙园区
        ],
    ).to_file(path, engine="pyogrio")
    return path


@pytest.fixture
def park_parcels(tmp_path) -> Path:
    return write_park_parcels(tmp_path)


def write_parks(folder: Path, kind: str, fields: dict | None = None) -> Path:
    parks = layer(fields if fields is not None else PARKS, PARK_GEOMS)
    if kind == "geojson-4490":
        path = folder / "parks.geojson"
        pyogrio.write_dataframe(parks.to_crs("EPSG:4490"), path)
    else:
        path = folder / "parks.gpkg"
        pyogrio.write_dataframe(parks, path)
    return path


@pytest.mark.parametrize("kind", ["gpkg", "geojson-4490"])
def test_parks_fill_empty_park_names_by_location(tmp_path, park_parcels, kind):
    parks_path = write_parks(tmp_path, kind)

    loaded = load_inputs([park_parcels], parks=parks_path)

    assert loaded.accounting == {"layer": (4, 4, 0)}
    assert_nothing_lost(loaded)
    parks = dict(zip(loaded.parcels["parcel_id"], loaded.parcels["park"], strict=True))
    assert parks["P1"] == "甲园区"
    assert parks["P2"] == "给定园区"  # given: left alone
    assert pd.isna(parks["P3"])
    assert parks["P4"] == "乙园区"
    outside = report_rows(loaded, file="parcels.gpkg", column="park")
    assert outside["row"].tolist() == [3]
    assert "outside every park" in outside["problem"].iloc[0]

    assert loaded.parks["park"].tolist() == ["甲园区", "乙园区"]
    assert loaded.parks["area_ha"].tolist() == pytest.approx([100.0, 100.0], rel=1e-6)
    assert loaded.parks.crs.to_epsg() == 4529


def test_park_name_field_chooses_another_field(tmp_path, park_parcels):
    loaded = load_inputs(
        [park_parcels], parks=write_parks(tmp_path, "gpkg"), park_name_field="label"
    )

    assert_nothing_lost(loaded)
    parks = dict(zip(loaded.parcels["parcel_id"], loaded.parcels["park"], strict=True))
    assert (parks["P1"], parks["P2"], parks["P4"]) == ("A区", "给定园区", "B区")
    assert pd.isna(parks["P3"])


@pytest.mark.parametrize("name_field", [None, "园区名"])
def test_missing_park_name_field_lists_the_fields(tmp_path, park_parcels, name_field):
    parks_path = write_parks(tmp_path, "gpkg", {"mc": PARKS["name"], "label": PARKS["label"]})

    with pytest.raises(InputError) as err:
        load_inputs([park_parcels], parks=parks_path, park_name_field=name_field)
    message = str(err.value)
    assert "parks.gpkg" in message
    assert "mc" in message
    assert "label" in message
    assert "--park-name-field" in message


def test_missing_park_name_field_lists_only_the_files_fields(tmp_path, park_parcels):
    parks_path = write_parks(tmp_path, "gpkg", {"mc": PARKS["name"], "label": PARKS["label"]})

    with pytest.raises(InputError) as err:
        load_inputs([park_parcels], parks=parks_path)
    assert "Its fields are: mc, label." in str(err.value)


# --------------------------------------------------------------------------------------------
# Writing the results


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    # P3 becomes a reject (not industrial): the outputs then hold parcels and rejects
    frame = gpd.read_file(write_park_parcels(folder), engine="pyogrio")
    frame.loc[frame["宗地编号"] == "P3", "土地用途"] = "其他商服用地"
    frame["约定开工时间"] = "2020-01-01"
    path = folder / "analysed.gpkg"
    frame.to_file(path, engine="pyogrio")
    out = run_analysis(
        [path], rules=load_rules(), as_of="2024-06-30", parks=write_parks(folder, "gpkg")
    )
    assert out.loaded.accounting == {"layer": (4, 3, 1)}
    assert_nothing_lost(out.loaded)
    return out


def test_write_gpkg(tmp_path, results):
    out = tmp_path / "out" / "results.gpkg"
    out.parent.mkdir()

    assert write_results(results, out) == [out, out.with_suffix(".qml"), out.with_suffix(".sld")]

    layers = {str(name) for name, _ in pyogrio.list_layers(out)}
    assert layers == {"parcels", "rejects", "summary", "parks", "layer_styles"}
    assert len(pyogrio.read_dataframe(out, layer="parcels")) == 3
    rejects = pyogrio.read_dataframe(out, layer="rejects")
    assert rejects["parcel_id"].tolist() == ["P3"]
    assert len(pyogrio.read_dataframe(out, layer="parks")) == 2


def test_write_parquet(tmp_path, results):
    out = tmp_path / "results.parquet"

    files = write_results(results, out)

    assert files == [out, tmp_path / "results_rejects.parquet"]
    parcels = gpd.read_parquet(out)
    assert sorted(parcels["parcel_id"]) == ["P1", "P2", "P4"]
    assert parcels.crs.to_epsg() == 4529
    assert pd.read_parquet(files[1])["parcel_id"].tolist() == ["P3"]


def test_write_csv(tmp_path, results):
    out = tmp_path / "results.csv"

    files = write_results(results, out)

    assert files == [out, tmp_path / "results_rejects.csv"]
    parcels = pd.read_csv(out, encoding="utf-8-sig")
    assert sorted(parcels["parcel_id"]) == ["P1", "P2", "P4"]
    assert "geometry" not in parcels.columns
    rejects = pd.read_csv(files[1], encoding="utf-8-sig")
    assert "reason" in rejects.columns
    assert rejects["parcel_id"].tolist() == ["P3"]
    assert "其他商服用地" in rejects["reason"].iloc[0]


def test_write_xlsx(tmp_path, results):
    out = tmp_path / "results.xlsx"

    assert write_results(results, out) == [out]

    wb = openpyxl.load_workbook(out, read_only=True)
    try:
        assert len(wb.sheetnames) > 1
    finally:
        wb.close()


@pytest.mark.parametrize("name", ["results.shp", "results", "results.xls"])
def test_write_refuses_an_unknown_extension(tmp_path, results, name):
    with pytest.raises(InputError, match=r"\.gpkg"):
        write_results(results, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_write_refuses_a_missing_folder(tmp_path, results):
    with pytest.raises(InputError, match="does not exist"):
        write_results(results, tmp_path / "nowhere" / "results.gpkg")


# --------------------------------------------------------------------------------------------
# Dates that a date column cannot hold, or that are implausible


def test_excel_date_2500_is_reported_missing_and_earns_nothing(tmp_path):
    """The tester's case: 2500-06-20 typed for a start date. As nanoseconds it wrapped to
    1915-12-01 and earned 40,208 late days; it must be reported, missing, and earn nothing."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["宗地编号", "土地用途", "面积(公顷)", "成交价格(万元)", "约定开工时间"])  # row 1
    ws.append(["E1", "工业用地", 2.0, 1000, dt.datetime(2500, 6, 20)])  # row 2
    ws.append(["E2", "工业用地", 2.0, 1000, dt.datetime(2015, 6, 20)])  # row 3
    path = tmp_path / "ledger.xlsx"
    wb.save(path)

    results = run_analysis([path], rules=load_rules(), as_of="2017-06-30")

    loaded = results.loaded
    assert loaded.accounting == {"ledger": (2, 2, 0)}
    assert_nothing_lost(loaded)
    said = report_rows(loaded, file="ledger.xlsx", row=2, column="约定开工时间")
    assert said["value"].tolist() == ["2500-06-20"]  # a date cell, as Excel shows it
    assert "implausible date" in said["problem"].iloc[0]
    assert said["action"].iloc[0] == "treated as missing"

    got = results.parcels.set_index("parcel_id")
    e1 = got.loc["E1"]
    assert pd.isna(e1["agreed_start_date"])
    assert pd.isna(e1["start_due_date"])
    assert pd.isna(e1["late_start_days"])  # no due date: no late days at all
    assert pd.isna(e1["late_start_wan"])
    assert pd.isna(e1["idle_fee_wan"])  # a rule whose inputs are missing yields null
    assert pd.isna(e1["idle_stage"])
    assert e1["total_penalty_wan"] == 0.0  # nulls skipped (RULES.md section 5)
    # no start due at all: 资料不全, never 按期推进; the row says why
    assert e1["status"] == "insufficient_data"
    assert e1["start_due_basis"] == "none"
    assert e1["data_issues"] == "start_due_unknown;date_implausible"
    # E2, the same parcel with a real date, as a check that amounts are computed at all:
    # 2015-06-20 -> 2017-06-30 is 366 + 365 + 10 = 741 days late; the fee accrues until the
    # recovery date 2017-06-20 (default cap): 366 + 365 = 731 days; 1000 万元 × 1‰ × 731 = 731
    # 万元; two years passed (2017-06-20 <= 2017-06-30): idle fee 20 % × 1000 = 200 万元
    e2 = got.loc["E2"]
    assert e2["late_start_days"] == 741
    assert e2["late_start_wan"] == pytest.approx(731.0)
    assert e2["idle_fee_wan"] == pytest.approx(200.0)
    assert e2["total_penalty_wan"] == pytest.approx(931.0)
    # unverified (no start evidence): 931 would apply, none of it is confirmed
    assert e2["potential_penalty_wan"] == pytest.approx(931.0)
    assert e2["confirmed_penalty_wan"] == 0.0


def test_date_limits_come_from_the_rules_file(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "宗地编号,土地用途,约定开工时间\nD1,工业用地,1970-01-01\nD2,工业用地,2030-01-01\n",
        encoding="utf-8",
    )
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text("[dates]\nearliest = 1980-01-01\nlatest = 2025-12-31\n", "utf-8")

    loaded = load_inputs([path], dates=load_rules(rules_path).dates)

    assert loaded.parcels["agreed_start_date"].isna().all()
    said = report_rows(loaded, file="ledger.csv", column="约定开工时间")
    assert said["row"].tolist() == [2, 3]
    assert "before 1980-01-01 or after 2025-12-31" in said["problem"].iloc[0]
    # the default limits keep both
    assert load_inputs([path]).parcels["agreed_start_date"].notna().all()


# --------------------------------------------------------------------------------------------
# Impossible numbers


def test_impossible_numbers_are_missing_reported_and_never_give_negative_amounts(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text(
        "宗地编号,土地用途,面积(公顷),成交价格(万元),已缴价款,价款缴纳期限,约定开工时间,"
        "开工违约金比例(‰),约定容积率下限\n"
        "N1,工业用地,-3,-3,,,2016-06-30,,\n"  # line 2
        "N2,工业用地,1e308,inf,-100,2017-01-01,2016-06-30,-1,-0.5\n"  # line 3
        "N3,工业用地,0,1000,400,2017-05-31,2016-06-30,2,1.2\n",  # line 4
        encoding="utf-8",
    )

    results = run_analysis([path], rules=load_rules(), as_of="2017-06-30")

    loaded = results.loaded
    assert loaded.accounting == {"ledger": (3, 3, 0)}  # no row rejected for a number
    assert_nothing_lost(loaded)
    table = loaded.report.entries()
    flagged = table[table["action"] == "treated as missing"]
    assert sorted(zip(flagged["row"], flagged["column"], flagged["value"], strict=True)) == [
        (2, "成交价格(万元)", "-3"),
        (2, "面积(公顷)", "-3"),
        (3, "已缴价款", "-100"),
        (3, "开工违约金比例(‰)", "-1"),
        (3, "成交价格(万元)", "inf"),
        (3, "约定容积率下限", "-0.5"),
        (3, "面积(公顷)", "1e308"),
        (4, "面积(公顷)", "0"),
    ]
    got = results.parcels.set_index("parcel_id")
    for column in ("area_ha", "land_price_wan"):
        assert got.loc[["N1", "N2"], column].isna().all()
    assert got.loc["N2", ["price_paid_wan", "late_start_rate_permille", "far_min"]].isna().all()
    assert pd.isna(got.loc["N3", "area_ha"])
    assert pd.isna(got.loc["N3", "intensity_wan_per_ha"])  # nothing per hectare without area
    # N3: 2016-06-30 -> 2017-06-30 is 365 days at its own 2‰: 1000 × 2/1000 × 365 = 730 万元;
    # one year passed: idle fee 200 万元; late payment (1000 - 400) × 1‰ × 30 days = 18 万元
    assert got.loc["N3", "late_start_wan"] == pytest.approx(730.0)
    assert got.loc["N3", "idle_fee_wan"] == pytest.approx(200.0)
    assert got.loc["N3", "late_payment_wan"] == pytest.approx(18.0)
    assert got.loc["N3", "total_penalty_wan"] == pytest.approx(948.0)
    for column in (*AMOUNT_COLUMNS, "total_penalty_wan"):
        values = results.parcels[column].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        assert np.isfinite(present).all(), column
        assert (present >= 0).all(), column


def test_every_number_column_has_a_plausible_range():
    assert set(PLAUSIBLE_RANGES) == set(NUMBER_COLUMNS)


# --------------------------------------------------------------------------------------------
# Several parcel layers in one file


def test_zip_with_two_parcel_shapefiles_is_read_whole_and_joined(tmp_path):
    """The tester's case: a zip of two shapefiles, 4 features each; all 8 are read."""
    folder = tmp_path / "shp"
    folder.mkdir()
    for stem, first in (("north", 0), ("south", 10)):
        ids = [f"{stem[0].upper()}{i}" for i in range(1, 5)]
        frame = layer({"宗地编号": ids}, [box(300 * (first + i), 0, 200, 100) for i in range(4)])
        pyogrio.write_dataframe(frame, folder / f"{stem}.shp", encoding="GBK")
    path = tmp_path / "parcels.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    ledger_path = tmp_path / "ledger.csv"
    ledger_path.write_text(
        "宗地编号,土地用途\n" + "".join(f"{k},工业用地\n" for k in ("N1", "N2", "S4", "X9")),
        encoding="utf-8",
    )

    loaded = load_inputs([path], ledger=[ledger_path])

    # layer: N1, N2, S4 matched, the other 5 have no ledger row; ledger: X9 has no parcel
    assert loaded.accounting == {"layer": (8, 3, 5), "ledger": (4, 4, 0)}
    assert_nothing_lost(loaded)
    assert loaded.per_source == {
        "parcels.zip:north": (4, 2, 2),
        "parcels.zip:south": (4, 1, 3),
        "ledger.csv": (4, 4, 0),
    }
    assert any(
        "2 parcel layers read (features: north 4, south 4)" in n for n in loaded.report.notes
    )
    rejected = loaded.rejects.set_index("parcel_id")
    assert rejected.loc["S1", "source_file"] == "parcels.zip:south"
    assert rejected.loc["S1", "source_row"] == 1
    geoms = loaded.parcels.set_index("parcel_id")["geometry_area_ha"]
    assert geoms.loc[["N1", "N2", "S4"]].tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert pd.isna(geoms.loc["X9"])

    only_south = load_inputs([path], layer="south")
    assert only_south.accounting == {"layer": (4, 4, 0)}
    assert set(only_south.parcels["source_file"]) == {"parcels.zip"}


def test_layer_option_unknown_in_a_geopackage_lists_its_layers(tmp_path):
    path = tmp_path / "parcels.gpkg"
    for name, first in (("2019", 0), ("2020", 10)):
        frame = layer({"宗地编号": [f"{name}-1"]}, [box(300 * first, 0, 200, 100)])
        pyogrio.write_dataframe(frame, path, layer=name)

    assert load_inputs([path]).accounting == {"layer": (2, 2, 0)}
    assert load_inputs([path], layer="2020").parcels["parcel_id"].tolist() == ["2020-1"]
    with pytest.raises(InputError) as err:
        load_inputs([path], layer="2021")
    message = str(err.value)
    assert "parcels.gpkg has no layer '2021'" in message
    assert "2019 (Polygon), 2020 (Polygon)" in message
    assert "--layer" in message


# --------------------------------------------------------------------------------------------
# Empty inputs, encodings


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_header_only_inputs_give_an_empty_well_formed_result(tmp_path, kind):
    header = ["宗地编号", "土地用途", "面积(公顷)", "约定开工时间"]
    path = tmp_path / f"ledger.{kind}"
    if kind == "csv":
        path.write_text(",".join(header) + "\n", encoding="utf-8")
    else:
        wb = openpyxl.Workbook()
        wb.active.append(header)
        wb.save(path)

    results = run_analysis([path], rules=load_rules(), as_of="2017-06-30")

    loaded = results.loaded
    assert loaded.accounting == {"ledger": (0, 0, 0)}
    assert loaded.per_source == {f"ledger.{kind}": (0, 0, 0)}
    assert len(results.parcels) == 0
    assert {"status", "total_penalty_wan", "source_row"} <= set(results.parcels.columns)
    assert len(results.rejects) == 0
    assert f"ledger.{kind}: header only, 0 data rows read" in loaded.report.notes
    assert any("nothing to analyse" in n for n in loaded.report.notes)


def test_a_header_only_file_among_others_adds_nothing(tmp_path):
    day1 = tmp_path / "01.csv"
    day1.write_text("宗地编号,土地用途\nA1,工业用地\n", encoding="utf-8")
    day2 = tmp_path / "02.csv"  # a day without any contract: the header only
    day2.write_text("宗地编号,土地用途\n", encoding="utf-8")

    loaded = load_inputs([day1, day2])

    assert loaded.accounting == {"ledger": (1, 1, 0)}
    assert loaded.per_source == {"01.csv": (1, 1, 0), "02.csv": (0, 0, 0)}


def test_encoding_applies_to_every_ledger(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("宗地编号,土地用途,项目名称\nG1,工业用地,纳米城\n".encode("gbk"))
    loaded = load_inputs([path], encoding="GBK")
    assert loaded.parcels["project_name"].tolist() == ["纳米城"]
    with pytest.raises(
        InputError, match=r"gbk\.csv cannot be decoded as utf-8 \(bad bytes on line 1"
    ):
        load_inputs([path], encoding="utf-8")
    with pytest.raises(InputError, match="Unknown encoding 'gbkk'"):
        load_inputs([path], encoding="gbkk")


def test_as_of_outside_the_plausible_dates_is_refused(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("宗地编号,土地用途\nA1,工业用地\n", encoding="utf-8")
    for as_of in ("2500-01-01", dt.date(1948, 12, 31)):
        with pytest.raises(InputError) as err:
            run_analysis([path], rules=load_rules(), as_of=as_of)
        assert "outside the plausible dates 1949-01-01 .. 2100-12-31" in str(err.value)
    assert len(run_analysis([path], rules=load_rules(), as_of="2100-12-31").parcels) == 1


def test_date_arithmetic_at_the_widest_limits_does_not_overflow(tmp_path):
    """With the widest limits a rules file may set (1900-01-01 .. 2200-12-31), a start
    extension of three centuries would put the completion due date past 2262, which a date
    column cannot hold: it is unknown, and nothing overflows."""
    from landuse.analysis import analyse

    rules_path = tmp_path / "rules.toml"
    rules_path.write_text("[dates]\nearliest = 1900-01-01\nlatest = 2200-12-31\n", "utf-8")
    rules = load_rules(rules_path)
    frame = pd.DataFrame(
        {
            "parcel_id": ["W1", "W2"],
            "land_price_wan": [1000.0, 1000.0],
            "agreed_start_date": pd.to_datetime(["1902-01-01", "2000-01-01"]),
            "extended_start_date": pd.to_datetime(["2200-12-31", "2001-01-01"]),
            "agreed_completion_date": pd.to_datetime(["2200-12-31", "2002-01-01"]),
            "actual_start_date": pd.to_datetime(["2200-12-31", "2000-06-01"]),
        }
    )
    out = analyse(frame, "1902-01-01", rules).set_index("parcel_id")
    # W1: shifted by 2200-12-31 - 1902-01-01 (about 299 years) from 2200-12-31: past 2262
    assert pd.isna(out.loc["W1", "completion_due_date"])
    assert out.loc["W1", "start_due_date"] == pd.Timestamp("2200-12-31")
    # W2: extended by 366 days (2000 is a leap year): completion due 2002-01-01 + 366 days
    assert out.loc["W2", "completion_due_date"] == pd.Timestamp("2003-01-02")
    # as of 1902-01-01, W2's start due date lies 98 years ahead: nothing is late
    assert out.loc["W2", "late_start_days"] == 0


# --------------------------------------------------------------------------------------------
# Null markers, regions and industries, data issues


def test_null_markers_are_missing_in_every_column_kind_and_reported_once_per_column(tmp_path):
    path = tmp_path / "markers.csv"
    path.write_text(
        "宗地编号,土地用途,项目名称,面积(公顷),成交价格(万元),约定开工时间,政府原因\n"
        "M1,工业用地,无,/,—,／,/\n"  # line 2
        "M2,工业用地,厂房,-,N/A,--,否\n"  # line 3
        "M3,工业用地,N／A,-3,1000,——,是\n"  # line 4
        "M4,工业用地,暂 无,2,不适用,2016-06-30,规划调整\n"  # line 5
        "M5,工业用地,空,2,1000,2016-06-30,—\n"  # line 6
        "M6,工业用地,仓库,2,1000,2016-06-30,无\n",  # line 7
        encoding="utf-8",
    )

    loaded = load_inputs([path])

    assert_nothing_lost(loaded)
    got = loaded.parcels.set_index("parcel_id")
    # text: 无, N／A, 暂 无 and 空 are missing; real names stay
    assert got["project_name"].isna().tolist() == [True, False, True, True, True, False]
    # numbers: / and - are missing; -3 is a number (negative, so implausible: reported apart)
    assert got["area_ha"].isna().tolist() == [True, True, True, False, False, False]
    assert got["land_price_wan"].isna().tolist() == [True, True, False, True, False, False]
    # dates: ／ -- —— are missing
    assert got["agreed_start_date"].isna().tolist() == [True, True, True, False, False, False]
    # 政府原因: / 否 — 无 mean no government cause; 是 and a written cause mean one
    assert got["gov_cause"].tolist() == [False, False, True, True, False, False]

    table = loaded.report.table()
    markers = table[table["problem"].str.startswith("空值标记")]
    # one line per column, with the count of cells
    assert sorted(markers["column"]) == sorted(
        ["项目名称", "面积(公顷)", "成交价格(万元)", "约定开工时间", "政府原因"]
    )
    count = dict(
        zip(markers["column"], markers["problem"].str.extract(r": (\d+) ")[0], strict=True)
    )
    assert count == {
        "项目名称": "4",
        "面积(公顷)": "2",
        "成交价格(万元)": "3",
        "约定开工时间": "3",
        "政府原因": "4",
    }
    assert markers["row"].isna().all()  # said once for the column, not per cell
    # the count column counts the cells too (the line is one entry)
    assert dict(zip(markers["column"], markers["count"].astype(int), strict=True)) == {
        "项目名称": 4,
        "面积(公顷)": 2,
        "成交价格(万元)": 3,
        "约定开工时间": 3,
        "政府原因": 4,
    }
    gov = markers[markers["column"] == "政府原因"]
    assert gov["action"].iloc[0] == "read as no government cause (政府原因：无)"
    # no marker is reported as an unreadable value; -3 is reported as a negative number
    assert not table["problem"].str.contains("无法识别").any()
    negative = report_rows(loaded, column="面积(公顷)", row=4)
    assert negative["value"].tolist() == ["-3"]
    assert "negative" in negative["problem"].iloc[0]


def test_regions_and_industry_codes_are_filled_when_loading(tmp_path):
    path = tmp_path / "supply.csv"
    path.write_text(
        "电子监管号,土地用途,行业分类,行业代码,面积(公顷),成交价格(万元)\n"
        "4201152016B00001,工业用地,通用设备制造业,,1,100\n"
        "4201152016B00002,工业用地,汽车制造业,,1,100\n"
        "4201152016B00003,工业用地,其它,,1,100\n"
        "4201152016B00004,工业用地,制造业,,1,100\n"
        "3714812013B00179,工业用地,制造业,,1,100\n"
        "3714812013B00180,工业用地,通用设备制造业,C2611,1,100\n"
        "9912342016B00001,工业用地,,,1,100\n",
        encoding="utf-8",
    )

    results = run_analysis([path], rules=load_rules(), as_of="2017-06-30")

    got = results.parcels.set_index("supervision_no")
    codes = got["industry_code"].astype(object).where(got["industry_code"].notna(), None)
    assert codes.tolist() == [
        "35",  # 通用设备制造业 (GB/T 4754-2002 35)
        "37",  # 汽车制造业 (2011/2017 36) → 2002 37 交通运输设备制造业
        None,  # 其它 names no industry
        None,  # 制造业 is a section
        None,
        "C2611",  # a given code is kept as written
        None,  # no 行业分类
    ]
    assert (
        got["region_label"].tolist()[:6] == ["湖北省武汉市江夏区"] * 4 + ["山东省德州市乐陵市"] * 2
    )
    assert got["county"].iloc[4] == "乐陵市"
    assert got["area_group"].tolist()[4] == "山东省德州市乐陵市"  # no park: the county
    assert pd.isna(got["region_label"].iloc[6])
    issues = got["data_issues"].astype(object).where(got["data_issues"].notna(), "")
    assert ["industry_unmatched" in text for text in issues] == [
        False, False, False, True, True, False, False,
    ]  # fmt: skip
    assert "region_unknown" in issues.iloc[6]

    table = results.loaded.report.table()
    unmatched = table[table["code"] == "industry_unmatched"]
    # one line per name, with its row count; 其它 is not among them (it names no industry)
    assert unmatched["value"].tolist() == ["制造业"]
    assert ": 2 行" in unmatched["problem"].iloc[0]
    # and one line for the issue kind, with the rows
    kind = table[table["problem"].str.contains("(industry_unmatched)", regex=False)]
    assert kind["value"].tolist() == ["supply.csv:5, supply.csv:6"]
    regions = table[table["problem"].str.startswith("电子监管号无法确定行政区")]
    assert len(regions) == 1
    assert regions["value"].iloc[0] == "supply.csv:8"


def test_each_industry_name_without_a_code_is_one_line_with_its_rows(tmp_path):
    path = tmp_path / "supply.csv"
    rows = [
        ("制造业", 3),  # a section: no code
        ("其它", 2),  # names no industry
        ("批发和零售业", 1),  # a section
        ("通用设备制造业", 1),  # 35
        ("其他", 1),
    ]
    names = [name for name, n in rows for _ in range(n)]
    path.write_text(
        "电子监管号,土地用途,行业分类,面积(公顷),成交价格(万元)\n"
        + "".join(f"4201152016B{i:05d},工业用地,{name},1,100\n" for i, name in enumerate(names)),
        encoding="utf-8",
    )

    table = load_inputs([path]).report.table()

    unmatched = table[table["code"] == "industry_unmatched"]
    assert unmatched[["value", "count"]].values.tolist() == [["制造业", 3], ["批发和零售业", 1]]
    kind = table[table["code"] == "data_issue_industry_unmatched"]
    assert kind["count"].tolist() == [4]
    placeholder = table[table["code"] == "industry_placeholder"]
    assert placeholder[["value", "count"]].values.tolist() == [["其它 ×2，其他 ×1", 3]]
    assert placeholder["severity"].tolist() == ["info"]


def test_data_issues_are_reported_once_per_kind_with_the_first_rows(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "宗地编号,土地用途,合同签订日期,约定开工时间,约定交地时间,面积(公顷),成交价格(万元)\n"
        "Q1,工业用地,2013-06-01,2007-06-01,2013-09-01,1,1000\n"  # line 2
        "Q2,工业用地,2013-06-01,2007-06-01,,1,1000\n"  # line 3
        "Q3,工业用地,2013-06-01,2014-06-01,,1,1000\n",  # line 4
        encoding="utf-8",
    )

    loaded = load_inputs([path])

    table = loaded.report.table()
    early = table[table["problem"].str.contains("(agreed_start_before_contract)", regex=False)]
    assert len(early) == 1
    assert ": 2 行" in early["problem"].iloc[0]
    assert early["count"].tolist() == [2]  # rows, not the one line that says so
    assert early["value"].iloc[0] == "ledger.csv:2, ledger.csv:3"
    unknown = table[table["problem"].str.contains("(start_due_unknown)", regex=False)]
    assert unknown["value"].tolist() == ["ledger.csv:3"]
    assert "insufficient_data" in unknown["action"].iloc[0]


def test_date_issues_of_a_layer_reach_the_ledger_rows_it_is_joined_to(tmp_path):
    parcels = tmp_path / "parcels.gpkg"
    layer(
        {"宗地编号": ["J1", "J2"], "约定交地时间": ["2500-01-01", "2019-01-01"]},
        [box(0, 0, 100, 100), box(500, 0, 100, 100)],
    ).to_file(parcels, engine="pyogrio")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "宗地编号,土地用途,约定开工时间,成交价格(万元)\nJ1,工业用地,2020-01-01,100\n"
        "J2,工业用地,3020-01-01,100\n",
        encoding="utf-8",
    )

    loaded = load_inputs([parcels], ledger=[ledger])

    got = loaded.parcels.set_index("parcel_id")
    # J1: the layer's delivery date 2500-01-01 is implausible; J2: the ledger's start 3020
    assert got["data_issues"].to_dict() == {"J1": "date_implausible", "J2": "date_implausible"}
    assert pd.isna(got.loc["J1", "agreed_delivery_date"])
    assert pd.isna(got.loc["J2", "agreed_start_date"])
    # the layer fills what the ledger leaves empty: J2's agreed delivery, its start due basis
    assert got.loc["J2", "agreed_delivery_date"] == pd.Timestamp("2019-01-01")
