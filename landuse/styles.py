"""QGIS hand-off of the GeoPackage output: version, default style, field aliases, style files.

- **Version.** Current GDAL writes GeoPackage 1.4 by default. The GDAL that QGIS 3.22 is
  shipped with (3.6 in Debian 12, 3.4 in Ubuntu 22.04) accepts user_version 1.2.x and 1.3.x and
  warns on a 1.4 file ("This version of GeoPackage user_version=... may only be partially
  supported"). 1.2, the version GDAL writes by default from 2.3 to 3.6, is read without a
  warning by GDAL 2.2 and later.
  :data:`GPKG_DATASET_OPTIONS` asks GDAL for 1.2 when the file is created; the version cannot
  be changed afterwards (a 1.4 file carries 1.4-only R-tree triggers).
- **Default style.** :func:`style_geopackage` stores a QGIS style in the ``layer_styles``
  table (the table QGIS itself creates when a style is saved to a GeoPackage) with
  ``useAsDefault = 1``: QGIS applies it when the layer is added. Parcels are coloured by
  ``status`` with the map's palette (:mod:`landuse.palette`) and the Chinese status names, with
  a thin outline, and labelled with ``parcel_id`` from 1:5,000 on where it fits in the parcel.
- **Aliases.** Every column with a Chinese label gets it as its alias twice: in the style
  (what QGIS 3.22 reads) and in ``gpkg_data_columns`` (the GeoPackage schema extension, read
  as the field's alternative name by current GDAL, not yet by the GDAL 3.6 of QGIS 3.22).
- **Style files.** :func:`write_style_files` writes ``<stem>.qml`` (QGIS) and ``<stem>.sld``
  (Styled Layer Descriptor 1.1.0 / Symbology Encoding 1.1, the version QGIS writes and reads
  back without loss and GeoServer reads) beside the output.

Every text that goes into XML is escaped by :mod:`xml.etree.ElementTree`; every value that goes
into SQL is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyogrio

from landuse.inspections import INSPECTION_LABELS_ZH
from landuse.palette import PARCEL_STROKE, PARK_STROKE, STATUS_COLOURS
from landuse.schema import (
    DERIVED_COLUMNS,
    INPUT_NAMES,
    OUTPUT_LABELS_ZH,
    SOURCE_FILE,
    SOURCE_ROW,
    STATUS_ORDER,
    STATUS_ZH,
)
from landuse.summary import SUMMARY_LABELS_ZH
from landuse.workbook import EXTRA_LABELS_ZH

# ------------------------------------------------------------------------------ version

#: GeoPackage version of the ``.gpkg`` output: read without a warning by QGIS 3.22.
GPKG_VERSION = "1.2"
#: Dataset creation options for the first layer written to a new ``.gpkg`` output.
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": GPKG_VERSION}
#: ``PRAGMA application_id`` of a GeoPackage 1.2 or later ("GPKG").
GPKG_APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of a GeoPackage 1.2 (major * 10000 + minor * 100).
GPKG_USER_VERSION = 10200

# ------------------------------------------------------------------------------ the style

#: The layer the status style is for, its status column and the column of its labels.
PARCELS_LAYER = "parcels"
STATUS_FIELD = "status"
LABEL_FIELD = "parcel_id"
#: Labels are drawn at this scale (1:N) and closer.
LABEL_MIN_SCALE = 5_000
#: Parcel outline width in millimetres (thin: small parcels keep their fill colour).
OUTLINE_WIDTH_MM = 0.2
#: Park boundary width in millimetres.
PARK_OUTLINE_WIDTH_MM = 0.6
#: The QGIS version whose style format is written (QGIS reads styles of this version and later).
QGIS_STYLE_VERSION = "3.22.0"
#: Columns of the parcels layer in their public order (``landuse.outputs.output_columns``).
PARCEL_COLUMNS: tuple[str, ...] = (*INPUT_NAMES, *DERIVED_COLUMNS, SOURCE_FILE, SOURCE_ROW)

STYLE_TABLE = "layer_styles"
STYLE_DESCRIPTION_ZH = "按宗地状态分类着色（landuse）"
ALIASES_DESCRIPTION_ZH = "字段中文别名（landuse）"

_QML_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SLD = "http://www.opengis.net/sld"
_SE = "http://www.opengis.net/se"
_OGC = "http://www.opengis.net/ogc"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SLD_SCHEMA = (
    "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
)
# The SLD namespace is the default one, as QGIS writes it (every SLD element is qualified).
for _prefix, _uri in (("", _SLD), ("se", _SE), ("ogc", _OGC), ("xsi", _XSI)):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class StatusClass:
    """One class of the status style: the code in ``status``, its Chinese name, its colour."""

    code: str
    label: str
    colour: str


def status_classes() -> tuple[StatusClass, ...]:
    """The classes of the status style, in the status precedence order."""
    return tuple(StatusClass(s, STATUS_ZH[s], STATUS_COLOURS[s]) for s in STATUS_ORDER)


def field_labels() -> dict[str, str]:
    """Chinese label of every column that has one (result columns, the inspection's, rejects,
    the summary table's)."""
    return {**SUMMARY_LABELS_ZH, **INSPECTION_LABELS_ZH, **OUTPUT_LABELS_ZH, **EXTRA_LABELS_ZH}


def _aliases(columns: Iterable[str]) -> list[tuple[str, str]]:
    """``(column, Chinese label)`` of the labelled ``columns``; a label that two columns of
    one table would share (GeoPackage aliases are unique per table) names its column."""
    labels = field_labels()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for column in dict.fromkeys(columns):
        if column in labels:
            label = labels[column]
            if label in seen:
                label = f"{label}（{column}）"
            seen.add(label)
            out.append((column, label))
    return out


def _rgba(colour: str) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,255``."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return ",".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    """QGIS's ``<Option type="Map">`` list of string properties (and the older ``<prop>``)."""
    option_map = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(option_map, "Option", name=key, type="QString", value=value)
    for key, value in values.items():
        ET.SubElement(parent, "prop", k=key, v=value)


def _fill_symbol(parent: ET.Element, name: str, fill: str | None, stroke: str, width_mm: float):
    symbol = ET.SubElement(
        parent, "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill"}, enabled="1", locked="0")
    layer.set("pass", "0")
    _options(
        layer,
        {
            "color": _rgba(fill) if fill else "255,255,255,0",
            "style": "solid" if fill else "no",
            "outline_color": _rgba(stroke),
            "outline_style": "solid",
            "outline_width": f"{width_mm:g}",
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_unit": "MM",
        },
    )
    return symbol


def _qml_root(categories: str, *, labels: bool = False) -> ET.Element:
    return ET.Element(
        "qgis",
        {
            "version": QGIS_STYLE_VERSION,
            "styleCategories": categories,
            "labelsEnabled": "1" if labels else "0",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
        },
    )


def _qml_aliases(root: ET.Element, columns: Iterable[str]) -> None:
    aliases = ET.SubElement(root, "aliases")
    for index, (column, label) in enumerate(_aliases(columns)):
        ET.SubElement(aliases, "alias", field=column, index=str(index), name=label)


def _qml_text(root: ET.Element) -> str:
    ET.indent(root, space=" ")
    return _QML_DOCTYPE + ET.tostring(root, encoding="unicode") + "\n"


def _qml_labeling(root: ET.Element) -> None:
    """``parcel_id`` inside each parcel it fits in (a label across two parcels would be
    ambiguous), dark grey on a white halo, from 1:5,000 on. No font family is named: QGIS uses
    the system's interface font, which shows Chinese."""
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style = ET.SubElement(
        settings,
        "text-style",
        fieldName=LABEL_FIELD,
        isExpression="0",
        fontSize="9",
        fontSizeUnit="Point",
        fontWeight="50",  # QFont::Normal (a missing weight reads as thin)
        fontItalic="0",
        fontKerning="1",
        capitalization="0",
        blendMode="0",
        textColor="30,30,30,255",
        textOpacity="1",
        multilineHeight="1",
        allowHtml="0",
    )
    ET.SubElement(
        style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.4",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="1",
        bufferJoinStyle="128",
        bufferNoFill="1",
        bufferBlendMode="0",
    )
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="3", formatNumbers="0")
    ET.SubElement(
        settings,
        "placement",
        placement="1",  # "offset from centroid": over the parcel
        centroidInside="1",
        centroidWhole="0",
        fitInPolygonOnly="1",
        quadOffset="4",
        dist="0",
        priority="5",
    )
    # scaleMax is the most zoomed-out scale with labels, scaleMin the most zoomed-in (0: none)
    ET.SubElement(
        settings,
        "rendering",
        scaleVisibility="1",
        scaleMin="0",
        scaleMax=str(LABEL_MIN_SCALE),
        drawLabels="1",
        obstacle="1",
        obstacleType="1",
        displayAll="0",
        upsidedownLabels="0",
        labelPerPart="0",
        mergeLines="0",
        limitNumLabels="0",
        maxNumLabels="2000",
    )


def qml(columns: Sequence[str] | None = None) -> str:
    """The QGIS style of the parcels layer: a categorised renderer on ``status`` with one
    category per status (Chinese name, the map's colour, a thin dark outline), labels of
    ``parcel_id`` from 1:5,000 on, and the Chinese alias of every column in ``columns`` that
    has one (default: every result column)."""
    root = _qml_root("Symbology|Labeling|Fields", labels=True)
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="categorizedSymbol",
        attr=STATUS_FIELD,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, cls in enumerate(status_classes()):
        ET.SubElement(
            categories,
            "category",
            value=cls.code,
            symbol=str(index),
            label=cls.label,
            render="true",
        )
        _fill_symbol(symbols, str(index), cls.colour, PARCEL_STROKE, OUTLINE_WIDTH_MM)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    _qml_labeling(root)
    _qml_aliases(root, PARCEL_COLUMNS if columns is None else columns)
    ET.SubElement(root, "layerGeometryType").text = "2"  # polygons
    return _qml_text(root)


def aliases_qml(columns: Sequence[str], *, parks: bool = False) -> str:
    """A style holding only the Chinese aliases of ``columns`` (the rejects and the summary
    table), or for ``parks`` also the park boundaries drawn as on the map (outline only)."""
    root = _qml_root("Symbology|Fields" if parks else "Fields")
    if parks:
        renderer = ET.SubElement(
            root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0"
        )
        symbols = ET.SubElement(renderer, "symbols")
        _fill_symbol(symbols, "0", None, PARK_STROKE, PARK_OUTLINE_WIDTH_MM)
    _qml_aliases(root, columns)
    return _qml_text(root)


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{_SE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _svg(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def sld(layer: str = PARCELS_LAYER) -> str:
    """Styled Layer Descriptor 1.1.0 of the parcels layer: one rule per status (name: the
    code, title: the Chinese name) filtered on ``status``, a fill of the map's colour with a
    thin dark outline, and a rule labelling ``parcel_id`` from 1:5,000 on."""
    root = ET.Element(
        f"{{{_SLD}}}StyledLayerDescriptor",
        {"version": "1.1.0", f"{{{_XSI}}}schemaLocation": _SLD_SCHEMA},
    )
    named = ET.SubElement(root, f"{{{_SLD}}}NamedLayer")
    _se(named, "Name", layer)
    user_style = ET.SubElement(named, f"{{{_SLD}}}UserStyle")
    _se(user_style, "Name", layer)
    _se(_se(user_style, "Description"), "Title", "宗地状态")
    feature_style = _se(user_style, "FeatureTypeStyle")
    for cls in status_classes():
        rule = _se(feature_style, "Rule")
        _se(rule, "Name", cls.code)
        _se(_se(rule, "Description"), "Title", cls.label)
        condition = ET.SubElement(
            ET.SubElement(rule, f"{{{_OGC}}}Filter"), f"{{{_OGC}}}PropertyIsEqualTo"
        )
        ET.SubElement(condition, f"{{{_OGC}}}PropertyName").text = STATUS_FIELD
        ET.SubElement(condition, f"{{{_OGC}}}Literal").text = cls.code
        symbolizer = _se(rule, "PolygonSymbolizer")
        _svg(_se(symbolizer, "Fill"), "fill", cls.colour.lower())
        stroke = _se(symbolizer, "Stroke")
        _svg(stroke, "stroke", PARCEL_STROKE.lower())
        _svg(stroke, "stroke-width", "1")
        _svg(stroke, "stroke-linejoin", "bevel")
    rule = _se(feature_style, "Rule")
    _se(rule, "Name", LABEL_FIELD)
    _se(rule, "MaxScaleDenominator", str(LABEL_MIN_SCALE))
    text = _se(rule, "TextSymbolizer")
    ET.SubElement(_se(text, "Label"), f"{{{_OGC}}}PropertyName").text = LABEL_FIELD
    _svg(_se(text, "Font"), "font-size", "11")
    anchor = _se(_se(_se(text, "LabelPlacement"), "PointPlacement"), "AnchorPoint")
    _se(anchor, "AnchorPointX", "0.5")
    _se(anchor, "AnchorPointY", "0.5")
    halo = _se(text, "Halo")
    _se(halo, "Radius", "1.5")
    _svg(_se(halo, "Fill"), "fill", "#ffffff")
    _svg(_se(text, "Fill"), "fill", "#1e1e1e")
    ET.indent(root, space=" ")
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


# ------------------------------------------------------------------------------ the files


def style_file_paths(out: str | Path) -> tuple[Path, Path]:
    """``<stem>.qml`` and ``<stem>.sld`` beside the output ``out``."""
    path = Path(out)
    return path.with_suffix(".qml"), path.with_suffix(".sld")


def write_style_files(
    out: str | Path, qml_to: str | Path | None = None, sld_to: str | Path | None = None
) -> list[Path]:
    """Write the parcels style as ``<stem>.qml`` and ``<stem>.sld`` beside ``out`` (or at
    ``qml_to`` / ``sld_to``, e.g. temporary names); returns the two final paths. QGIS applies
    ``<stem>.qml`` by itself to a layer of ``<stem>.gpkg`` that has no style in the file."""
    qml_path, sld_path = style_file_paths(out)
    Path(qml_to or qml_path).write_text(qml(), encoding="utf-8")
    Path(sld_to or sld_path).write_text(sld(), encoding="utf-8")
    return [qml_path, sld_path]


# ------------------------------------------------------------------------------ the GeoPackage

_DATA_COLUMNS_DDL = (
    "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL,column_name TEXT NOT NULL,"
    "name TEXT,title TEXT,description TEXT,mime_type TEXT,constraint_name TEXT,"
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),"
    "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
)
_DATA_COLUMN_CONSTRAINTS_DDL = (
    "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL,"
    "constraint_type TEXT NOT NULL,value TEXT,min NUMERIC,min_is_inclusive BOOLEAN,"
    "max NUMERIC,max_is_inclusive BOOLEAN,description TEXT,"
    "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"
)
_EXTENSIONS_DDL = (
    "CREATE TABLE gpkg_extensions (table_name TEXT,column_name TEXT,"
    "extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,"
    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
)
_SCHEMA_EXTENSION = "http://www.geopackage.org/spec121/#extension_schema"

# layer_styles as QGIS creates it through GDAL (QgsOgrProviderMetadata::saveStyle)
_STYLE_SCHEMA = pa.schema(
    [
        ("f_table_catalog", pa.string()),
        ("f_table_schema", pa.string()),
        ("f_table_name", pa.string()),
        ("f_geometry_column", pa.string()),
        ("styleName", pa.string()),
        ("styleQML", pa.string()),
        ("styleSLD", pa.string()),
        ("useAsDefault", pa.bool_()),
        ("description", pa.string()),
        ("owner", pa.string()),
        ("ui", pa.string()),
        ("update_time", pa.timestamp("ms", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class _Table:
    name: str
    geometry_column: str  # "" for an attribute table, as QGIS matches it
    columns: tuple[str, ...]


def _tables(db: sqlite3.Connection) -> list[_Table]:
    """The feature and attribute tables of the GeoPackage, with their columns."""
    rows = db.execute(
        "SELECT c.table_name, COALESCE(g.column_name, '') FROM gpkg_contents c "
        "LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
        "WHERE c.data_type IN ('features', 'attributes') AND c.table_name <> ? "
        "ORDER BY c.rowid",
        (STYLE_TABLE,),
    ).fetchall()
    tables = []
    for name, geometry_column in rows:
        info = db.execute("SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,))
        tables.append(_Table(name, geometry_column, tuple(r[0] for r in info)))
    return tables


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def _now() -> str:
    """The time as GDAL writes it into a GeoPackage."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def _write_aliases(db: sqlite3.Connection, tables: Sequence[_Table]) -> None:
    """Chinese aliases into ``gpkg_data_columns`` (the GeoPackage schema extension), made and
    registered the way GDAL does when a field has an alternative name."""
    if not _has_table(db, "gpkg_extensions"):
        db.execute(_EXTENSIONS_DDL)
    for table, ddl in (
        ("gpkg_data_columns", _DATA_COLUMNS_DDL),
        ("gpkg_data_column_constraints", _DATA_COLUMN_CONSTRAINTS_DDL),
    ):
        if not _has_table(db, table):
            db.execute(ddl)
        db.execute(
            "INSERT OR IGNORE INTO gpkg_extensions "
            "(table_name, column_name, extension_name, definition, scope) "
            "VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
            (table, _SCHEMA_EXTENSION),
        )
    # INSERT OR IGNORE cannot see a NULL column_name as a duplicate: remove repeats
    db.execute(
        "DELETE FROM gpkg_extensions WHERE extension_name = 'gpkg_schema' AND rowid NOT IN "
        "(SELECT MIN(rowid) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema' "
        "GROUP BY table_name, column_name)"
    )
    for table in tables:
        for column, label in _aliases(table.columns):
            db.execute(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name) VALUES (?, ?, ?) "
                "ON CONFLICT (table_name, column_name) DO UPDATE SET name = excluded.name",
                (table.name, column, label),
            )


def _style_rows(tables: Sequence[_Table], layer: str) -> list[dict[str, object]]:
    rows = []
    for table in tables:
        if table.name == layer and table.geometry_column:
            style_qml, style_sld, description = qml(table.columns), sld(layer), STYLE_DESCRIPTION_ZH
        elif table.name == layer or _aliases(table.columns) or table.name == "parks":
            # parcels without geometry (ledgers alone) are a table: QGIS refuses a whole style
            # that holds symbology for a layer without geometry, the aliases with it
            parks = table.name == "parks" and bool(table.geometry_column)
            style_qml, style_sld, description = (
                aliases_qml(table.columns, parks=parks),
                "",
                ALIASES_DESCRIPTION_ZH,
            )
        else:
            continue
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": table.name,
                "f_geometry_column": table.geometry_column,
                "styleName": table.name,
                "styleQML": style_qml,
                "styleSLD": style_sld,
                "useAsDefault": True,
                "description": description,
                "owner": "",
                "ui": None,
                "update_time": _now(),
            }
        )
    return rows


@contextmanager
def _transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to ``path`` in one transaction (tables made in it included), committed
    at the end or rolled back on an error."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _create_style_table(path: Path) -> None:
    """An empty ``layer_styles`` created through GDAL, so that it is registered in the
    GeoPackage (``gpkg_contents``, ``gpkg_ogr_contents``) as GDAL and QGIS register it."""
    empty = pa.Table.from_batches([], schema=_STYLE_SCHEMA)
    pyogrio.write_arrow(
        empty, path, layer=STYLE_TABLE, driver="GPKG", append=True, layer_options={"FID": "id"}
    )


def style_geopackage(path: str | Path, layer: str = PARCELS_LAYER) -> None:
    """Give the GeoPackage written at ``path`` its QGIS hand-off, after every layer is written:

    - a default style for ``layer`` in ``layer_styles`` (QML and SLD, ``useAsDefault = 1``):
      categorised by status, labels, Chinese aliases; the aliases alone when ``layer`` is a
      table without geometry (results of ledgers alone);
    - a default style holding the Chinese aliases for every other table with labelled columns
      (rejects, summary; the park boundaries also get their outline), so that QGIS does not
      apply the parcels' ``<stem>.qml`` to them;
    - the Chinese aliases in ``gpkg_data_columns`` for every table.

    Running it again replaces these styles and aliases; other styles are kept (not default).
    """
    path = Path(path)
    with closing(sqlite3.connect(path)) as db:
        tables = _tables(db)
        has_styles = _has_table(db, STYLE_TABLE)
    if layer not in {t.name for t in tables}:
        raise ValueError(f"{path} has no layer {layer!r} to style")
    if not has_styles:
        _create_style_table(path)
    rows = _style_rows(tables, layer)
    with _transaction(path) as db:
        _write_aliases(db, tables)
        for row in rows:
            db.execute(
                "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?",
                (row["f_table_name"], row["styleName"]),
            )
            db.execute(
                "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?",
                (row["f_table_name"],),
            )
            names = ", ".join(f'"{k}"' for k in row)
            db.execute(
                f"INSERT INTO layer_styles ({names}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
        db.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (_now(), STYLE_TABLE)
        )
        if _has_table(db, "gpkg_ogr_contents"):  # GDAL's cached feature counts
            db.execute(
                "UPDATE gpkg_ogr_contents SET feature_count = "
                "(SELECT COUNT(*) FROM layer_styles) WHERE table_name = ?",
                (STYLE_TABLE,),
            )
