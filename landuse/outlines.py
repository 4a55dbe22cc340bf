"""Park outlines drawn from their parcels, for parks the results carry no boundary for.

The one definition of such an outline: the results source (:mod:`api.store`, the API's parks
collection and the served map) and :func:`maps.render.render_map` given no boundaries both
use :func:`park_hulls`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely


def park_hulls(bounds: np.ndarray, park: pd.Series, names: list[str]) -> np.ndarray:
    """A boundary for each park in ``names`` from its parcels' ``bounds`` (n x 4, projected
    coordinates, NaN for a parcel without geometry; ``park`` names each parcel's park): the
    concave hull (ratio 0.3) of the parcels' bounding-box corners, thinned to one corner per
    cell of a 256 x 256 grid over the park so that a large park costs no more than a small
    one, joined with the box of every parcel the hull does not cover (each parcel lies inside
    its park's outline)."""
    out = np.empty(len(names), dtype=object)
    codes = pd.Index(names).get_indexer(park)  # -1: another park, or none
    for i in range(len(names)):  # one iteration per park, not per parcel
        b = bounds[(codes == i) & ~np.isnan(bounds[:, 0])]
        if len(b) == 0:
            out[i] = None
            continue
        corners = np.concatenate([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]])
        lo = corners.min(axis=0)
        cell = max(float(np.ptp(corners[:, 0])), float(np.ptp(corners[:, 1])), 1e-9) / 256
        grid = np.floor((corners - lo) / cell).astype(np.int64)
        _, first = np.unique(grid[:, 0] * 1024 + grid[:, 1], return_index=True)
        points = corners[np.sort(first)]
        if len(points) < 3:
            out[i] = shapely.box(*b[:, :2].min(axis=0), *b[:, 2:].max(axis=0))
            continue
        # One linestring through the points: hulls only look at vertices, and one geometry
        # is much cheaper to build than a multipoint of many points.
        hull = shapely.concave_hull(shapely.linestrings(points), ratio=0.3)
        # A concave hull passes through the corners but may cut across a parcel between
        # them: the boxes of the parcels it does not cover are added, so no parcel is left
        # outside its park's outline.
        boxes = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
        shapely.prepare(hull)
        outside = boxes[~shapely.covers(hull, boxes)]
        out[i] = shapely.union_all([hull, *outside]) if len(outside) else hull
    return out


__all__ = ["park_hulls"]
