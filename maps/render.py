"""Render the leadership map: a standalone HTML file, or the page ``GET /map`` serves.

- :func:`render_map` builds the folium map from result frames.
- :func:`write_standalone_html` reads a results file and writes one self-contained page (data,
  scripts, styles and images inlined) that opens from a USB stick with no server.
- :func:`render_served_page` is the page of ``GET /map``: assets linked from the API's own
  ``/map/assets/`` and, above ``tile_threshold`` parcels, parcels drawn from the API's vector
  tiles (popups fetched from the items endpoint) instead of inline GeoJSON.
- :func:`mount_map` adds ``GET /map`` and the assets to a FastAPI/Starlette app;
  :func:`cli_map` is ``landuse map RESULTS -o map.html [--park NAME]``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Figure

from landuse.atomic import OutputSet, atomic_file
from landuse.grouping import group_frame
from landuse.memory import release_memory
from landuse.source import (
    ResultsSource,
    ResultsView,
    RunInfo,
)
from maps import assets
from maps.actions import list_html
from maps.basemap import Basemap
from maps.data import (
    MAP_CRS,
    as_geodataframe,
    check_results_file,
    data_bounds,
    escape_json_text,
    feature_collection_json,
    has_geometry,
    map_columns,
    read_results,
    results_of_view,
    script_json,
    to_map_crs,
)
from maps.elements import (
    DATA_VAR,
    ChangeLayer,
    FootprintLayer,
    OfflineMap,
    PageSetup,
    ParcelLayer,
    ParkLayer,
    RawHTML,
    TileParcelLayer,
)
from maps.errors import MapInputError
from maps.labels import POPUP_COLUMNS, Lang, check_lang, page_texts, status_label, text
from maps.mount import ASSETS_PATH, DEFAULT_TILE_THRESHOLD, _join
from maps.palette import CHANGE_COLOURS, PARCEL_STROKE, PARK_STROKE, STATUS_KEYS, colours
from maps.panel import Summary, esc, legend_html, panel_html

if TYPE_CHECKING:  # pragma: no cover
    pass

log = logging.getLogger("landuse.maps")

#: Above this many footprints a page embeds none (one park's are a few thousand).
MAX_INLINE_FOOTPRINTS = 50_000
#: Tile zooms the served page asks for (the API serves 0-22; a province at zoom 5 or less
#: would put hundreds of thousands of parcels in one tile: only the park outlines show there).
TILE_MIN_ZOOM = 6
TILE_MAX_NATIVE_ZOOM = 18
#: Standalone pages above this many parcels are written all the same, with a warning.
STANDALONE_WARN_PARCELS = 20_000


# --------------------------------------------------------------------------- page content


@dataclass
class PageContent:
    """Everything one page shows, ready for the browser (JSON texts already script-safe)."""

    title: str
    lang: Lang
    summary: Summary
    bounds: list[list[float]] | None
    as_of: str | None = None
    parcels_json: str | None = None  # inline mode: a FeatureCollection (script-safe)
    parks_json: str | None = None
    runs_html: str | None = None  # the run selector of a served store of runs (HTML)
    tiles: dict[str, Any] | None = None  # tile mode: url, itemsUrl, layer, zooms
    not_drawn: int = 0
    statuses: list[str] = field(default_factory=list)
    no_geometry: bool = False  # no parcel has a geometry (results of ledgers alone)
    parcel_list: str | None = None  # the ranked table of parcels not drawn (HTML)
    buildings_json: str | None = None  # inline footprints (one park), script-safe
    footprint_tiles: dict[str, Any] | None = None  # tile mode: the buildings collection
    changes: RunChanges | None = None  # a store's run: what changed since an earlier run


@dataclass
class RunChanges:
    """What changed in the run a page shows since an earlier run, for the page: the legend
    block (HTML), the layer's name (HTML, None for the first run: no layer) and the data of
    the layer (``parcels``: ``[key, kind, status before, status after]`` per changed parcel,
    labels in the page's language; None for the first run)."""

    html: str
    name: str | None = None
    data: dict[str, Any] | None = None


CHANGE_LABELS_EN: dict[str, str] = {
    "newly_recovery": "Newly due for recovery",
    "newly_idle": "Newly idle one year",
    "newly_late": "Newly late",
    "newly_unverified": "Newly to inspect",
    "resolved": "Resolved (now on track or compliant)",
    "other": "Other change",
}


def run_changes(
    lang: Lang, source: ResultsSource, run: RunInfo, compare: str | None = None
) -> RunChanges:
    """The changes of ``run`` since run ``compare`` (default: the run before it) for the
    page, computed by :func:`landuse.diff.diff_source` through the results source."""
    from landuse.diff import CHANGE_KINDS, GONE, NEW, STATUS_LABELS_ZH, diff_source

    result = diff_source(source, run, compare)
    if result is None:
        line = (
            "首次分析：无上期可比较，不显示变化图层。"
            if lang == "zh"
            else "First run: nothing to compare with, no layer of changes."
        )
        return RunChanges(
            html=f'<div id="lu-changes" class="lu-changes" style="display:none">'
            f'<div class="lu-change-none">{esc(line)}</div></div>'
        )
    before = result.before
    if lang == "zh":
        title = f"本期变化（自 #{before.run_id} · {before.as_of_date or '?'} 以来）"
        labels = dict(CHANGE_KINDS)

        def status(key: str) -> str:
            return STATUS_LABELS_ZH.get(key, key)
    else:
        title = f"Changes since run #{before.run_id} ({before.as_of_date or '?'})"
        labels = dict(CHANGE_LABELS_EN)
        extra = {NEW: "new parcel", GONE: "not in this run"}

        def status(key: str) -> str:
            return extra.get(key) or status_label(lang, key if key in STATUS_KEYS else "other")

    counts = result.kind_counts()
    lines = []
    for kind, parcels, area in zip(
        counts["change"], counts["parcels"], counts["area_ha"], strict=True
    ):
        amount = (
            f"{int(parcels)} 宗 · {area:.2f} 公顷"
            if lang == "zh"
            else (f"{int(parcels)} · {area:.2f} ha")
        )
        lines.append(
            f'<li class="lu-change-kind" data-kind="{esc(kind)}" data-count="{int(parcels)}">'
            f'<span class="lu-change-swatch" style="border-color:{CHANGE_COLOURS[kind]}"></span>'
            f"{esc(labels[kind])}：{esc(amount)}</li>"
        )
    html_block = (
        f'<div id="lu-changes" class="lu-changes" style="display:none">'
        f'<div class="lu-sub">{esc(title)}</div><ul>{"".join(lines)}</ul></div>'
    )
    changes = result.changes
    data = {
        "parcels": [
            [str(k), str(kind), status(str(b)), status(str(a))]
            for k, kind, b, a in zip(
                changes["key"],
                changes["change"],
                changes["status_before"],
                changes["status_after"],
                strict=True,
            )
        ],
        "colours": CHANGE_COLOURS,
        "labels": labels,
        "before": "上期" if lang == "zh" else "Before",
        "after": "本期" if lang == "zh" else "now",
    }
    name = (
        f'<span class="lu-change-swatch" style="border-color:{CHANGE_COLOURS["other"]}"></span>'
        f"{esc(title)}"
    )
    return RunChanges(html=html_block, name=name, data=data)


def _title(lang: Lang, name: str) -> str:
    return f"{name} 工业用地状态图" if lang == "zh" else f"Industrial land status — {name}"


def _as_of(parcels: pd.DataFrame) -> str | None:
    if "as_of_date" not in parcels.columns:
        return None
    values = pd.to_datetime(parcels["as_of_date"], errors="coerce").dropna()
    return values.iloc[0].strftime("%Y-%m-%d") if len(values) else None


def _statuses(summary: Summary) -> list[str]:
    present = set(summary.status_counts().index)
    return [k for k in STATUS_KEYS if k in present]


def park_hulls(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A boundary per park when the frames given carry none: the concave hull of its parcels
    in their own CRS, as the results source draws a park without a boundary
    (:func:`landuse.outlines.park_hulls`; parcels grouped by region or with no group get
    none)."""
    from landuse.outlines import park_hulls as concave_hulls

    groups = group_frame(parcels)
    keep = has_geometry(parcels) & (groups["group_kind"] == "park").to_numpy()
    names = groups["group"][keep]
    uniques = list(pd.unique(names))
    hulls = concave_hulls(
        shapely.bounds(parcels.geometry.to_numpy()[keep]),
        names.reset_index(drop=True),
        [str(u) for u in uniques],
    )
    return gpd.GeoDataFrame({"park": uniques}, geometry=list(hulls), crs=parcels.crs)


def _script(data: dict[str, Any], content: PageContent) -> str:
    """The page's data script: settings as safe JSON, the big JSON texts spliced in as is."""
    parts = [
        f"var {DATA_VAR} = {script_json(data)};",
        f"{DATA_VAR}.parcels = {content.parcels_json or 'null'};",
        f"{DATA_VAR}.parks = {content.parks_json or 'null'};",
        f"{DATA_VAR}.buildings = {content.buildings_json or 'null'};",
        f"{DATA_VAR}.tileLayers = {{}};",
        f"{DATA_VAR}.deferred = [];",
        f"LanduseMap.configure({DATA_VAR});",
    ]
    if content.tiles is not None:
        parts.append(f"{DATA_VAR}.tileSource = LanduseTiles.source({DATA_VAR}.tiles);")
    return "\n".join(parts) + "\n"


def _csp(basemap: Basemap, *, served: bool, api_base: str | None) -> str:
    """The page's Content-Security-Policy: scripts, styles and data from the page itself (and
    the serving API), images from the page and the basemap's tile servers, nothing else."""
    own = ["'self'"] if served else []
    if api_base:
        parts = urlsplit(api_base)
        if parts.scheme and parts.netloc:
            own.append(f"{parts.scheme}://{parts.netloc}")
    tiles: list[str] = []
    for layer in basemap.layers:
        parts = urlsplit(layer.url)
        host = parts.netloc
        if "{" in host:  # a subdomain template such as t{s}.tianditu.gov.cn: *.tianditu.gov.cn
            host = "*." + host.split(".", 1)[1]
        tiles.append(f"{parts.scheme}://{host}" if parts.scheme and host else "'self'")
    directives = [
        ["default-src", "'none'"],
        ["script-src", *own, "'unsafe-inline'"],
        ["style-src", *own, "'unsafe-inline'"],
        ["img-src", *own, "data:", *dict.fromkeys(tiles)],
        ["connect-src", *(own or ["'none'"])],
        ["base-uri", "'none'"],
        ["form-action", "'none'"],
    ]
    return "; ".join(" ".join(d) for d in directives)


def build_page(
    content: PageContent,
    *,
    basemap: Basemap,
    head: str,
    csp: str,
) -> folium.Map:
    """The folium map of ``content`` (``head``: the asset elements; ``csp``: its policy)."""
    lang = content.lang
    figure = Figure(title=esc(content.title))
    m = OfflineMap(
        location=[0.0, 0.0],
        zoom_start=2,
        tiles=None,
        control_scale=False,  # added by the page script, metric only
        prefer_canvas=False,
        zoom_control=not content.no_geometry,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    figure.add_child(m)
    # Head: the policy first (it applies to what follows), then the assets.
    figure.header.add_child(
        RawHTML(f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">', "Csp"),
        name="lu_csp",
    )
    figure.header.add_child(
        RawHTML('<link rel="icon" href="data:,">\n' + head, "Assets"), name="lu_assets"
    )
    # Body: the panel and legend (moved into map controls by the page script).
    not_drawn = content.not_drawn
    note = text(lang, "tiles_note") if content.tiles is not None else None
    figure.html.add_child(
        RawHTML(
            panel_html(
                lang,
                content.summary,
                title=content.title,
                as_of=content.as_of,
                not_drawn=not_drawn,
                note=note,
            ),
            "Panel",
        ),
        name="lu_panel",
    )
    legend = legend_html(lang, content.summary, park_line=not content.no_geometry)
    figure.html.add_child(RawHTML(legend, "Legend"), name="lu_legend")
    if content.parcel_list is not None:
        figure.html.add_child(RawHTML(content.parcel_list, "ParcelList"), name="lu_list")
    if content.runs_html is not None:
        figure.html.add_child(RawHTML(content.runs_html, "Runs"), name="lu_runs")
    if content.changes is not None:
        figure.html.add_child(RawHTML(content.changes.html, "Changes"), name="lu_changes")
    data: dict[str, Any] = {
        "lang": lang,
        **page_texts(lang),
        "colours": colours(),
        "statusLabels": {k: status_label(lang, k) for k in STATUS_KEYS},
        "stroke": PARCEL_STROKE,
        "parkStroke": PARK_STROKE,
        "bounds": content.bounds,
        "controls": [
            {"id": "lu-panel", "position": "topright"},
            {"id": "lu-list", "position": "topleft"},
            {"id": "lu-legend", "position": "bottomleft"},
            # stacked above the legend, clear of the panel on the right
            *([{"id": "lu-changes", "position": "bottomleft"}] if content.changes else []),
            *([{"id": "lu-runs", "position": "bottomleft"}] if content.runs_html else []),
        ],
        "changes": content.changes.data if content.changes is not None else None,
        "noGeometry": content.no_geometry,
        "tiles": content.tiles,
        "footprintTiles": content.footprint_tiles,
    }
    # The data script goes before the map's own script (figure.script keeps insertion order;
    # the map and its layers add theirs when the figure is rendered).
    figure.script.add_child(RawHTML(_script(data, content), "PageData"), name="lu_data")

    for layer in basemap.layers:
        folium.TileLayer(
            tiles=layer.url,
            attr=layer.attribution or " ",
            subdomains=layer.subdomains,
            max_zoom=layer.max_zoom,
            overlay=False,
            control=False,
        ).add_to(m)
    if not content.no_geometry:  # results of ledgers alone: no layer to draw nor switch
        layer_cls = TileParcelLayer if content.tiles is not None else ParcelLayer
        colour = colours()
        for status in content.statuses:  # one layer per status (at most ten)
            name = (
                f'<span class="lu-swatch" style="background:{colour[status]}"></span>'
                f"{esc(status_label(lang, status))}"
            )
            layer_cls(status, name).add_to(m)
        if content.changes is not None and content.changes.name is not None:
            ChangeLayer(content.changes.name, tiles=content.tiles is not None).add_to(m)
        if content.parks_json is not None:
            ParkLayer(esc(text(lang, "park_boundary"))).add_to(m)
        if content.buildings_json is not None or content.footprint_tiles is not None:
            FootprintLayer(
                esc(text(lang, "buildings_layer")), tiles=content.buildings_json is None
            ).add_to(m)
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    PageSetup(tiles=content.tiles is not None).add_to(m)
    return m


# --------------------------------------------------------------------------- public API


def render_map(
    parcels_gdf: gpd.GeoDataFrame,
    parks_gdf: gpd.GeoDataFrame | None,
    summary_df: pd.DataFrame | None,
    *,
    title: str,
    lang: str = "zh",
    basemap: str | Basemap | None = None,
    inline: bool = True,
    api_base: str | None = None,
    tile_threshold: int = DEFAULT_TILE_THRESHOLD,
    assets_url: str | None = None,
    buildings_gdf: gpd.GeoDataFrame | None = None,
    run_query: str = "",
    runs_html: str | None = None,
    changes: RunChanges | None = None,
) -> folium.Map:
    """The leadership map of analysed parcels as a folium map.

    ``parcels_gdf``: analysed parcels (result columns, any CRS; drawn in EPSG:4326), coloured
    by ``status``. ``parks_gdf``: park boundaries with a ``park`` column (None: the concave
    hull of each park's parcels, as the results source draws it: :func:`park_hulls`).
    ``summary_df``: the results' summary table (:func:`landuse.workbook.summary_table`; None:
    computed from ``parcels_gdf``).
    ``lang``: ``zh`` (default) or ``en``. ``basemap``: None/``"none"`` (no background, no
    request leaves the machine), ``"tianditu:KEY"``, an XYZ URL template, or a
    :class:`~maps.basemap.Basemap`.

    ``inline``: put every script and style inside the page (a standalone file); when False
    they are linked from ``assets_url`` (default ``{api_base}map/assets/``). ``api_base``: the
    URL prefix of the API serving these results; with it and more than ``tile_threshold``
    parcels, parcels are drawn from the API's vector tiles and popups fetched from its items
    endpoint instead of embedding the parcels; ``run_query`` (``?run=3``) follows every URL
    of the API the page asks for. ``runs_html``: a run selector (:func:`runs_selector`);
    ``changes``: what changed since an earlier run (:func:`run_changes`), a layer and legend.
    ``buildings_gdf``: building footprints drawn at large scales (inline with inline parcels;
    from the API's buildings tiles with tiles).
    """
    language = check_lang(lang)
    base = Basemap.parse(basemap, lang=language)
    parcels = to_map_crs(parcels_gdf)
    summary = (
        Summary.from_parcels(parcels)
        if summary_df is None
        else Summary.from_table(summary_df).with_progress(parcels)
    )
    if parks_gdf is None:
        parks_gdf = park_hulls(as_geodataframe(parcels_gdf))
    parks = to_map_crs(parks_gdf)
    drawn = has_geometry(parcels)
    use_tiles = api_base is not None and int(drawn.sum()) > tile_threshold
    content = PageContent(
        title=title,
        lang=language,
        summary=summary,
        bounds=data_bounds(parcels, parks),
        as_of=_as_of(parcels),
        parks_json=escape_json_text(
            feature_collection_json(parks, ["park"] if "park" in parks.columns else [])
        ),
        not_drawn=int((~drawn).sum()),
        statuses=_statuses(summary),
        no_geometry=len(parcels) > 0 and not drawn.any(),
        runs_html=runs_html,
        changes=changes,
    )
    if content.not_drawn:
        content.parcel_list = (
            list_html(
                language, parcels[~drawn], all_parcels=content.no_geometry, as_of=content.as_of
            )
            or None
        )
    if use_tiles:
        content.tiles = _tile_settings(api_base or "/", run_query=run_query)
        if buildings_gdf is not None:
            content.footprint_tiles = _tile_settings(api_base or "/", "buildings", run_query)
    else:
        columns = [c for c in POPUP_COLUMNS if c in parcels.columns]
        content.parcels_json = escape_json_text(feature_collection_json(parcels, columns))
        if buildings_gdf is not None and len(buildings_gdf) > MAX_INLINE_FOOTPRINTS:
            log.warning(
                "%d footprints are too many for one page: not drawn; map one park (--park) "
                "or serve the results, whose map draws them from tiles.",
                len(buildings_gdf),
            )
        elif buildings_gdf is not None and len(buildings_gdf):
            content.buildings_json = escape_json_text(
                feature_collection_json(to_map_crs(buildings_gdf), ["building_id"])
            )
    head = _head(inline=inline, tiles=use_tiles, api_base=api_base, assets_url=assets_url)
    csp = _csp(base, served=not inline, api_base=api_base)
    return build_page(content, basemap=base, head=head, csp=csp)


def _head(*, inline: bool, tiles: bool, api_base: str | None, assets_url: str | None) -> str:
    if inline:
        return assets.inline_head(tiles=tiles)
    if assets_url is None:
        if api_base is None:
            raise ValueError("A page with linked assets needs assets_url or api_base.")
        assets_url = _join(api_base, ASSETS_PATH)
    return assets.linked_head(assets_url, tiles=tiles)


def _tile_settings(
    api_base: str, collection: str = "parcels", run_query: str = ""
) -> dict[str, Any]:
    return {
        "url": _join(api_base, f"collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}")
        + run_query,
        "itemsUrl": _join(api_base, f"collections/{collection}/items/"),
        "itemsQuery": run_query,
        "layer": collection,
        "minZoom": TILE_MIN_ZOOM,
        "maxNativeZoom": TILE_MAX_NATIVE_ZOOM,
    }


def page_html(m: folium.Map) -> str:
    """The complete HTML document of a map built here."""
    return m.get_root().render()


def write_standalone_html(
    results_path: str | PathLike[str],
    out_html: str | PathLike[str],
    *,
    park: str | None = None,
    lang: str = "zh",
    basemap: str | Basemap | None = None,
    title: str | None = None,
    name: str | None = None,
    outputs: OutputSet | None = None,
) -> Path:
    """Write the map of a results file as one self-contained HTML file and return its path.

    ``results_path``: a GeoPackage written by ``landuse analyse`` (layers ``parcels``,
    ``parks``, ``summary``) or its GeoParquet. ``park``: only that park. ``name``: what the
    title names (default: the park, else the results file's name). The page holds its data
    and every script, style and image: it opens from a USB stick with no server and, without a
    basemap, requests nothing. The file is written under a temporary name and renamed into
    place when complete; with ``outputs`` it is one file of that set (the caller commits).
    """
    language = check_lang(lang)
    results = read_results(results_path, park=park)
    drawn = int(has_geometry(results.parcels).sum())
    if drawn > STANDALONE_WARN_PARCELS:
        log.warning(
            "%d parcels in one standalone page: it will be slow to open; serve the results "
            "(`landuse serve`) and open /map, which draws them from vector tiles.",
            drawn,
        )
    name = park or name or Path(results_path).stem
    m = render_map(
        results.parcels,
        results.parks,
        results.summary,
        title=title or _title(language, name),
        lang=language,
        basemap=basemap,
        inline=True,
        buildings_gdf=results.buildings,
    )
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = page_html(m)
    if outputs is not None:
        outputs.temp(out).write_text(page, encoding="utf-8")
        return out
    with atomic_file(out) as temp:
        temp.write_text(page, encoding="utf-8")
    return out


def cli_map(
    results: str | PathLike[str],
    out: str | PathLike[str],
    park: str | None = None,
    lang: str = "zh",
    basemap: str | None = None,
    *,
    name: str | None = None,
    outputs: OutputSet | None = None,
) -> Path:
    """``landuse map RESULTS -o map.html [--park NAME] [--lang en] [--basemap SPEC]``.

    Raises :class:`~maps.errors.MapInputError` (an InputError and a ValueError) with a message
    for the user: unknown park, not a results file, bad basemap or language, not ``.html``.
    ``name`` and ``outputs``: see :func:`write_standalone_html`.
    """
    out_path = Path(out)
    if out_path.suffix.lower() not in (".html", ".htm"):
        raise MapInputError(f"The map is an HTML file: name it .html, not {out_path.name!r}.")
    return write_standalone_html(
        results, out_path, park=park, lang=lang, basemap=basemap, name=name, outputs=outputs
    )


# --------------------------------------------------------------------------- served page


def results_path_of(source: Any) -> Path:
    """The results file behind ``source``: a path, an API store (``.identity.path``), a store
    provider or app settings (``.settings.results_path`` / ``.results_path``), or a callable
    returning one of those."""
    if isinstance(source, str | PathLike):
        return Path(source)
    identity = getattr(source, "identity", None)
    if identity is not None and hasattr(identity, "path"):
        return Path(identity.path)
    settings = getattr(source, "settings", None)
    if settings is not None and getattr(settings, "results_path", None) is not None:
        return Path(settings.results_path)
    if getattr(source, "results_path", None) is not None:
        return Path(source.results_path)
    if callable(source):
        return results_path_of(source())
    raise TypeError(f"Cannot tell which results file {source!r} holds.")


def _source_of(source: Any) -> ResultsSource:
    """``source`` itself when it is a :class:`~landuse.source.ResultsSource`, else the file
    source of the results file :func:`results_path_of` finds behind it (one per file)."""
    if isinstance(source, ResultsSource):
        return source
    from api.store import FileSource

    path = results_path_of(source).expanduser().resolve()
    check_results_file(path)
    with _PAGE_LOCK:
        cached = _FILE_SOURCES.get(path)
        if cached is None:
            cached = FileSource.of_path(path)
            _FILE_SOURCES[path] = cached
            while len(_FILE_SOURCES) > _PAGE_CACHE_SIZE:
                _FILE_SOURCES.popitem(last=False)
    return cached


def _run_query(run: str | None, datetime: str | None) -> str:
    """The query that keeps a page's API requests on the run it shows."""
    params = {k: v for k, v in (("run", run), ("datetime", datetime)) if v is not None}
    return "?" + urlencode(params) if params else ""


def runs_selector(
    lang: Lang,
    runs: list[RunInfo],
    current: int,
    lang_param: bool,
    alerts: list[dict[str, Any]] | None = None,
    ranking: dict[str, Any] | None = None,
) -> str:
    """Links to the map of every run (newest as-of first), the shown one marked: the run
    selector of a served store of runs (plain links: nothing to run, nothing to submit);
    then the warnings standing after the shown run (``alerts``: those of
    :func:`landuse.ranking.ranking_document`), each with its runs; then the last places of
    the shown run's ranking (``ranking``: that document, folded) and a link to the whole."""
    title = "分析记录" if lang == "zh" else "Runs"
    order = sorted(runs, key=lambda r: (r.as_of_date or "", r.recorded_at or "", r.run_id))
    items = []
    for r in reversed(order):
        label = f"#{r.run_id} · {r.as_of_date or '?'}"
        query = {"run": str(r.run_id), **({"lang": lang} if lang_param else {})}
        if r.run_id == current:
            items.append(f'<li class="lu-run-current"><b>{esc(label)}</b></li>')
        else:
            items.append(f'<li><a href="?{esc(urlencode(query))}">{esc(label)}</a></li>')
    warned = ""
    if alerts:
        heading = "预警" if lang == "zh" else "Warnings"
        lines = [
            f'<li class="lu-alert lu-alert-{esc(a["level"])}">{esc(a["group"])} · '
            f"{esc(a['level_zh'])} · runs {esc(', '.join(str(r) for r in a['runs']))}</li>"
            for a in alerts
        ]
        warned = f'<div class="lu-sub">{esc(heading)}</div><ul>{"".join(lines)}</ul>'
    return (
        f'<details id="lu-runs" class="lu-runs" open style="display:none">'
        f"<summary>{esc(title)}</summary><ul>{''.join(items)}</ul>{warned}"
        f"{_last_places(lang, ranking, current, lang_param)}</details>"
    )


#: Places of a run's ranking listed on the map, from the last one up.
RANKING_SHOWN = 5


def _last_places(lang: Lang, ranking: dict[str, Any] | None, current: int, lang_param: bool) -> str:
    """The last :data:`RANKING_SHOWN` ranked groups of ``ranking`` (score as a share of their
    area, whether they miss the target), and a link to the whole ranking (``GET /ranking``)."""
    ranked = [r for r in (ranking or {}).get("ranking", []) if r.get("rank") is not None]
    if not ranked:
        return ""
    ranked.sort(key=lambda r: r["rank"])
    shown = ranked[-RANKING_SHOWN:][::-1]
    target = ranking.get("target_share") if ranking else None
    if lang == "zh":
        heading = f"排名（共 {len(ranked)} 个，末 {len(shown)} 位；得分：闲置或逾期面积占比"
        heading += f"，目标 ≤ {target:.0%}）" if target is not None else "）"
        missed, link_text = "未达标", "全部排名"
    else:
        heading = f"Ranking ({len(ranked)} ranked, last {len(shown)}; score: idle or overdue share"
        heading += f", target ≤ {target:.0%})" if target is not None else ")"
        missed, link_text = "misses target", "whole ranking"
    lines = []
    for r in shown:
        score = "" if r.get("score") is None else f" · {r['score']:.1%}"
        flag = f" · {missed}" if r.get("missed_target") else ""
        lines.append(f"<li>{r['rank']} · {esc(r['group'])}{esc(score)}{esc(flag)}</li>")
    query = {"run": str(current), **({"lang": lang} if lang_param else {})}
    link = f'<a href="ranking?{esc(urlencode(query))}">{esc(link_text)}</a>'
    # folded: open, the list would cover parcels in the map's corner
    return (
        f'<details class="lu-ranking"><summary class="lu-sub">{esc(heading)}</summary>'
        f"<ul>{''.join(lines)}</ul>{link}</details>"
    )


def _tile_page_content(
    view: ResultsView, lang: Lang, title: str, api_base: str, run_query: str
) -> PageContent:
    """Content of a tile-backed page: the parcels' attributes (no geometry) and the park
    outlines from the results source, the parcels themselves from the API's tiles."""
    wanted = list(dict.fromkeys([*map_columns(), "as_of_date"]))
    attrs = view.parcel_table(wanted, geometry=False)  # the parcels come from the tiles
    missing = ~attrs.pop("has_geometry").to_numpy(dtype=bool)
    outlines = view.park_outlines()
    parks = gpd.GeoDataFrame(
        outlines.drop(columns="geometry"),
        geometry=gpd.GeoSeries(outlines["geometry"].to_numpy(), crs=MAP_CRS),
        crs=MAP_CRS,
    )
    box = view.collection("parcels").bbox
    bounds = [[box[1], box[0]], [box[3], box[2]]] if box is not None else None
    footprints = None
    if any(info.id == "buildings" for info in view.collections()):
        footprints = _tile_settings(api_base, "buildings", run_query)
    summary = Summary.from_parcels(attrs)
    not_drawn = int(missing.sum())
    return PageContent(
        title=title,
        lang=lang,
        summary=summary,
        bounds=bounds,
        as_of=_as_of(attrs),
        parks_json=escape_json_text(feature_collection_json(parks, ["park"])),
        tiles=_tile_settings(api_base, run_query=run_query),
        footprint_tiles=footprints,
        not_drawn=not_drawn,
        statuses=_statuses(summary),
        parcel_list=(list_html(lang, attrs[missing], all_parcels=False) or None)
        if not_drawn
        else None,
    )


_PAGE_CACHE: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_FILE_SOURCES: OrderedDict[Path, ResultsSource] = OrderedDict()
_PAGE_LOCK = threading.Lock()
_PAGE_CACHE_SIZE = 16


def render_served_page(
    store_or_results_path: Any,
    api_base: str = "/",
    *,
    lang: str = "zh",
    basemap: str | Basemap | None = None,
    tile_threshold: int = DEFAULT_TILE_THRESHOLD,
    title: str | None = None,
    assets_url: str | None = None,
    run: str | None = None,
    datetime: str | None = None,
    lang_param: bool = False,
    rules: Any = None,
    compare: str | None = None,
) -> str:
    """The HTML of ``GET /map`` for the results the API serves.

    ``store_or_results_path``: the API's :class:`~landuse.source.ResultsSource`, or a results
    file (anything :func:`results_path_of` reads), served through a file source. ``run`` /
    ``datetime``: which run (as the API's parameters; :class:`~landuse.source.NotFound` and
    :class:`~landuse.source.InvalidQuery` as the API answers them); every API URL of the page
    carries them, and a source of several runs gets a run selector with the warnings
    standing after the run shown (ranked with ``rules``, a
    :class:`~landuse.rules_file.RuleSet`; none without) and a layer of the parcels whose
    status changed since run ``compare`` (default: the run before; :func:`run_changes`).

    Scripts and styles are linked from ``assets_url`` (default ``{api_base}map/assets/``,
    served by :func:`maps.assets.static_files`). Up to ``tile_threshold`` parcels are embedded
    as GeoJSON; above it parcels come from ``{api_base}collections/parcels/tiles/
    WebMercatorQuad/{z}/{y}/{x}`` and a click fetches ``{api_base}collections/parcels/items/
    {id}`` for the popup. Park outlines come from the source (the API's parks collection
    draws the same ones), embedded. The page is cached per results (the view's ETag) and
    arguments, so new results give a new page.
    """
    language = check_lang(lang)
    source = _source_of(store_or_results_path)
    view = source.view(run, datetime)
    base = Basemap.parse(basemap, lang=language)
    key = (
        source.name,
        view.etag,
        api_base,
        language,
        base,
        tile_threshold,
        title,
        assets_url,
        run,
        datetime,
        lang_param,
        # a store's page lists its runs: a new run gives every run's page anew
        tuple(r.run_id for r in source.runs()) if source.multiple_runs else (),
        id(rules),
        compare,
    )
    with _PAGE_LOCK:
        cached = _PAGE_CACHE.get(key)
        if cached is not None:
            _PAGE_CACHE.move_to_end(key)
            return cached
    name = source.name
    if source.multiple_runs:
        name = f"{name} · {view.as_of or ''}"
    page_title = title or _title(language, name)
    run_query = _run_query(run, datetime)
    runs_html = None
    changes = None
    if source.multiple_runs:
        changes = run_changes(language, source, view.run, compare)
        listed = source.runs()
        alerts = ranked = None
        if rules is not None:
            from landuse.ranking import rank_runs, ranking_document

            rankings = rank_runs(listed, view.run, source.run_columns, rules)
            ranked = ranking_document(rankings, rules)
            alerts = ranked["warnings"]  # type: ignore[assignment]
        runs_html = runs_selector(language, listed, view.run.run_id, lang_param, alerts, ranked)
    parcels = view.collection("parcels")
    drawable = parcels.size - parcels.without_geometry
    # results of ledgers alone: nothing to tile, the page lists the parcels instead
    if parcels.size <= tile_threshold or drawable == 0:
        results = results_of_view(view, Path(source.name))
        m = render_map(
            results.parcels,
            results.parks,
            results.summary,
            title=page_title,
            lang=language,
            basemap=base,
            inline=False,
            api_base=api_base,
            tile_threshold=tile_threshold,
            assets_url=assets_url,
            buildings_gdf=results.buildings,
            run_query=run_query,
            runs_html=runs_html,
            changes=changes,
        )
    else:
        content = _tile_page_content(view, language, page_title, api_base, run_query)
        content.runs_html = runs_html
        content.changes = changes
        head = _head(inline=False, tiles=True, api_base=api_base, assets_url=assets_url)
        csp = _csp(base, served=True, api_base=api_base)
        m = build_page(content, basemap=base, head=head, csp=csp)
    page = page_html(m)
    del m
    with _PAGE_LOCK:
        _PAGE_CACHE[key] = page
        while len(_PAGE_CACHE) > _PAGE_CACHE_SIZE:
            _PAGE_CACHE.popitem(last=False)
    release_memory()  # the page's working tables (a province's parcels: hundreds of MB)
    return page
