"""Coordinate reference systems for area work (RULES.md section 1).

Areas are computed on a projected CRS in metres. Layers in degrees (EPSG:4490, 4326) or in a
Mercator projection (which overstates areas by 1/cos²(latitude): 1.33x at 30°N) are
reprojected to the CGCS2000 3-degree Gauss-Krüger zone of the layer's centre. Other projected
CRSs in metres are kept; projected CRSs in other units (feet) are reprojected too. A layer
without a CRS is refused with a message that says how to set one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError

from landuse.errors import InputError

__all__ = ["AreaCRS", "area_crs", "gk_zone_epsg", "set_crs_if_missing", "to_area_crs"]

# CGCS2000 / 3-degree Gauss-Kruger zone 25 (CM 75°E) ... zone 45 (CM 135°E), eastings with the
# zone number prefixed (EPSG:4513-4533).
GK_FIRST_EPSG = 4513
GK_FIRST_ZONE = 25
GK_LAST_ZONE = 45
CHINA_LON_MIN = 73.5
CHINA_LON_MAX = 136.5


def gk_zone_epsg(lon_deg: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (zone-prefixed eastings) for a
    longitude: zone = round(lon / 3), e.g. 123.3°E -> zone 41 -> EPSG:4529.

    Raises ValueError outside China's zones (73.5-136.5°E).
    """
    lon = float(lon_deg)
    if not (math.isfinite(lon) and CHINA_LON_MIN <= lon <= CHINA_LON_MAX):
        raise ValueError(
            f"longitude {lon_deg} is outside China's Gauss-Kruger zones "
            f"({CHINA_LON_MIN}-{CHINA_LON_MAX}°E)"
        )
    zone = min(max(math.floor(lon / 3 + 0.5), GK_FIRST_ZONE), GK_LAST_ZONE)
    return GK_FIRST_EPSG + zone - GK_FIRST_ZONE


@dataclass(frozen=True)
class AreaCRS:
    """The CRS a layer's areas are computed in: ``crs``; ``reproject`` says whether the layer
    must be transformed to it; ``note`` explains a reprojection (None when the layer's own
    projected CRS in metres is kept)."""

    crs: CRS
    reproject: bool
    note: str | None = None


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else repr(crs.name)


def _horizontal(crs: CRS) -> CRS:
    """The horizontal part of a compound (2D + height) CRS."""
    if crs.is_compound and crs.sub_crs_list:
        return crs.sub_crs_list[0]
    return crs


def _is_mercator(crs: CRS) -> bool:
    op = crs.coordinate_operation
    method = (op.method_name if op is not None else "").lower()
    return "mercator" in method and "transverse" not in method and "oblique" not in method


def _metre_units(crs: CRS) -> bool:
    axes = crs.axis_info
    return bool(axes) and all(
        math.isclose(a.unit_conversion_factor, 1.0) and a.unit_name in {"metre", "meter", "m"}
        for a in axes[:2]
    )


def _target(gdf: gpd.GeoDataFrame, crs: CRS, source: str) -> tuple[CRS, float]:
    """The Gauss-Krüger zone CRS of the layer's bounding-box centre, and the centre latitude."""
    bounds = gdf.total_bounds
    if not np.all(np.isfinite(bounds)):
        raise InputError(
            f"{source} has no geometries, so no area can be computed. Pass the layer with the "
            f"parcel polygons."
        )
    if crs.is_geographic and (
        np.abs(bounds[[0, 2]]).max() > 180 or np.abs(bounds[[1, 3]]).max() > 90
    ):
        raise InputError(
            f"{source}: its CRS {_label(crs)} is in degrees, but the coordinates reach "
            f"x={bounds[2]:,.0f}, y={bounds[3]:,.0f}, which are metres. The .prj file is wrong: "
            f"set the real projected CRS (e.g. EPSG:4529 for CGCS2000 3-degree Gauss-Kruger zone "
            f"41) in QGIS via Layer > Set CRS of Layer(s) and save, or replace the .prj."
        )
    to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs or CRS.from_epsg(4326), always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*bounds, densify_pts=21)
    lon, lat = (west + east) / 2, (south + north) / 2
    if CHINA_LON_MIN <= lon <= CHINA_LON_MAX:
        return CRS.from_epsg(gk_zone_epsg(lon)), lat
    # Outside China a UTM zone keeps areas as accurate as a Gauss-Krüger zone would.
    zones = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not zones:
        raise InputError(
            f"{source}: no projected CRS for area work was found around {lon:.2f}°, "
            f"{lat:.2f}°. Reproject the layer to an equal-area or local projected CRS in metres "
            f"(QGIS: Export > Save Features As, choose the CRS) and pass it again."
        )
    return CRS.from_epsg(int(zones[0].code)), lat


def area_crs(gdf: gpd.GeoDataFrame, *, source: str) -> AreaCRS:
    """Decide the CRS for computing ``gdf``'s areas (see the module docstring).

    ``source`` names the layer in messages (e.g. the file name). Raises :class:`InputError`
    when the layer has no CRS, or when its coordinates contradict a geographic CRS.
    """
    if gdf.crs is None:
        raise InputError(
            f"{source} has no coordinate reference system (a shapefile without its .prj file, "
            f"or a layer saved without a CRS), so its areas cannot be computed. Copy the .prj "
            f"file that belongs to it beside the .shp, or define the CRS in QGIS via Layer > "
            f"Set CRS of Layer(s) and save the layer, or pass the CRS on the command line, e.g. "
            f"--crs EPSG:4490 (CGCS2000 longitude/latitude) or --crs EPSG:4529 (CGCS2000 "
            f"3-degree Gauss-Kruger zone 41)."
        )
    crs = _horizontal(CRS.from_user_input(gdf.crs))
    if crs.is_projected and not _is_mercator(crs) and _metre_units(crs):
        return AreaCRS(crs, reproject=False)

    if not (crs.is_geographic or crs.is_projected):
        if _metre_units(crs):
            return AreaCRS(
                crs,
                reproject=False,
                note=f"{source}: {_label(crs)} is a local (engineering) CRS in metres; areas "
                f"are taken from its coordinates as they are",
            )
        raise InputError(
            f"{source}: its CRS {_label(crs)} is neither longitude/latitude nor a map "
            f"projection in metres, so areas cannot be computed. Reproject the layer to "
            f"CGCS2000 (EPSG:4490) or a Gauss-Kruger zone such as EPSG:4529 in QGIS (Export > "
            f"Save Features As) and pass it again."
        )
    target, lat = _target(gdf, crs, source)
    if crs.is_geographic:
        why = "is geographic"
    elif _is_mercator(crs):
        factor = 1 / math.cos(math.radians(lat)) ** 2
        why = f"is a Mercator projection (overstates areas {factor:.2f}x at {lat:.0f}°)"
    else:
        unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown units"
        why = f"is in {unit}, not metres"
    note = (
        f"{source}: {_label(crs)} {why}; reprojected to {_label(target)} ({target.name}) for "
        f"area work"
    )
    return AreaCRS(target, reproject=True, note=note)


def to_area_crs(gdf: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Return ``gdf`` in a projected CRS in metres, and a note if it was reprojected.

    Geographic and Mercator layers (and projected layers in feet) are reprojected to the
    CGCS2000 3-degree Gauss-Krüger zone of the layer's centre (a UTM zone outside China);
    a projected CRS in metres is kept and the note is None (a local engineering CRS in metres
    is kept too, with a note).
    """
    choice = area_crs(gdf, source=source)
    if not choice.reproject:
        return gdf, choice.note
    return gdf.to_crs(choice.crs), choice.note


def set_crs_if_missing(gdf: gpd.GeoDataFrame, crs: str | None) -> gpd.GeoDataFrame:
    """Give a layer without a CRS the CRS ``crs`` (e.g. from a ``--crs EPSG:4490`` option).

    A layer that has a CRS keeps it; ``crs=None`` changes nothing. Raises :class:`InputError`
    for a CRS text that pyproj does not understand.
    """
    if crs is None or gdf.crs is not None:
        return gdf
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError as exc:
        raise InputError(
            f"--crs {crs!r} is not a coordinate reference system pyproj knows ({exc}). Use an "
            f"EPSG code such as EPSG:4490 (CGCS2000 longitude/latitude), EPSG:4326 (WGS 84) or "
            f"EPSG:4529 (CGCS2000 3-degree Gauss-Kruger zone 41)."
        ) from exc
    return gdf.set_crs(parsed)
