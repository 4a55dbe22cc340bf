"""The page's JavaScript and CSS: Leaflet from the ``xstatic-leaflet`` package, the project's own
scripts from ``maps/static``. Nothing is fetched from a CDN.

A standalone page inlines every asset (:func:`inline_head`), with the images Leaflet's CSS
refers to turned into ``data:`` URLs; a page served by the API links to them under one URL
prefix (:func:`linked_head`), served by :func:`static_files` (a Starlette ``StaticFiles`` over
the two package folders).
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import xstatic.pkg.leaflet as xstatic_leaflet

if TYPE_CHECKING:  # pragma: no cover
    from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
LEAFLET_DIR = Path(xstatic_leaflet.BASE_DIR)
LEAFLET_VERSION: str = xstatic_leaflet.VERSION

#: Stylesheets and scripts of a page, in load order: (file name, folder).
CSS_FILES: tuple[tuple[str, Path], ...] = (
    ("leaflet.css", LEAFLET_DIR),
    ("landuse-map.css", STATIC_DIR),
)
JS_FILES: tuple[tuple[str, Path], ...] = (
    ("leaflet.js", LEAFLET_DIR),
    ("landuse-map.js", STATIC_DIR),
)
#: Extra script of the tile-backed page (an MVT reader and canvas tile layer).
TILES_JS: tuple[str, Path] = ("landuse-tiles.js", STATIC_DIR)

_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_STYLE_END = re.compile(r"</(style)", re.IGNORECASE)


def assets_dirs() -> tuple[Path, ...]:
    """The folders the page's assets are served from (the project's first)."""
    return (STATIC_DIR, LEAFLET_DIR)


def asset_path(name: str) -> Path:
    """The file of asset ``name`` (``leaflet.js``, ``landuse-map.css``, ``images/layers.png``)."""
    for folder in assets_dirs():
        candidate = (folder / name).resolve()
        if candidate.is_relative_to(folder) and candidate.is_file():
            return candidate
    raise FileNotFoundError(f"No map asset {name!r} in {', '.join(map(str, assets_dirs()))}")


@cache
def _read(name: str) -> str:
    return asset_path(name).read_text(encoding="utf-8")


def _data_url(match: re.Match[str]) -> str:
    data = base64.b64encode(asset_path(match.group(2)).read_bytes()).decode("ascii")
    return f"url(data:image/png;base64,{data})"


@cache
def inline_css(name: str) -> str:
    """A stylesheet with its ``images/*.png`` references embedded as ``data:`` URLs."""
    return _STYLE_END.sub(r"<\\/\1", _CSS_URL.sub(_data_url, _read(name)))


@cache
def inline_js(name: str) -> str:
    """A script safe to put inside ``<script>`` (a literal ``</script`` is written ``<\\/script``,
    which means the same inside JavaScript strings and regular expressions)."""
    return _SCRIPT_END.sub(r"<\\/\1", _read(name))


def inline_head(*, tiles: bool = False) -> str:
    """``<style>`` and ``<script>`` elements holding every asset of the page."""
    js = [*JS_FILES, TILES_JS] if tiles else list(JS_FILES)
    parts = [f"<style>{inline_css(name)}</style>" for name, _ in CSS_FILES]
    parts += [f"<script>{inline_js(name)}</script>" for name, _ in js]
    return "\n".join(parts)


def linked_head(assets_url: str, *, tiles: bool = False) -> str:
    """``<link>`` and ``<script src>`` elements loading every asset from ``assets_url``."""
    base = assets_url if assets_url.endswith("/") else assets_url + "/"
    js = [*JS_FILES, TILES_JS] if tiles else list(JS_FILES)
    parts = [f'<link rel="stylesheet" href="{html.escape(base + name)}">' for name, _ in CSS_FILES]
    parts += [f'<script src="{html.escape(base + name)}"></script>' for name, _ in js]
    return "\n".join(parts)


def static_files() -> StaticFiles:
    """A Starlette app serving the map assets (mount it where ``assets_url`` points)::

    app.mount("/map/assets", maps.static_files(), name="map-assets")
    """
    from starlette.staticfiles import StaticFiles

    return StaticFiles(packages=[("maps", "static"), ("xstatic.pkg.leaflet", "data")])
