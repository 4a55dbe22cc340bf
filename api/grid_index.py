"""A static spatial index of boxes on a uniform grid, held in a few numpy arrays.

The service asks one question of its spatial index: which features' boxes meet this box (an
items ``bbox``, a tile). For a province's parcels the usual answers cost too much memory to
hold all the time: an STRtree of 1,000,000 box polygons holds about 515 MB (the polygons plus
the tree), an ``rtree`` (libspatialindex) index about 174 MB and 1.4 s to build; this grid
holds about 10 bytes per feature (its cell lists; the boxes are the caller's) and builds in
0.2-1.1 s (``benchmarks/README.md``).

Each box is listed in every grid cell it meets; cells are about the size of a typical box, so
most boxes are listed in one to four cells. Boxes that would be listed in more than
:data:`MAX_CELLS` cells (a park-sized parcel among small ones) are kept apart and tested one
by one, like the boxes of a query that covers much of the grid.
"""

from __future__ import annotations

import math

import numpy as np

#: A box listed in more cells than this is kept apart and tested on every query.
MAX_CELLS = 16


class GridIndex:
    """Boxes (``bounds``: n x 4, ``minx, miny, maxx, maxy``; NaN rows have no box).

    :meth:`query` gives the ascending positions of the boxes that meet a box (touching
    counts, as an STRtree's envelope query)."""

    def __init__(self, bounds: np.ndarray, *, per_cell: float = 2.0) -> None:
        self.bounds = bounds
        valid = np.flatnonzero(~np.isnan(bounds[:, 0]))
        self.size = len(valid)
        self.cells = np.zeros(2, dtype=np.int64)
        self.members = np.zeros(0, dtype=np.int32)
        self.apart = np.zeros(0, dtype=np.int64)
        self.nx = self.ny = 1
        self.origin = (0.0, 0.0)
        self.cell = 1.0
        if self.size == 0:
            return
        b = bounds[valid]
        x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
        width = max(float(b[:, 2].max()) - x0, 1e-12)
        height = max(float(b[:, 3].max()) - y0, 1e-12)
        typical = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))
        even = math.sqrt(width * height * per_cell / self.size)
        cell = max(typical, even, 1e-12)
        while (width / cell + 1) * (height / cell + 1) > 4 * self.size + 64:
            cell *= 2  # never more cells than a few per box
        self.cell = cell
        self.origin = (x0, y0)
        self.nx = int(width / cell) + 1
        self.ny = int(height / cell) + 1
        ix0, iy0 = self._col(b[:, 0]), self._row(b[:, 1])
        ix1, iy1 = self._col(b[:, 2]), self._row(b[:, 3])
        w = ix1 - ix0 + 1
        count = w * (iy1 - iy0 + 1)
        small = count <= MAX_CELLS
        self.apart = valid[~small]
        own, ix0, iy0, w, count = valid[small], ix0[small], iy0[small], w[small], count[small]
        # every (box, cell) pair, without a loop: box k is listed count[k] times
        box = np.repeat(np.arange(len(own)), count)
        first = np.cumsum(count) - count
        k = np.arange(len(box)) - first[box]
        cells = (iy0[box] + k // w[box]) * self.nx + ix0[box] + k % w[box]
        order = np.argsort(cells, kind="stable")  # within a cell, positions ascend
        self.members = own[box[order]].astype(np.int32 if len(bounds) < 2**31 else np.int64)
        self.cells = np.zeros(self.nx * self.ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(cells, minlength=self.nx * self.ny), out=self.cells[1:])

    def _col(self, x: np.ndarray | float) -> np.ndarray:
        return np.clip(
            np.floor((np.asarray(x) - self.origin[0]) / self.cell), 0, self.nx - 1
        ).astype(np.int64)

    def _row(self, y: np.ndarray | float) -> np.ndarray:
        return np.clip(
            np.floor((np.asarray(y) - self.origin[1]) / self.cell), 0, self.ny - 1
        ).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes the index holds beyond the caller's ``bounds``."""
        return self.cells.nbytes + self.members.nbytes + self.apart.nbytes

    def _meets(
        self, positions: np.ndarray, x0: float, y0: float, x1: float, y1: float
    ) -> np.ndarray:
        b = self.bounds[positions]
        keep = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return positions[keep]

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Ascending positions of the boxes that meet ``(x0, y0, x1, y1)``."""
        if self.size == 0 or x1 < x0 or y1 < y0:
            return np.zeros(0, dtype=np.int64)
        found = [self._meets(self.apart, x0, y0, x1, y1)]
        gx, gy = self.origin
        reach_x = gx + self.nx * self.cell
        reach_y = gy + self.ny * self.cell
        if x1 >= gx and y1 >= gy and x0 <= reach_x and y0 <= reach_y:
            c0, c1 = int(self._col(x0)), int(self._col(x1))
            r0, r1 = int(self._row(y0)), int(self._row(y1))
            if (c1 - c0 + 1) * (r1 - r0 + 1) * 2 > self.nx * self.ny:
                # much of the grid: test every box at once
                candidates = np.flatnonzero(~np.isnan(self.bounds[:, 0]))
            else:
                rows = [
                    self.members[self.cells[r * self.nx + c0] : self.cells[r * self.nx + c1 + 1]]
                    for r in range(r0, r1 + 1)  # one slice per grid row of the query
                ]
                candidates = np.unique(np.concatenate(rows)).astype(np.int64)
            found.append(self._meets(candidates, x0, y0, x1, y1))
        return np.unique(np.concatenate(found)).astype(np.int64)
