"""The map page as HTML, without a browser: safe JSON in scripts, no CDN, the content security
policy, basemaps, one park, English, GeoParquet results and the served page's two modes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.geometry
from test_map_helpers import rewrite_results

import maps
from maps.basemap import Basemap
from maps.data import feature_collection_json, script_json
from maps.palette import STATUS_COLOURS
from maps.panel import Summary, panel_html


@pytest.fixture(scope="module")
def results_gpkg(sample_park_gpkg: Path) -> Path:
    return sample_park_gpkg


@pytest.fixture(scope="module")
def parcels(results_gpkg: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(results_gpkg, layer="parcels")


@pytest.fixture(scope="module")
def page(results_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("render") / "map.html"
    return maps.write_standalone_html(results_gpkg, out).read_text(encoding="utf-8")


def embedded(html: str, name: str) -> object:
    """The JSON assigned to ``LU_DATA.<name>`` in the page."""
    match = re.search(rf"^LU_DATA\.{name} = (.*);$", html, re.MULTILINE)
    assert match, name
    return json.loads(match.group(1))


def csp(html: str) -> str:
    match = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert match
    return match.group(1).replace("&#x27;", "'")


def test_script_json_cannot_end_the_script() -> None:
    value = {"name": "</script><script>alert(1)</script> <!-- & \u2028\u2029"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == value


def test_geojson_is_built_for_parcels_with_a_geometry(parcels: gpd.GeoDataFrame) -> None:
    frame = parcels.to_crs("EPSG:4326")
    doc = json.loads(feature_collection_json(frame, ["parcel_id", "contract_date", "idle_days"]))
    assert len(doc["features"]) == int(frame.geometry.notna().sum())
    first = frame[frame.geometry.notna()].iloc[0]
    props = doc["features"][0]["properties"]
    assert props["parcel_id"] == first["parcel_id"]
    assert props["contract_date"] == pd.Timestamp(first["contract_date"]).strftime("%Y-%m-%d")
    assert props["idle_days"] is None if pd.isna(first["idle_days"]) else True
    ring = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert all(len(str(c).split(".")[-1]) <= 6 for xy in ring for c in xy)


def test_page_links_nothing_outside_and_declares_a_strict_policy(page: str) -> None:
    markup = re.sub(r"<(script|style)>.*?</\1>", "", page, flags=re.DOTALL)  # inline code out
    assert markup.count("<script") == 0 and markup.count("<style") == 0
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", page)  # nothing in CSS either
    policy = csp(page)
    assert "default-src 'none'" in policy
    assert "connect-src 'none'" in policy
    assert re.search(r"img-src data:(;|$)", policy)
    assert page.index("Content-Security-Policy") < page.index("<script")


def test_data_text_is_never_parsed_as_a_template(results_gpkg: Path, tmp_path: Path) -> None:
    def change(p: pd.DataFrame, k: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        p = p.copy()
        p.loc[p.index[:3], "project_name"] = "{{ 7*7 }}{% if true %}x{% endif %}"
        return p, k.assign(park=k["park"].where(k.index != 0, "{{ 6*7 }}"))

    src = rewrite_results(results_gpkg, tmp_path / "tpl.gpkg", change)
    html = maps.write_standalone_html(src, tmp_path / "tpl.html").read_text(encoding="utf-8")
    names = [f["properties"]["project_name"] for f in embedded(html, "parcels")["features"]]
    assert "{{ 7*7 }}{% if true %}x{% endif %}" in names
    assert "{{ 6*7 }}" in [f["properties"]["park"] for f in embedded(html, "parks")["features"]]


def test_empty_or_parkless_results_still_make_a_page(parcels: gpd.GeoDataFrame) -> None:
    empty = maps.page_html(maps.render_map(parcels.iloc[:0], None, None, title="空"))
    assert embedded(empty, "parcels") == {"type": "FeatureCollection", "features": []}
    nowhere = parcels.assign(park=None, region_label=None)
    no_park = maps.page_html(maps.render_map(nowhere, None, None, title="t"))
    # Parcels with neither a park nor a region get no made-up boundary; the panel groups them
    # as （未指定园区）.
    assert embedded(no_park, "parks")["features"] == []
    assert len(embedded(no_park, "parcels")["features"]) == int(parcels.geometry.notna().sum())
    assert 'data-park="（未指定园区）"' in no_park


def test_without_boundaries_the_map_draws_the_outlines_the_results_source_serves(
    parcels: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """render_map given no park boundaries draws each park's concave hull in the parcels' own
    CRS: the outlines the results source (the API's parks collection) gives the same parcels."""
    from api.store import FileSource

    src = tmp_path / "no_parks.parquet"
    parcels.to_parquet(src)
    outlines = FileSource.of_path(src).view().park_outlines()
    assert set(outlines["boundary_source"]) == {"hull of parcels"}
    served = dict(zip(outlines["park"], outlines["geometry"], strict=True))
    html = maps.page_html(maps.render_map(parcels, None, None, title="t"))
    drawn = {
        f["properties"]["park"]: shapely.geometry.shape(f["geometry"])
        for f in embedded(html, "parks")["features"]
    }
    assert sorted(drawn) == sorted(served)
    for name, outline in drawn.items():  # the same outline, to the page's 6 decimals
        assert shapely.equals_exact(outline, served[name], 2e-6), name
        assert outline.area < shapely.convex_hull(outline).area  # concave, not convex


def test_one_park_only(results_gpkg: Path, parcels: gpd.GeoDataFrame, tmp_path: Path) -> None:
    park = "化工产业园"
    own = parcels[parcels["park"] == park]
    out = maps.cli_map(results_gpkg, tmp_path / "one.html", park=park)
    html = out.read_text(encoding="utf-8")
    features = embedded(html, "parcels")["features"]
    assert len(features) == int(own.geometry.notna().sum())
    assert {f["properties"]["park"] for f in features} == {park}
    assert [f["properties"]["park"] for f in embedded(html, "parks")["features"]] == [park]
    assert f"<title>{park} 工业用地状态图</title>" in html
    assert f"{len(own)} 宗 · {own['area_ha'].sum():,.2f} 公顷" in html
    with pytest.raises(ValueError, match="经开区北区"):
        maps.cli_map(results_gpkg, tmp_path / "none.html", park="没有这个园区")
    with pytest.raises(ValueError, match=r"\.html"):
        maps.cli_map(results_gpkg, tmp_path / "map.png")


def test_english_labels_on_request(results_gpkg: Path, tmp_path: Path) -> None:
    html = maps.write_standalone_html(results_gpkg, tmp_path / "en.html", lang="en").read_text(
        encoding="utf-8"
    )
    for label in ("Parcel status", "Recovery (idle 2 years)", "Completed, compliant", "Total"):
        assert label in html
    assert "宗地状态" not in html
    assert embedded(html, "parcels")  # same data
    with pytest.raises(ValueError, match="zh, en"):
        maps.write_standalone_html(results_gpkg, tmp_path / "fr.html", lang="fr")


def test_geoparquet_results_without_parks_get_hulls(
    results_gpkg: Path, parcels: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "results.parquet"
    parcels.to_parquet(src)
    html = maps.write_standalone_html(src, tmp_path / "pq.html").read_text(encoding="utf-8")
    parks = embedded(html, "parks")["features"]
    assert sorted(f["properties"]["park"] for f in parks) == sorted(parcels["park"].unique())
    assert len(embedded(html, "parcels")["features"]) == int(parcels.geometry.notna().sum())
    assert f"{len(parcels)} 宗 · {parcels['area_ha'].sum():,.2f} 公顷" in html


def test_basemaps() -> None:
    assert Basemap.parse(None).layers == () and Basemap.parse("none").layers == ()
    tdt = Basemap.parse("tianditu:0123abcd")
    assert [("vec_w" in t.url, "cva_w" in t.url) for t in tdt.layers] == [
        (True, False),
        (False, True),
    ]
    assert all("tk=0123abcd" in t.url and "{z}" in t.url for t in tdt.layers)
    assert "eva_w" in Basemap.parse("tianditu:0123abcd", lang="en").layers[1].url
    own = Basemap.parse("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png")
    assert own.layers[0].url == "http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"
    with pytest.raises(ValueError):
        Basemap.parse("tianditu:bad key!")
    with pytest.raises(ValueError):
        Basemap.parse("http://tiles.local/{z}/{x}.png")


def test_basemap_is_drawn_and_allowed_by_the_policy(results_gpkg: Path, tmp_path: Path) -> None:
    out = maps.write_standalone_html(
        results_gpkg, tmp_path / "tdt.html", basemap="tianditu:0123abcd"
    )
    html = out.read_text(encoding="utf-8")
    assert html.count("L.tileLayer(") == 2
    assert "tianditu.gov.cn/vec_w/wmts" in html and "tianditu.gov.cn/cva_w/wmts" in html
    assert "img-src data: https://*.tianditu.gov.cn;" in csp(html)
    own = maps.write_standalone_html(
        results_gpkg, tmp_path / "own.html", basemap="http://tiles.bureau.local/{z}/{x}/{y}.png"
    ).read_text(encoding="utf-8")
    assert "http://tiles.bureau.local" in csp(own)


def test_status_colours_are_fixed_and_distinct() -> None:
    from landuse.schema import STATUS_ORDER

    assert list(STATUS_COLOURS) == list(STATUS_ORDER)
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_ORDER)
    assert STATUS_COLOURS["recovery"] == "#882255" and STATUS_COLOURS["compliant"] == "#117733"


def test_panel_escapes_park_names() -> None:
    summary = pd.DataFrame(
        {
            "park": ['<b onmouseover="x()">园</b>'],
            "status": ["recovery"],
            "parcels": [2],
            "area_ha": [1.5],
            "total_penalty_wan": [10.0],
        }
    )
    html = panel_html("zh", Summary.from_table(summary), title="<i>t</i>", as_of="2025-12-31")
    assert "<b " not in html and "<i>" not in html
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;园&lt;/b&gt;" in html
    assert "&lt;i&gt;t&lt;/i&gt;" in html


def test_served_page_switches_to_tiles_above_the_threshold(
    results_gpkg: Path, parcels: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    inline = maps.render_served_page(results_gpkg, "/")
    assert embedded(inline, "parcels") is not None
    assert '<script src="/map/assets/leaflet.js">' in inline
    assert "landuse-tiles.js" not in inline
    assert maps.render_served_page(results_gpkg, "/") is inline  # cached per file

    tiled = maps.render_served_page(results_gpkg, "/api/", tile_threshold=10)
    assert embedded(tiled, "parcels") is None
    assert "/api/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}" in tiled
    assert '<script src="/api/map/assets/landuse-tiles.js">' in tiled
    assert f"{len(parcels)} 宗 · {parcels['area_ha'].sum():,.2f} 公顷" in tiled
    assert "1 宗无图形" in tiled

    src = tmp_path / "results.parquet"
    parcels.to_parquet(src)
    from_parquet = maps.render_served_page(src, "/", tile_threshold=10)
    # Without boundaries in the results the page embeds the outlines the results source
    # draws (the API's parks collection serves the same): no page of parks is fetched, so no
    # page size can exceed the API's limit.
    assert "/collections/parks/items" not in from_parquet
    outlines = {
        f["properties"]["park"]: shapely.geometry.shape(f["geometry"])
        for f in embedded(from_parquet, "parks")["features"]
    }
    assert sorted(outlines) == sorted(parcels["park"].dropna().unique())
    lonlat = parcels[parcels.geometry.notna()].to_crs("EPSG:4326")
    for park, outline in outlines.items():
        own = lonlat[lonlat["park"] == park].geometry.to_numpy()
        # the outline goes round every parcel of the park (each one is mostly inside it)
        inside = shapely.area(shapely.intersection(own, outline)) / shapely.area(own)
        assert (inside > 0.5).all(), park
        # and the outline is concave: smaller than the convex hull of the parcels
        assert outline.area < shapely.convex_hull(shapely.geometrycollections(own)).area


def test_panel_counts_parcels_per_progress_class(results_gpkg: Path, tmp_path: Path) -> None:
    """The panel's total block lists parcels per progress class (推进超过 · 正常 · 滞后 · 无进展 ·
    待核查), as the results file holds them."""
    written = pyogrio.read_dataframe(results_gpkg, layer="parcels", read_geometry=False)
    counts = written["progress"].value_counts()
    labels = {
        "ahead": "推进超过",
        "normal": "正常",
        "behind": "滞后",
        "no_progress": "无进展",
        "unverified": "待核查",
    }
    expected = " · ".join(f"{zh} {counts[k]:,}" for k, zh in labels.items() if counts.get(k, 0))
    html = maps.write_standalone_html(results_gpkg, tmp_path / "p.html").read_text(encoding="utf-8")
    assert f'<span class="lu-sub">推进情况</span> {expected}</div>' in html
    assert counts.sum() == len(written)
