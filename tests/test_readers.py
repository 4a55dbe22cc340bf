"""Tests of landuse.readers: encodings, delimiters, title rows, sheets, layers, bad inputs."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from landuse.readers import (
    InputError,
    RawLayer,
    RawTable,
    check_encoding,
    detect_text_encoding,
    is_layer_path,
    is_table_path,
    read_layer,
    read_layers,
    read_table,
)

REAL = Path(__file__).parents[2] / "shared" / "data" / "real"
TAIWAN_PARKS = REAL / "taiwan_parks" / "parks.shp"

# --------------------------------------------------------------------------------------------
# CSV

SIMPLIFIED = (
    "电子监管号,项目名称,土地用途,面积(公顷)\n"
    "3205062013B00001,苏州纳米城二期,工业用地,12.5\n"
    "3205062013B00002,星湖街厂房项目,工业用地,3.25\n"
)
# Headers that read the same in traditional characters, so the Big5 file has a known header.
TRADITIONAL = (
    "土地用途,土地坐落,名稱\n工業用地,臺中市西屯區工業區一路,臺中工業區\n"
    "工業用地,高雄市前鎮區成功二路,前鎮科技產業園區\n"
)


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (SIMPLIFIED, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED, "gbk", "gb18030"),
        (TRADITIONAL, "big5", "cp950"),
    ],
)
def test_csv_encodings_round_trip(tmp_path, text, encoding, expected):
    path = tmp_path / f"ledger_{encoding}.csv"
    path.write_bytes(text.encode(encoding))

    table = read_table(path)

    assert isinstance(table, RawTable)
    assert table.encoding == expected
    assert any(expected in note for note in table.notes)
    lines = text.splitlines()
    header = lines[0].split(",")
    assert list(table.frame.columns) == [*header, "source_file", "source_row"]
    assert table.frame[header].values.tolist() == [ln.split(",") for ln in lines[1:]]
    assert table.frame["source_file"].tolist() == [path.name, path.name]
    assert table.frame["source_row"].tolist() == [2, 3]
    assert table.header_row == 1
    assert table.sheet is None


def test_csv_encoding_given_and_wrong(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(SIMPLIFIED.encode("gbk"))
    assert read_table(path, encoding="gbk").frame.iloc[0]["项目名称"] == "苏州纳米城二期"
    with pytest.raises(InputError, match=r"gbk\.csv cannot be decoded as utf-8 .*line 1"):
        read_table(path, encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_title_rows_blank_lines_and_multiline_cell(tmp_path, encoding):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "XX市2024年供地台账\n"  # line 1: title
        "\n"  # line 2
        "电子监管号,项目名称,面积(公顷)\n"  # line 3: header
        "A1,项目甲,1.5\n"  # line 4
        ",,\n"  # line 5: empty row, dropped
        'A2,"跨行的\n项目名称",2\n'  # lines 6-7
        "A3,项目丙,  \n",  # line 8: blank cell -> NA
        encoding=encoding,
    )
    table = read_table(path)
    frame = table.frame

    assert table.header_row == 3
    assert frame["电子监管号"].tolist() == ["A1", "A2", "A3"]
    assert frame["source_row"].tolist() == [4, 6, 8]
    assert frame["项目名称"].iloc[1] == "跨行的\n项目名称"
    assert pd.isna(frame["面积(公顷)"].iloc[2])
    assert frame["面积(公顷)"].iloc[0] == "1.5"  # text as read, not a number


@pytest.mark.parametrize(("sep", "suffix"), [("|", ".txt"), ("\t", ".tsv"), (";", ".csv")])
def test_delimiters_are_sniffed(tmp_path, sep, suffix):
    path = tmp_path / f"results{suffix}"
    path.write_text(SIMPLIFIED.replace(",", sep), encoding="utf-8")
    table = read_table(path)
    assert table.frame["项目名称"].tolist() == ["苏州纳米城二期", "星湖街厂房项目"]
    assert table.frame["面积(公顷)"].tolist() == ["12.5", "3.25"]


def test_pipe_file_with_repeated_headers_and_long_rows(tmp_path):
    path = tmp_path / "notices.txt"
    path.write_text(
        "行政区|宗地编号|行政区|土地用途\n"
        "台州市|台土告字[2019]038号|椒江区|工业用地\n"
        "和龙市|A|B|住宅用地|extra\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert list(table.frame.columns) == [
        "行政区",
        "宗地编号",
        "行政区.1",
        "土地用途",
        "Unnamed: 5",
        "source_file",
        "source_row",
    ]
    assert table.frame["Unnamed: 5"].tolist()[1] == "extra"
    assert any("repeated column header" in n for n in table.notes)


def test_csv_without_known_headers_uses_first_row(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("\nfoo,bar\n1,2\n", encoding="utf-8")
    table = read_table(path)
    assert table.header_row == 2
    assert table.frame[["foo", "bar"]].values.tolist() == [["1", "2"]]
    assert table.frame["source_row"].tolist() == [3]
    assert any("no known column headers" in n for n in table.notes)


def test_real_supply_results_csv():
    path = REAL / "landchina_forfudan" / "landchina" / "2013" / "06" / "01.csv"
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.frame.columns[0] == "行政区"
    assert table.frame["电子监管号"].iloc[0] == "6531302013B00534"
    assert table.frame["source_row"].iloc[0] == 2


# --------------------------------------------------------------------------------------------
# XLSX


def _ledger_workbook(path: Path, *, extra_first_sheet: bool = False) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_first_sheet:
        ws.title = "说明"
        ws["A1"] = "本表由国土所填报"
        ws = wb.create_sheet("台账")
    else:
        ws.title = "台账"
    rows = {
        1: ["XX市2024年供地台账"],  # merged title
        # row 2 left blank
        3: ["电子监管号", "项目名称", "面积(公顷)", " 合同签订日期 "],
        4: ["3205062013B00001", "苏州纳米城二期", 12.5, dt.datetime(2013, 6, 20)],
        5: ["3205062013B00002", "星湖街厂房项目", 3, dt.datetime(2014, 1, 2)],
        6: [None, "   ", None, None],  # empty apart from blank text
        7: ["3205062013B00003", "  ", 7.75, "2015年03月01日"],
    }
    for r, values in rows.items():
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
    ws.merge_cells("A1:D1")
    wb.save(path)


def test_xlsx_title_and_blank_rows(tmp_path):
    path = tmp_path / "台账.xlsx"
    _ledger_workbook(path)

    table = read_table(path)
    frame = table.frame

    assert table.header_row == 3
    assert table.sheet == "台账"
    assert table.encoding is None
    assert list(frame.columns) == [
        "电子监管号",
        "项目名称",
        "面积(公顷)",
        "合同签订日期",
        "source_file",
        "source_row",
    ]
    assert frame["source_row"].tolist() == [4, 5, 7]
    assert frame["电子监管号"].tolist()[0] == "3205062013B00001"
    # Values as python-calamine gives them (a date cell as a date); a blank text cell is NA.
    assert frame["面积(公顷)"].tolist() == [12.5, 3, 7.75]
    assert frame["合同签订日期"].iloc[0] == dt.date(2013, 6, 20)
    assert frame["合同签订日期"].iloc[2] == "2015年03月01日"
    assert pd.isna(frame["项目名称"].iloc[2])
    assert frame["面积(公顷)"].dtype == object


def test_xlsx_picks_first_sheet_with_headers_or_the_named_one(tmp_path):
    path = tmp_path / "book.xlsx"
    _ledger_workbook(path, extra_first_sheet=True)

    table = read_table(path)
    assert table.sheet == "台账"
    assert len(table.frame) == 3
    assert any("'台账'" in n and "2" in n for n in table.notes)

    other = read_table(path, sheet="说明")
    assert other.sheet == "说明"
    assert other.header_row == 1

    with pytest.raises(InputError, match=r"book\.xlsx has no sheet named '汇总'.*说明, 台账"):
        read_table(path, sheet="汇总")


def test_real_park_list_xlsx():
    path = REAL / "taiwan_parks" / "park_list.xlsx"
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    table = read_table(path)
    assert len(table.frame) == 341
    assert table.frame["source_row"].iloc[0] == table.header_row + 1


# --------------------------------------------------------------------------------------------
# Bad tables


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_table(tmp_path / "nope.csv")


def test_unsupported_extension(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"report\.docx: unsupported table type '\.docx'"):
        read_table(path)


def test_damaged_xls_and_unsupported_spreadsheets(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")  # the start of an .xls, cut off
    with pytest.raises(InputError, match=r"old\.xls could not be read.*save it again as \.xlsx"):
        read_table(path)
    html_export = tmp_path / "export.xls"  # what some web systems save as "Excel"
    html_export.write_text("<html><table><tr><td>电子监管号</td></tr></table></html>", "utf-8")
    with pytest.raises(InputError, match=r"export\.xls could not be read.*web page \(HTML\)"):
        read_table(html_export)
    wps = tmp_path / "ledger.et"
    wps.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"ledger\.et: the \.et format is not supported"):
        read_table(wps)


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(InputError, match=r"broken\.xlsx could not be read as an Excel workbook"):
        read_table(path)


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv is empty"):
        read_table(path)


def test_path_kinds(tmp_path):
    assert is_table_path("a.CSV") and is_table_path("b.xlsx") and is_table_path("c.txt")
    assert is_table_path("e.xls") and is_table_path("f.XLSB") and is_table_path("g.ods")
    assert not is_table_path("d.shp") and not is_table_path("h.et")
    for name in ("a.gpkg", "b.shp", "c.zip", "d.geojson", "e.fgb", "f.parquet"):
        assert is_layer_path(name)
    assert not is_layer_path("a.csv")
    geojson = tmp_path / "parcels.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    plain = tmp_path / "codes.json"
    plain.write_text('{"0601": "工业用地"}', encoding="utf-8")
    assert is_layer_path(geojson)
    assert not is_layer_path(plain)


# --------------------------------------------------------------------------------------------
# Encoding detection


def test_detect_text_encoding():
    assert detect_text_encoding(b"abc").encoding == "utf-8"
    assert detect_text_encoding("工业".encode("utf-8-sig")).encoding == "utf-8-sig"
    assert detect_text_encoding("工业".encode("utf-16")).encoding == "utf-16"
    assert detect_text_encoding("苏州工业园区".encode("gbk")).encoding == "gb18030"
    # Big5 bytes also decode as GBK, into nonsense: the detector must still say Big5.
    big5 = "產業園區".encode("big5")
    assert big5.decode("gbk") == "玻穨堕跋"  # no error, but nonsense
    assert detect_text_encoding(big5).encoding == "cp950"
    assert detect_text_encoding("臺中工業區".encode("big5")).encoding == "cp950"


# --------------------------------------------------------------------------------------------
# Layers


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    """Two 100 m x 100 m and 200 m x 100 m parcels in CGCS2000 GK zone 41."""
    x0, y0 = 41_500_000.0, 3_500_000.0
    return gpd.GeoDataFrame(
        {
            # DBF field names hold 10 bytes: 3 Chinese characters in UTF-8.
            "编号": ["P1", "P2"],
            "名称": ["苏州纳米城", "张江高科技园区"],
            "面积": [1.0, 2.0],
        },
        geometry=[
            shapely.box(x0, y0, x0 + 100, y0 + 100),
            shapely.box(x0 + 200, y0, x0 + 400, y0 + 100),
        ],
        crs="EPSG:4529",
    )


def _check_layer(raw: RawLayer, path: Path) -> None:
    assert isinstance(raw.frame, gpd.GeoDataFrame)
    assert raw.frame["名称"].tolist() == ["苏州纳米城", "张江高科技园区"]
    assert raw.frame["source_file"].tolist() == [path.name] * 2
    assert raw.frame["source_row"].tolist() == [1, 2]
    assert raw.frame.crs.to_epsg() == 4529
    np.testing.assert_allclose(raw.frame.area.to_numpy() / 10_000, [1.0, 2.0])


@pytest.mark.parametrize(
    ("name", "driver"),
    [("parcels.gpkg", "GPKG"), ("parcels.geojson", "GeoJSON"), ("parcels.fgb", "FlatGeobuf")],
)
def test_read_layer_formats(tmp_path, parcels, name, driver):
    path = tmp_path / name
    # FlatGeobuf's spatial index would reorder the features.
    options = {"SPATIAL_INDEX": "NO"} if driver == "FlatGeobuf" else {}
    parcels.to_file(path, driver=driver, engine="pyogrio", layer_options=options)
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.encoding == "utf-8"


def test_read_geoparquet(tmp_path, parcels):
    path = tmp_path / "parcels.parquet"
    parcels.to_parquet(path)
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.layer is None


def test_plain_parquet_is_refused(tmp_path):
    path = tmp_path / "table.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(InputError, match=r"table\.parquet.*not GeoParquet"):
        read_layer(path)


def test_geopackage_layers(tmp_path, parcels):
    path = tmp_path / "two.gpkg"
    parcels.to_file(path, layer="宗地", engine="pyogrio")
    parcels.iloc[:1].to_file(path, layer="other", engine="pyogrio")

    raw = read_layer(path)
    assert raw.layer == "宗地"
    assert len(raw.frame) == 2
    assert any("2 layers" in n and "'宗地'" in n for n in raw.notes)

    assert len(read_layer(path, layer="other").frame) == 1
    with pytest.raises(
        InputError, match=r"two\.gpkg has no layer 'nope'.*宗地 \(Polygon\), other \(Polygon\)"
    ):
        read_layer(path, layer="nope")


def test_shapefile_with_cpg(tmp_path, parcels):
    path = tmp_path / "parcels.shp"
    parcels.to_file(path, engine="pyogrio", encoding="UTF-8")
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.encoding == "UTF-8"
    assert any(".cpg" in n for n in raw.notes)


def _gbk_shapefile_without_cpg(folder: Path, parcels: gpd.GeoDataFrame) -> Path:
    path = folder / "gbk.shp"
    parcels.to_file(path, engine="pyogrio", encoding="GBK")
    path.with_suffix(".cpg").unlink()
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0  # no language driver id either: GDAL alone would read Latin-1 mojibake
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    return path


def test_gbk_shapefile_without_cpg_is_detected(tmp_path, parcels):
    path = _gbk_shapefile_without_cpg(tmp_path, parcels)
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.encoding == "gb18030"
    assert any("detected" in n and "gb18030" in n for n in raw.notes)
    assert list(raw.frame.columns[:3]) == ["编号", "名称", "面积"]


def test_shapefile_with_wrong_cpg(tmp_path, parcels):
    path = _gbk_shapefile_without_cpg(tmp_path, parcels)
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.encoding == "gb18030"
    assert any("the .cpg says UTF-8, but the text is not" in n for n in raw.notes)


def test_shapefile_encoding_given(tmp_path, parcels):
    path = _gbk_shapefile_without_cpg(tmp_path, parcels)
    raw = read_layer(path, encoding="cp936")
    assert raw.encoding == "cp936"
    assert raw.frame["名称"].tolist() == ["苏州纳米城", "张江高科技园区"]


def test_zipped_shapefile(tmp_path, parcels):
    folder = tmp_path / "shp"
    folder.mkdir()
    shp = _gbk_shapefile_without_cpg(folder, parcels)
    path = tmp_path / "parcels.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, f"宗地/{part.name}")
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.layer == shp.stem
    assert raw.encoding == "gb18030"


def test_utf8_shapefile_without_cpg(tmp_path, parcels):
    path = tmp_path / "utf8.shp"
    parcels.to_file(path, engine="pyogrio", encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    raw = read_layer(path)
    _check_layer(raw, path)
    assert raw.encoding == "utf-8"


def test_zip_with_two_shapefiles_and_layer_choice(tmp_path, parcels):
    folder = tmp_path / "shp"
    folder.mkdir()
    parcels.to_file(folder / "a.shp", engine="pyogrio", encoding="UTF-8")
    parcels.iloc[:1].to_file(folder / "b.shp", engine="pyogrio", encoding="UTF-8")
    path = tmp_path / "both.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)

    first = read_layer(path)
    assert first.layer == "a" and len(first.frame) == 2
    assert any("2 layers (a, b); read 'a'" in n for n in first.notes)
    second = read_layer(path, layer="b")
    assert second.layer == "b" and len(second.frame) == 1
    with pytest.raises(
        InputError,
        match=r"both\.zip has no layer 'c'.*a \(a\.shp: Polygon\), b \(b\.shp: Polygon\)",
    ):
        read_layer(path, layer="c")
    # as parcels: neither layer has a key column (编号 is not 宗地编号), so which is meant
    # cannot be told: refused with the names and the option
    with pytest.raises(InputError, match=r"both\.zip holds 2 layers and none has a parcel key"):
        read_layers(path)
    assert [len(r.frame) for r in read_layers(path, layer="b.shp")] == [1]


def test_zip_without_layers(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match=r"docs\.zip holds no \.shp"):
        read_layer(path)


def test_gbk_geojson_is_detected(tmp_path, parcels):
    path = tmp_path / "gbk.geojson"
    path.write_bytes(parcels.to_json(ensure_ascii=False).encode("gbk"))
    raw = read_layer(path)
    assert raw.frame["名称"].tolist() == ["苏州纳米城", "张江高科技园区"]
    assert raw.encoding == "gb18030"


def test_bad_layers(tmp_path):
    with pytest.raises(InputError, match=r"gone\.gpkg: file not found"):
        read_layer(tmp_path / "gone.gpkg")
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match=r"bad\.gpkg could not be opened"):
        read_layer(bad)
    plain = tmp_path / "codes.json"
    plain.write_text('{"0601": "工业用地"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"codes\.json is JSON but not GeoJSON"):
        read_layer(plain)
    dwg = tmp_path / "plan.dwg"
    dwg.write_bytes(b"AC1032")
    with pytest.raises(InputError, match=r"plan\.dwg: unsupported layer type"):
        read_layer(dwg)


def test_real_taiwan_parks_big5_shapefile():
    if not TAIWAN_PARKS.parent.exists():
        pytest.skip(f"real data folder absent: {TAIWAN_PARKS.parent}")
    from landuse.crs import to_area_crs

    raw = read_layer(TAIWAN_PARKS)
    frame = raw.frame

    assert len(frame) == 212
    assert raw.encoding == "cp950"
    assert any("cp950" in n for n in raw.notes)
    assert frame["NAME"].iloc[0] == "臺中港科技產業園區"
    assert frame["NAME"].str.contains("工業區").sum() > 10
    assert set(frame["STAYE"]) >= {"已開發", "開發中", "已編定未開發"}
    assert frame["source_row"].iloc[-1] == 212

    projected, note = to_area_crs(frame, source=TAIWAN_PARKS.name)
    assert note is None
    assert projected.crs.to_epsg() == 3826
    area_ha = projected.geometry.iloc[0].area / 10_000
    assert frame["NN"].iloc[0] == pytest.approx(177.28)  # gazetted area
    assert 150 < area_ha < 250  # polygon area is about 206.85 ha


# --------------------------------------------------------------------------------------------
# Several layers in one file: every parcel layer is read, or the file is refused


def _keyed(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The fixture with a parcel key column (宗地编号) instead of 编号."""
    return parcels.rename(columns={"编号": "宗地编号"})


def _zip_of(tmp_path: Path, layers: dict[str, gpd.GeoDataFrame], name: str = "two.zip") -> Path:
    folder = tmp_path / "shp"
    folder.mkdir(parents=True)
    for stem, frame in layers.items():
        frame.to_file(folder / f"{stem}.shp", engine="pyogrio", encoding="GBK")
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, f"宗地/{part.name}")
    return path


def test_zip_of_two_parcel_shapefiles_is_read_whole(tmp_path, parcels):
    path = _zip_of(tmp_path, {"a": _keyed(parcels), "b": _keyed(parcels).iloc[:1]})

    raws = read_layers(path)

    assert [r.layer for r in raws] == ["a", "b"]
    assert [len(r.frame) for r in raws] == [2, 1]  # 3 features, none left out
    assert raws[0].frame["source_file"].tolist() == ["two.zip:a"] * 2
    assert raws[1].frame["source_file"].tolist() == ["two.zip:b"]
    assert raws[1].frame["source_row"].tolist() == [1]  # feature number within its layer
    assert raws[1].frame["名称"].tolist() == ["苏州纳米城"]  # GBK, from its .cpg
    assert any("2 parcel layers with the same columns" in n for n in raws[0].notes)


def test_zip_of_parcel_shapefiles_with_different_columns_is_refused(tmp_path, parcels):
    # 出让面积 is another header of area_ha: a and b name the same columns, c does not
    b = _keyed(parcels).rename(columns={"面积": "出让面积"})
    c = _keyed(parcels).drop(columns="面积")
    assert [
        len(r.frame) for r in read_layers(_zip_of(tmp_path, {"a": _keyed(parcels), "b": b}))
    ] == [2, 2]

    path = _zip_of(tmp_path / "other", {"a": _keyed(parcels), "c": c}, "ac.zip")
    with pytest.raises(InputError) as err:
        read_layers(path)
    message = str(err.value)
    assert "ac.zip holds 2 parcel layers with different columns" in message
    assert "(a: area_ha, parcel_id; c: parcel_id)" in message
    assert "--layer a" in message
    assert [r.layer for r in read_layers(path, layer="c")] == ["c"]


def test_geopackage_reads_its_parcel_layers_and_leaves_other_layers_out(tmp_path, parcels):
    path = tmp_path / "mixed.gpkg"
    _keyed(parcels).to_file(path, layer="北区", engine="pyogrio")
    _keyed(parcels).iloc[:1].to_file(path, layer="南区", engine="pyogrio")
    parcels.to_file(path, layer="园区边界", engine="pyogrio")  # polygons without a parcel key
    points = gpd.GeoDataFrame(
        {"宗地编号": ["P1"]}, geometry=[shapely.Point(41_500_050, 3_500_050)], crs="EPSG:4529"
    )
    points.to_file(path, layer="界址点", engine="pyogrio")  # a key, but points

    raws = read_layers(path)

    assert [(r.layer, len(r.frame)) for r in raws] == [("北区", 2), ("南区", 1)]
    notes = " ".join(raws[0].notes)
    assert "layer '园区边界' not read (no parcel key column" in notes
    assert "layer '界址点' not read (not polygons)" in notes
    assert [len(r.frame) for r in read_layers(path, layer="园区边界")] == [2]


def test_the_layer_option_on_a_file_of_one_layer_is_ignored_with_a_note(tmp_path, parcels):
    path = tmp_path / "one.geojson"
    parcels.to_file(path, driver="GeoJSON", engine="pyogrio")
    (raw,) = read_layers(path, layer="宗地")
    assert len(raw.frame) == 2
    assert any("--layer '宗地' does not apply" in n for n in raw.notes)


def test_encoding_is_ignored_for_utf8_formats(tmp_path, parcels):
    path = tmp_path / "parcels.gpkg"
    parcels.to_file(path, engine="pyogrio")
    (raw,) = read_layers(path, encoding="gbk")
    assert raw.frame["名称"].tolist() == ["苏州纳米城", "张江高科技园区"]  # not garbled
    assert any("UTF-8 by definition; --encoding gbk ignored" in n for n in raw.notes)


# --------------------------------------------------------------------------------------------
# Files that are not tables, encodings, formula cells


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04" + bytes(200), "a zip archive, such as an Excel .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0" + bytes(200), "an old Excel .xls"),
        (b"SQLite format 3\x00" + bytes(200), "a GeoPackage"),
        (b"%PDF-1.7\n" + b"x" * 200, "a PDF document"),
        (bytes(range(256)) * 8, "binary data"),
    ],
)
def test_binary_files_named_csv_are_not_tables(tmp_path, data, expected):
    path = tmp_path / "台账.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_table(path)
    message = str(err.value)
    assert message.startswith("台账.csv is not a table")
    assert expected in message


def test_utf16_text_is_read_when_its_encoding_is_given(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes(SIMPLIFIED.encode("utf-16-le"))
    with pytest.raises(InputError, match="--encoding utf-16-le"):
        read_table(path)
    table = read_table(path, encoding="utf-16-le")
    assert table.frame["项目名称"].tolist() == ["苏州纳米城二期", "星湖街厂房项目"]


def test_a_txt_file_is_a_table_only_with_known_headers(tmp_path):
    ledger = tmp_path / "台账.txt"
    ledger.write_text(SIMPLIFIED.replace(",", "\t"), encoding="gbk")
    assert read_table(ledger).frame["面积(公顷)"].tolist() == ["12.5", "3.25"]
    prose = tmp_path / "说明.txt"
    prose.write_text("本台账每月更新一次。\n如有疑问请联系国土所。\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(prose, require_txt_header=True)
    assert "说明.txt does not look like a table" in str(err.value)
    # a caller looking for other headers (screening's project tables) gets the rows
    assert len(read_table(prose).frame) == 1
    # the same text named .csv is read, its first row taken as the header (with a note)
    as_csv = tmp_path / "说明.csv"
    as_csv.write_text("本台账每月更新一次。\n如有疑问请联系国土所。\n", encoding="utf-8")
    assert len(read_table(as_csv).frame) == 1


def test_header_only_files_give_an_empty_frame(tmp_path):
    csv_path = tmp_path / "empty.csv"
    csv_path.write_text("电子监管号,项目名称,面积(公顷)\n", encoding="utf-8")
    table = read_table(csv_path)
    assert table.frame.empty
    assert list(table.frame.columns) == ["电子监管号", "项目名称", "面积(公顷)", *SOURCE_COLS]
    assert any("0 rows read" in n for n in table.notes)
    wb = openpyxl.Workbook()
    wb.active.append(["电子监管号", "项目名称", "面积(公顷)"])
    wb.save(tmp_path / "empty.xlsx")
    assert read_table(tmp_path / "empty.xlsx").frame.empty


SOURCE_COLS = ["source_file", "source_row"]


def test_formula_cells_without_a_value_are_listed(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["XX市供地台账"])  # row 1: a title
    ws.append(["电子监管号", "面积(亩)", "面积(公顷)"])  # row 2: the header
    ws.append(["3205062013B00001", 30, "=B3/15"])  # row 3
    ws.append(["3205062013B00002", 15, '=IF(B4>0,B4/15,"")'])  # row 4
    ws.append(["3205062013B00003", 45, 3])  # row 5: a value, no formula
    ws["D1"] = "=NOW()"  # in the title row: not data
    path = tmp_path / "formulas.xlsx"
    wb.save(path)

    table = read_table(path)

    assert table.frame["面积(公顷)"].isna().tolist() == [True, True, False]
    problems = table.cell_problems
    assert problems["row"].tolist() == [3, 4]
    assert problems["column"].tolist() == ["面积(公顷)", "面积(公顷)"]
    assert problems["value"].tolist() == ["=B3/15", '=IF(B4>0,B4/15,"")']
    assert problems["problem"].str.contains("formula without a computed value").all()


def test_a_workbook_saved_by_excel_has_no_formula_problems(tmp_path):
    # Excel stores the computed value beside the formula: <f>B2*2</f><v>4</v>
    path = tmp_path / "computed.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["电子监管号", "面积(公顷)"])
    wb.active.append(["3205062013B00001", 2])
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(
        b'<c r="B2" t="n"><v>2</v></c>', b'<c r="B2"><f>1+1</f><v>2</v></c>'
    )
    assert b"<f>1+1</f>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    table = read_table(path)
    assert table.frame["面积(公顷)"].tolist() == [2]
    assert table.cell_problems is None


@pytest.mark.parametrize(("given", "name"), [("GBK", "gbk"), ("utf8", "utf-8"), ("Big5", "big5")])
def test_check_encoding_accepts_python_names(given, name):
    assert check_encoding(given) == name


@pytest.mark.parametrize("given", ["gbkk", "rot13", "base64", ""])
def test_check_encoding_refuses_unknown_names_with_the_list(given):
    with pytest.raises(InputError) as err:
        check_encoding(given)
    assert f"Unknown encoding {given!r}" in str(err.value)
    assert "gb18030 (GBK, GB2312)" in str(err.value)
