"""Frames of a province's parcels put together without copying their columns.

A pandas frame built column by column keeps one block per column; handing such a frame to
``gpd.GeoDataFrame(frame, geometry=...)`` copies it (GeoPandas asks pandas for a copy, and
setting the geometry of a wide frame merges its float columns into one block): at a million
parcels, a few hundred megabytes and most of a second each time. A frame of the geometry
alone, joined to the attributes with ``pd.concat``, shares every column instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd


def geo_frame(
    parts: Sequence[pd.DataFrame],
    geometry: np.ndarray | gpd.array.GeometryArray,
    crs,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """``parts`` (frames on one index, in order) and ``geometry`` (one per row) as one
    GeoDataFrame whose geometry column is ``geometry``, columns in the order of ``columns``
    (default: the parts' columns, then ``geometry``). No column is copied."""
    index = parts[0].index if parts else None
    geo = gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(geometry, index=index, crs=crs).values, index=index, crs=crs
    )
    joined = pd.concat([geo, *parts], axis=1)
    if columns is None:
        columns = [*(name for part in parts for name in part.columns), "geometry"]
    return joined[list(columns)]
