"""QGIS hand-off of the GeoPackage output (landuse/styles.py): the status style as QML and SLD,
the default style and the Chinese aliases inside the GeoPackage, and its version.

The GeoPackage is the sample park's, written by ``landuse.outputs.write_gpkg`` with the
GeoPackage version option passed on the first layer (as the writer is to pass it), then styled.

The last tests open it with the QGIS and GDAL of Debian's ``python3-qgis`` (QGIS 3.22 on Debian
12), run by the system Python in a subprocess. Without PyQGIS they are skipped, except under
CI (``CI`` set), where they fail: CI installs it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

import maps.palette
from landuse import outputs, styles
from landuse.palette import STATUS_COLOURS
from landuse.pipeline import Results, run_analysis, write_results
from landuse.rules_file import load_rules
from landuse.styles import (
    StatusClass,
    qml,
    sld,
    style_geopackage,
    write_style_files,
)

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_OF = dt.date(2025, 12, 31)
SYSTEM_PYTHON = "/usr/bin/python3"

SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
SLD = "{http://www.opengis.net/sld}"

# Written out by hand from RULES.md (status order and names) and the map's palette.
STATUS_CODES = [
    "recovery",
    "idle_fee",
    "gov_delay",
    "late_start",
    "unverified",
    "late_completion",
    "below_threshold",
    "insufficient_data",
    "on_track",
    "compliant",
]
STATUS_LABELS = [
    "拟收回",
    "闲置满一年",
    "政府原因闲置",
    "逾期未开工",
    "待核查",
    "逾期未竣工",
    "投资强度不达标",
    "资料不全",
    "按期推进",
    "已竣工达标",
]
# label -> (#rrggbb, QGIS "r,g,b,a")
SOME_COLOURS = {
    "拟收回": ("#882255", "136,34,85,255"),
    "待核查": ("#dddddd", "221,221,221,255"),
    "逾期未开工": ("#ddcc77", "221,204,119,255"),
    "已竣工达标": ("#117733", "17,119,51,255"),
}
GPKG_1_2 = (0x47504B47, 10200)  # application_id "GPKG", user_version 1.2.0


# ------------------------------------------------------------------------------ fixtures


def write_results_gpkg(path: Path, results: Results) -> Path:
    """The results as ``landuse analyse --out x.gpkg`` writes them: layers with the style in
    the file, and the style files beside it."""
    written = write_results(results, path)
    assert written == [path, path.with_suffix(".qml"), path.with_suffix(".sld")]
    return path


@pytest.fixture(scope="module")
def results(sample_park: Results) -> Results:
    assert sample_park.as_of.date() == AS_OF
    return sample_park


@pytest.fixture(scope="module")
def gpkg(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results_gpkg(tmp_path_factory.mktemp("styled") / "results.gpkg", results)


def _query(path: Path, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


def _qml_root(text: str) -> ET.Element:
    return ET.fromstring(text)


def _sld_status_rules(text: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    return [r for r in root.iter(f"{SE}Rule") if r.find(f"{OGC}Filter") is not None]


# ------------------------------------------------------------------------------ palette


def test_map_and_style_share_one_palette():
    assert maps.palette.STATUS_COLOURS is STATUS_COLOURS
    assert maps.palette.status_colour("recovery") == "#882255"
    assert maps.palette.status_colour("compliant") == "#117733"
    assert maps.palette.status_colour("unverified") == "#DDDDDD"
    assert maps.palette.status_colour("no such status") == "#777777"
    assert maps.palette.PARCEL_STROKE == "#333333"
    assert maps.palette.PARK_STROKE == "#222222"
    assert list(maps.palette.STATUS_KEYS) == [*STATUS_CODES, "other"]


# ------------------------------------------------------------------------------ QML


def test_qml_has_one_category_per_status_with_the_palette_and_chinese_names():
    root = _qml_root(qml())
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "status"
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == STATUS_CODES
    assert [c.get("label") for c in categories] == STATUS_LABELS
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    assert len(symbols) == len(STATUS_CODES)
    for category in categories:
        layer = symbols[category.get("symbol")].find("layer")
        assert layer is not None and layer.get("class") == "SimpleFill"
        props = {o.get("name"): o.get("value") for o in layer.findall("Option/Option")}
        assert props["outline_color"] == "51,51,51,255"
        assert props["outline_width"] == "0.2"
        assert props["outline_width_unit"] == "MM"
        if category.get("label") in SOME_COLOURS:
            assert props["color"] == SOME_COLOURS[category.get("label")][1]


def test_qml_labels_parcel_ids_from_1_to_5000_on():
    root = _qml_root(qml())
    assert root.get("labelsEnabled") == "1"
    settings = root.find("labeling/settings")
    assert settings is not None
    assert settings.find("text-style").get("fieldName") == "parcel_id"
    assert settings.find("text-style").get("fontWeight") == "50"
    assert settings.find("placement").get("fitInPolygonOnly") == "1"
    rendering = settings.find("rendering")
    assert rendering.get("scaleVisibility") == "1"
    assert rendering.get("scaleMax") == "5000"


def test_qml_carries_the_chinese_aliases():
    aliases = {a.get("field"): a.get("name") for a in _qml_root(qml()).iter("alias")}
    assert aliases["area_ha"] == "面积(公顷)"
    assert aliases["status"] == "状态代码"
    assert aliases["status_zh"] == "状态"
    assert aliases["parcel_id"] == "宗地编号"
    assert aliases["total_penalty_wan"] == "合计金额(万元)"
    only = {a.get("field") for a in _qml_root(qml(["fid", "area_ha", "x"])).iter("alias")}
    assert only == {"area_ha"}


def test_xml_text_is_escaped(monkeypatch: pytest.MonkeyPatch):
    odd = StatusClass(code="a'b\"<c>&", label='<拟收回> & "x"', colour="#010203")
    monkeypatch.setattr(styles, "status_classes", lambda: (odd,))
    category = _qml_root(qml()).find("renderer-v2/categories/category")
    assert (category.get("value"), category.get("label")) == (odd.code, odd.label)
    (rule,) = _sld_status_rules(sld())
    assert rule.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}Literal").text == odd.code
    assert rule.find(f"{SE}Description/{SE}Title").text == odd.label


# ------------------------------------------------------------------------------ SLD


def test_sld_has_one_rule_per_status_filtered_on_status():
    root = ET.fromstring(sld())
    assert root.tag == f"{SLD}StyledLayerDescriptor"
    assert root.get("version") == "1.1.0"
    assert root.find(f"{SLD}NamedLayer/{SE}Name").text == "parcels"
    rules = _sld_status_rules(sld())
    assert [r.find(f"{SE}Name").text for r in rules] == STATUS_CODES
    assert [r.find(f"{SE}Description/{SE}Title").text for r in rules] == STATUS_LABELS
    for rule in rules:
        condition = rule.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo")
        assert condition is not None and len(condition) == 2
        assert condition.find(f"{OGC}PropertyName").text == "status"
        assert condition.find(f"{OGC}Literal").text == rule.find(f"{SE}Name").text
        fills = rule.findall(f"{SE}PolygonSymbolizer/{SE}Fill/{SE}SvgParameter")
        strokes = rule.findall(f"{SE}PolygonSymbolizer/{SE}Stroke/{SE}SvgParameter")
        fill = {p.get("name"): p.text for p in fills}["fill"]
        stroke = {p.get("name"): p.text for p in strokes}
        label = rule.find(f"{SE}Description/{SE}Title").text
        if label in SOME_COLOURS:
            assert fill == SOME_COLOURS[label][0]
        assert stroke["stroke"] == "#333333"
        assert stroke["stroke-width"] == "1"


def test_sld_labels_parcel_ids_from_1_to_5000_on():
    root = ET.fromstring(sld())
    (rule,) = [r for r in root.iter(f"{SE}Rule") if r.find(f"{SE}TextSymbolizer") is not None]
    assert rule.find(f"{SE}MaxScaleDenominator").text == "5000"
    label = rule.find(f"{SE}TextSymbolizer/{SE}Label/{OGC}PropertyName")
    assert label.text == "parcel_id"


# ------------------------------------------------------------------------------ style files


def test_style_files_beside_the_output(tmp_path: Path):
    out = tmp_path / "园区结果.gpkg"
    written = write_style_files(out)
    assert written == [tmp_path / "园区结果.qml", tmp_path / "园区结果.sld"]
    assert written[0].read_text(encoding="utf-8") == qml()
    assert written[1].read_text(encoding="utf-8") == sld()
    assert not out.exists()


def test_style_files_to_temporary_names(tmp_path: Path):
    out = tmp_path / "results.gpkg"
    temp_qml, temp_sld = tmp_path / ".results.qml.tmp", tmp_path / ".results.sld.tmp"
    written = write_style_files(out, qml_to=temp_qml, sld_to=temp_sld)
    assert written == [tmp_path / "results.qml", tmp_path / "results.sld"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".results.qml.tmp", ".results.sld.tmp"]
    assert "categorizedSymbol" in temp_qml.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ GeoPackage


def test_geopackage_is_version_1_2(gpkg: Path):
    with closing(sqlite3.connect(gpkg)) as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
    assert (application_id, user_version) == GPKG_1_2


def test_default_style_of_the_parcels_in_layer_styles(gpkg: Path):
    rows = _query(
        gpkg,
        "SELECT f_table_catalog, f_table_schema, f_geometry_column, styleName, styleQML, "
        "styleSLD, useAsDefault, description FROM layer_styles WHERE f_table_name = 'parcels'",
    )
    assert len(rows) == 1
    catalog, schema, geometry_column, name, style_qml, style_sld, default, description = rows[0]
    assert (catalog, schema, name, default) == ("", "", "parcels", 1)
    # QGIS finds a layer's style by its geometry column
    assert [(geometry_column,)] == _query(
        gpkg, "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'parcels'"
    )
    categories = _qml_root(style_qml).findall("renderer-v2/categories/category")
    assert [c.get("label") for c in categories] == STATUS_LABELS
    assert len(_sld_status_rules(style_sld)) == len(STATUS_CODES)
    assert description == "按宗地状态分类着色（landuse）"
    # registered as a table of the GeoPackage, the way QGIS (through GDAL) registers it
    assert _query(
        gpkg, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
    ) == [("attributes",)]


def test_every_other_table_has_a_default_style_with_its_aliases(gpkg: Path):
    rows = _query(
        gpkg,
        "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles "
        "ORDER BY f_table_name",
    )
    assert [r[0] for r in rows] == ["parcels", "parks", "rejects", "summary"]
    assert all(r[2] == 1 for r in rows)
    by_table = {r[0]: r for r in rows}
    assert by_table["summary"][1] == ""  # an attribute table has no geometry column
    aliases = {
        a.get("field"): a.get("name") for a in _qml_root(by_table["rejects"][3]).iter("alias")
    }
    assert aliases["reason"] == "原因"
    assert aliases["parcel_id"] == "宗地编号"
    summary = {
        a.get("field"): a.get("name") for a in _qml_root(by_table["summary"][3]).iter("alias")
    }
    assert summary["parcels"] == "宗数"
    assert _qml_root(by_table["rejects"][3]).find("renderer-v2") is None
    park_renderer = _qml_root(by_table["parks"][3]).find("renderer-v2")
    assert park_renderer is not None and park_renderer.get("type") == "singleSymbol"


def test_aliases_in_gpkg_data_columns(gpkg: Path):
    aliases = {
        (t, c): n
        for t, c, n in _query(gpkg, "SELECT table_name, column_name, name FROM gpkg_data_columns")
    }
    assert aliases[("parcels", "area_ha")] == "面积(公顷)"
    assert aliases[("parcels", "status")] == "状态代码"
    assert aliases[("parcels", "status_zh")] == "状态"
    assert aliases[("rejects", "reason")] == "原因"
    assert aliases[("summary", "parcels")] == "宗数"
    assert aliases[("parks", "park")] == "园区"
    assert ("parcels", "geom") not in aliases
    assert ("parcels", "fid") not in aliases
    extensions = _query(
        gpkg,
        "SELECT table_name, column_name, definition, scope FROM gpkg_extensions "
        "WHERE extension_name = 'gpkg_schema' ORDER BY table_name",
    )
    assert extensions == [
        (
            "gpkg_data_column_constraints",
            None,
            "http://www.geopackage.org/spec121/#extension_schema",
            "read-write",
        ),
        (
            "gpkg_data_columns",
            None,
            "http://www.geopackage.org/spec121/#extension_schema",
            "read-write",
        ),
    ]


def test_gdal_reads_the_aliases_as_alternative_names(gpkg: Path):
    with pyogrio.open_arrow(gpkg, layer="parcels", use_pyarrow=True) as (_meta, reader):
        schema = reader.schema
    assert schema.field("area_ha").metadata[b"GDAL:OGR:alternative_name"].decode() == "面积(公顷)"
    assert schema.field("status").metadata[b"GDAL:OGR:alternative_name"].decode() == "状态代码"


def test_pyogrio_reads_every_layer_as_written(gpkg: Path, results: Results):
    layers = {str(name): geometry for name, geometry in pyogrio.list_layers(gpkg)}
    assert set(layers) == {"parcels", "rejects", "summary", "parks", "layer_styles"}
    assert layers["layer_styles"] is None and layers["summary"] is None
    parcels = pyogrio.read_dataframe(gpkg, layer="parcels")
    assert len(parcels) == len(results.parcels) == 294
    assert parcels["status"].value_counts().to_dict() == (
        results.parcels["status"].value_counts().loc[lambda n: n > 0].to_dict()
    )
    assert list(parcels.columns) == outputs.output_columns(results.parcels)
    assert len(pyogrio.read_dataframe(gpkg, layer="rejects")) == len(results.rejects) == 12
    summary = pyogrio.read_dataframe(gpkg, layer="summary", read_geometry=False)
    assert len(summary) == len(results.summary)
    assert len(pyogrio.read_dataframe(gpkg, layer="parks")) == len(results.loaded.parks)
    styles_table = pyogrio.read_dataframe(gpkg, layer="layer_styles", read_geometry=False)
    assert sorted(styles_table["f_table_name"]) == ["parcels", "parks", "rejects", "summary"]


def test_styling_again_replaces_its_styles_and_keeps_the_users(gpkg: Path, tmp_path: Path):
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(gpkg.read_bytes())
    with closing(sqlite3.connect(copy)) as db, db:
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner) "
            "SELECT '', '', 'parcels', f_geometry_column, '我的样式', '<qgis/>', '', 1, 'mine', '' "
            "FROM layer_styles WHERE f_table_name = 'parcels'"
        )
    style_geopackage(copy)
    rows = _query(
        copy, "SELECT styleName, useAsDefault FROM layer_styles WHERE f_table_name = 'parcels'"
    )
    assert sorted(rows) == [("parcels", 1), ("我的样式", 0)]
    assert _query(copy, "SELECT COUNT(*) FROM layer_styles") == [(5,)]
    assert _query(
        copy, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"
    ) == [(5,)]
    assert _query(
        copy, "SELECT COUNT(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
    ) == [(2,)]
    assert _query(copy, "SELECT COUNT(*) FROM gpkg_data_columns") == _query(
        gpkg, "SELECT COUNT(*) FROM gpkg_data_columns"
    )


def test_a_geopackage_without_the_layer_is_refused(tmp_path: Path):
    path = tmp_path / "other.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), path, layer="t", driver="GPKG")
    with pytest.raises(ValueError, match="no layer 'parcels'"):
        style_geopackage(path)


# ------------------------------------------------------------------------------ QGIS and GDAL

# Run by Debian's Python with PyQGIS: opens the GeoPackage with GDAL (every layer, every
# feature, as ogrinfo -al does), validates it with GDAL's validate_gpkg, then loads layers in
# QGIS and the SLD into a parcels layer without a style. GDAL messages are recorded by a GDAL
# error handler (QGIS logs those it sees through its own handler into QgsMessageLog, which is
# recorded too). Prints one line "PROBE <json>".
PROBE = r"""
import json
import sys

from osgeo import gdal
from osgeo_utils.samples.validate_gpkg import check
from qgis.core import Qgis, QgsApplication, QgsVectorLayer

args = json.loads(sys.argv[1])
gdal_messages = []
gdal.PushErrorHandler(lambda level, number, text: gdal_messages.append([int(level), text]))
out = {"gdal_version": gdal.__version__, "layers": {}, "gdal_layers": {}}

ds = gdal.OpenEx(args["gpkg"], gdal.OF_VECTOR)
for i in range(ds.GetLayerCount()):
    layer = ds.GetLayer(i)
    out["gdal_layers"][layer.GetName()] = sum(1 for _ in layer)
ds = None
out["gdal_open_messages"], gdal_messages[:] = list(gdal_messages), []
out["validate_errors"] = [list(e) for e in check(args["gpkg"], abort_at_first_error=False,
                                                 warning_msg=False, warning_as_error=True)]
gdal_messages[:] = []

app = QgsApplication([], False)
app.initQgis()
log = []
QgsApplication.messageLog().messageReceived.connect(
    lambda text, tag, level: log.append([tag, int(level), text])
)
out["qgis_version"] = Qgis.QGIS_VERSION
for name in args["layers"]:
    layer = QgsVectorLayer(args["gpkg"] + "|layername=" + name, name, "ogr")
    info = {"valid": layer.isValid()}
    if layer.isValid():
        info["aliases"] = {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())}
        renderer = layer.renderer()
        info["renderer"] = type(renderer).__name__ if renderer is not None else None
        if hasattr(renderer, "categories"):
            info["attribute"] = renderer.classAttribute()
            info["categories"] = [
                [c.value(), c.label(), c.symbol().color().name()] for c in renderer.categories()
            ]
        info["labels"] = layer.labelsEnabled()
        if layer.labelsEnabled():
            settings = layer.labeling().settings()
            info["label_field"] = settings.fieldName
            info["label_min_scale"] = settings.minimumScale
            info["label_fits_in_parcel"] = settings.fitInPolygonOnly
            info["label_font_weight"] = settings.format().font().weight()
            info["label_colour"] = settings.format().color().name()
        info["provider_error"] = layer.dataProvider().error().message()
    out["layers"][name] = info
    del layer
if args.get("sld"):
    options = QgsVectorLayer.LayerOptions()
    options.loadDefaultStyle = False
    layer = QgsVectorLayer(args["gpkg"] + "|layername=parcels", "sld", "ogr", options)
    message, ok = layer.loadSldStyle(args["sld"])
    rules = layer.renderer().rootRule().children() if ok else []
    out["sld"] = {
        "ok": ok,
        "message": message,
        "renderer": type(layer.renderer()).__name__,
        "rules": [[r.label(), r.filterExpression(), r.symbol().color().name()] for r in rules],
        "labels": layer.labelsEnabled(),
    }
    del layer
out["qgis_gdal_messages"] = gdal_messages
out["qgis_log"] = log
print("PROBE " + json.dumps(out, ensure_ascii=False), flush=True)
gdal.PopErrorHandler()
app.exitQgis()
"""


def _pyqgis_missing() -> str | None:
    """Why PyQGIS cannot be used here, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} does not exist"
    check = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core, osgeo_utils.samples.validate_gpkg"],
        capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    if check.returncode != 0:
        return "PyQGIS is not installed (apt-get install -y python3-qgis)"
    return None


def probe(gpkg: Path, layers: list[str], sld_path: Path | None = None) -> dict[str, Any]:
    """Run :data:`PROBE` on ``gpkg``; its result, with the subprocess' stderr lines."""
    reason = _pyqgis_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    args = {"gpkg": str(gpkg), "layers": layers, "sld": str(sld_path) if sld_path else None}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(gpkg.parent)}
    run = subprocess.run(
        [SYSTEM_PYTHON, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=gpkg.parent,
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and len(lines) == 1, run.stderr
    result = json.loads(lines[0].removeprefix("PROBE "))
    result["stderr"] = [line for line in run.stderr.splitlines() if line.strip()]
    return result


@pytest.fixture(scope="module")
def in_qgis(gpkg: Path) -> dict[str, Any]:
    return probe(gpkg, ["parcels", "rejects", "summary", "parks"], gpkg.with_suffix(".sld"))


def test_gdal_opens_and_validates_it_without_a_warning(in_qgis: dict[str, Any]):
    assert in_qgis["gdal_layers"] == {
        "parcels": 294,
        "rejects": 12,
        "parks": 3,
        "summary": 29,
        "layer_styles": 4,
    }
    assert in_qgis["gdal_open_messages"] == []
    assert in_qgis["validate_errors"] == []


def test_qgis_colours_parcels_by_status(in_qgis: dict[str, Any]):
    parcels = in_qgis["layers"]["parcels"]
    assert parcels["valid"]
    assert parcels["provider_error"] == ""
    assert parcels["renderer"] == "QgsCategorizedSymbolRenderer"
    assert parcels["attribute"] == "status"
    assert [c[0] for c in parcels["categories"]] == STATUS_CODES
    assert [c[1] for c in parcels["categories"]] == STATUS_LABELS
    colours = {label: colour for _code, label, colour in parcels["categories"]}
    for label, (colour, _rgba) in SOME_COLOURS.items():
        assert colours[label] == colour
    assert parcels["labels"] is True
    assert parcels["label_field"] == "parcel_id"
    assert parcels["label_min_scale"] == 5000
    assert parcels["label_fits_in_parcel"] is True
    assert parcels["label_font_weight"] == 50  # QFont::Normal
    assert parcels["label_colour"] == "#1e1e1e"


def test_qgis_shows_the_chinese_aliases(in_qgis: dict[str, Any]):
    layers = in_qgis["layers"]
    assert layers["parcels"]["aliases"]["area_ha"] == "面积(公顷)"
    assert layers["parcels"]["aliases"]["status"] == "状态代码"
    assert layers["parcels"]["aliases"]["holder"] == "土地使用权人"
    assert layers["rejects"]["aliases"]["reason"] == "原因"
    assert layers["summary"]["aliases"]["parcels"] == "宗数"
    assert layers["parks"]["aliases"]["park"] == "园区"


def test_qgis_keeps_the_parcel_style_off_the_other_layers(in_qgis: dict[str, Any]):
    # results.qml beside results.gpkg would be applied to any layer without a style in the file
    assert in_qgis["layers"]["rejects"]["renderer"] == "QgsSingleSymbolRenderer"
    assert in_qgis["layers"]["parks"]["renderer"] == "QgsSingleSymbolRenderer"
    assert in_qgis["layers"]["summary"]["valid"]


def test_qgis_loads_it_without_a_warning(in_qgis: dict[str, Any]):
    assert in_qgis["qgis_gdal_messages"] == []
    assert [m for m in in_qgis["qgis_log"] if m[1] >= 1] == []  # Qgis.Warning and above
    assert [line for line in in_qgis["stderr"] if "XDG_RUNTIME_DIR" not in line] == []


def test_qgis_reads_the_sld(in_qgis: dict[str, Any]):
    result = in_qgis["sld"]
    assert result["ok"], result["message"]
    assert result["renderer"] == "QgsRuleBasedRenderer"
    assert [r[0] for r in result["rules"]] == STATUS_LABELS
    assert result["rules"][0][1] == "status = 'recovery'"
    assert result["rules"][0][2] == "#882255"
    assert result["labels"] is True


def test_the_version_warning_would_be_seen(in_qgis: dict[str, Any], tmp_path: Path):
    """The same probe on a GeoPackage 1.4 (what GDAL 3.7 and later write by default) records
    the warning that QGIS 3.22's GDAL gives for it, so its absence above means something."""
    major, minor = (int(p) for p in in_qgis["gdal_version"].split(".")[:2])
    if (major, minor) >= (3, 7):
        pytest.skip(f"GDAL {in_qgis['gdal_version']} reads GeoPackage 1.4 without a warning")
    path = tmp_path / "v14.gpkg"
    pyogrio.write_dataframe(
        pd.DataFrame({"status": ["recovery"]}),
        path,
        layer="parcels",
        driver="GPKG",
        dataset_options={"VERSION": "1.4"},
    )
    result = probe(path, ["parcels"])
    for phase in ("gdal_open_messages", "qgis_gdal_messages"):  # GDAL alone, then QGIS loading
        warnings = [text for _level, text in result[phase]]
        assert any("(10400, v1.4.0)" in t and "partially supported" in t for t in warnings), phase


def test_a_label_shared_by_two_columns_stays_unique(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(styles, "field_labels", lambda: {"a": "面积", "b": "面积", "c": "园区"})
    aliases = {x.get("field"): x.get("name") for x in _qml_root(qml(["a", "b", "c"])).iter("alias")}
    assert aliases == {"a": "面积", "b": "面积（b）", "c": "园区"}


# ------------------------------------------------------------------------------ ledgers alone


@pytest.fixture(scope="module")
def ledger_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results of a ledger alone (no parcel geometry, as every land-market export): the parcels
    are written as a table without a geometry column."""
    folder = tmp_path_factory.mktemp("ledger_only")
    ledger = folder / "ledger.csv"
    ledger.write_text(
        "电子监管号,土地用途,面积(公顷),成交价格(万元),合同签订日期,约定开工时间\n"
        "3714812013B00179,工业用地,2,500,2013-06-01,2014-06-01\n"
        "3714812013B00180,工业用地,3,900,2013-06-01,2016-06-01\n",
        encoding="utf-8",
    )
    inspections = folder / "inspections.csv"
    inspections.write_text(
        "电子监管号,核查日期,核查结论,核查人,备注\n3714812013B00179,2015-06-01,未开工,张三,空地\n",
        encoding="utf-8",
    )
    results = run_analysis(
        [ledger], rules=load_rules(), as_of="2015-12-31", inspections=[inspections]
    )
    return write_results_gpkg(folder / "ledger.gpkg", results)


def test_parcels_without_geometry_get_the_aliases_without_symbology(ledger_gpkg: Path):
    assert _query(ledger_gpkg, "SELECT COUNT(*) FROM gpkg_geometry_columns") == [(0,)]
    [(qml_text, sld_text, geometry_column)] = _query(
        ledger_gpkg,
        "SELECT styleQML, styleSLD, f_geometry_column FROM layer_styles "
        "WHERE f_table_name = 'parcels' AND useAsDefault",
    )
    assert geometry_column == ""
    root = _qml_root(qml_text)
    # a renderer (or labels) in a table's style makes QGIS refuse the whole style
    assert root.find("renderer-v2") is None and root.find("labeling") is None
    assert root.get("styleCategories") == "Fields"
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["area_ha"] == "面积(公顷)"
    assert aliases["status"] == "状态代码"
    assert sld_text == ""


def _data_column_names(path: Path, table: str) -> dict[str, str]:
    """Column -> alias of ``table`` in ``gpkg_data_columns``."""
    sql = "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = ?"
    return dict(_query(path, sql, table))


def test_every_column_of_every_table_has_a_chinese_alias(gpkg: Path, ledger_gpkg: Path):
    for path in (gpkg, ledger_gpkg):
        tables = [t for (t,) in _query(path, "SELECT table_name FROM gpkg_contents")]
        for table in set(tables) - {"layer_styles"}:
            columns = {c for (c,) in _query(path, "SELECT name FROM pragma_table_info(?)", table)}
            missing = columns - {"fid", "geom"} - set(_data_column_names(path, table))
            assert missing == set(), (path.name, table)
    aliases = _data_column_names(ledger_gpkg, "parcels")
    assert aliases["inspection_date"] == "核查日期"
    assert aliases["inspector"] == "核查人"
    summary = _data_column_names(ledger_gpkg, "summary")
    assert summary["area_group_kind"] == "分组类型"
    assert summary["confirmed_idle_fee_wan"] == "土地闲置费（已确认，万元）"
    assert summary["potential_late_start_wan"] == "逾期开工违约金（待核查，核实未开工时适用，万元）"


def test_qgis_shows_the_aliases_of_parcels_without_geometry(ledger_gpkg: Path):
    result = probe(ledger_gpkg, ["parcels", "rejects"])
    parcels = result["layers"]["parcels"]
    assert parcels["valid"] and parcels["provider_error"] == ""
    assert parcels["renderer"] is None  # a table: nothing to draw
    assert parcels["aliases"]["area_ha"] == "面积(公顷)"
    assert parcels["aliases"]["holder"] == "土地使用权人"
    assert parcels["aliases"]["status_zh"] == "状态"
    assert parcels["aliases"]["inspector"] == "核查人"
    assert result["qgis_gdal_messages"] == []
    assert [m for m in result["qgis_log"] if m[1] >= 1] == []
