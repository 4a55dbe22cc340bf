"""The optional background map: none (the default), Tianditu, or the bureau's own XYZ server.

A basemap is the one thing on the page that may request tiles from another machine, and only
when asked for. Tianditu (天地图) is used through its Web-Mercator (``_w``) WMTS layers: the
vector map ``vec_w`` and its annotation ``cva_w`` (Chinese) or ``eva_w`` (English). Parcels are
drawn in WGS84/CGCS2000 longitude/latitude, which matches Tianditu and a bureau's own
CGCS2000 tiles to well under a metre. Never pair them with Amap/Tencent/Baidu tiles: those are
shifted by hundreds of metres (GCJ-02/BD-09).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from maps.errors import MapInputError

TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_ATTRIBUTION = "天地图 Tianditu"


@dataclass(frozen=True)
class TileSpec:
    """One raster tile layer: an XYZ URL template for ``L.tileLayer``."""

    url: str
    attribution: str = ""
    subdomains: str = "abc"
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """Background tile layers, drawn in order (an annotation layer after its map)."""

    layers: tuple[TileSpec, ...] = field(default_factory=tuple)

    @classmethod
    def none(cls) -> Basemap:
        """No background: the page requests nothing from another machine."""
        return cls()

    @classmethod
    def tianditu(cls, key: str, *, lang: str = "zh") -> Basemap:
        """Tianditu's vector map and annotation (Web Mercator ``_w`` layers) with ``key``."""
        key = key.strip()
        if not key or not key.isalnum():
            raise MapInputError("A Tianditu key is a string of letters and digits (tk=...).")
        labels = "cva" if lang == "zh" else "eva"
        return cls(
            tuple(
                TileSpec(
                    TIANDITU_URL.replace("{layer}", layer).replace("{key}", key),
                    TIANDITU_ATTRIBUTION,
                    TIANDITU_SUBDOMAINS,
                    18,
                )
                for layer in ("vec", labels)
            )
        )

    @classmethod
    def xyz(cls, url: str, attribution: str = "") -> Basemap:
        """Any XYZ tile server, e.g. the bureau's own ``http://tiles.local/{z}/{x}/{y}.png``."""
        if not all(part in url for part in ("{z}", "{x}", "{y}")):
            raise MapInputError(f"An XYZ basemap URL needs {{z}}, {{x}} and {{y}}: {url!r}")
        if not url.startswith(("http://", "https://", "/")):
            raise MapInputError(f"An XYZ basemap URL starts with http://, https:// or /: {url!r}")
        return cls((TileSpec(url, attribution),))

    @classmethod
    def parse(cls, spec: str | Basemap | None, *, lang: str = "zh") -> Basemap:
        """A basemap from its command-line form: ``none`` (or None), ``tianditu:KEY``, or an
        XYZ URL template."""
        if isinstance(spec, Basemap):
            return spec
        if spec is None or spec.strip().lower() in ("", "none"):
            return cls.none()
        spec = spec.strip()
        if spec.lower().startswith("tianditu:"):
            return cls.tianditu(spec.split(":", 1)[1], lang=lang)
        return cls.xyz(spec)
