"""Building measures per parcel on a Dask cluster (the optional ``[dask]`` extra).

The same computation as :func:`landuse.buildings.parcel_building_metrics`, partitioned in space:
parcels are sorted along a Hilbert curve (the ordering of dask-geopandas' ``spatial_shuffle``)
and cut into partitions of equal size; each partition is sent to the workers
(``Client.scatter``, geometries as WKB) with the buildings whose bounding box meets the
partition's, and measured there. A parcel sees
every building that touches it, and every per-parcel sum runs in the buildings' global order,
so the result is identical, bit for bit, to the single-process path.

``workers`` is a number of local worker processes (a ``distributed.LocalCluster`` is started
and closed), the address of a running scheduler (``"tcp://10.0.0.5:8786"``), or a
``distributed.Client``. The inputs are in memory on the client (a province's footprints take a
few GB); the partitions are sent to the workers with the tasks that measure them.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.buildings import _metrics, _summary, _survey_start

__all__ = ["parcel_building_metrics_dask"]

# Parcels per partition when ``npartitions`` is not given.
PARCELS_PER_PARTITION = 50_000


def _require() -> tuple[Any, Any, Any]:
    try:
        import dask
        import dask_geopandas
        import distributed
    except ImportError as exc:  # pragma: no cover - the test extra installs them
        raise ImportError(
            "the partitioned path needs dask-geopandas and distributed: pip install 'landuse[dask]'"
        ) from exc
    return dask, dask_geopandas, distributed


def _hilbert_slices(geoms: np.ndarray, npartitions: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Positions of ``geoms`` sorted along a Hilbert curve (level 16 over the total bounds:
    geopandas' ``hilbert_distance``, the ordering of dask-geopandas' ``spatial_shuffle``),
    cut into ``npartitions`` slices of equal size, and each slice's bounds (k, 4)."""
    distance = gpd.GeoSeries(geoms).hilbert_distance().to_numpy()
    order = np.argsort(distance, kind="stable")
    slices = [s for s in np.array_split(order, npartitions) if len(s)]
    box = shapely.bounds(geoms)
    bounds = np.array(
        [[*box[s, :2].min(axis=0), *box[s, 2:].max(axis=0)] for s in slices]  # per partition
    ).reshape(-1, 4)
    return slices, bounds


def _pack(frame: gpd.GeoDataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of ``frame`` as plain arrays with the geometry as WKB: pickled by buffer, tens of
    times faster than geometry objects one by one."""
    part = frame.iloc[rows]
    packed = {c: part[c].to_numpy() for c in part.columns if c != "geometry"}
    packed["geometry"] = shapely.to_wkb(np.asarray(part.geometry.values, dtype=object))
    return packed


def _unpack(packed: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    columns = {c: v for c, v in packed.items() if c != "geometry"}
    return gpd.GeoDataFrame(columns, geometry=shapely.from_wkb(packed["geometry"]))


def _partition_metrics(
    parcels_packed: dict[str, np.ndarray],
    buildings_packed: dict[str, np.ndarray],
    options: dict[str, Any],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Measures of one parcel partition: ``(frame indexed by _pos, building orders, parcels
    per building, parcels with overlaps)``."""
    parcels = _unpack(parcels_packed)
    buildings = _unpack(buildings_packed)
    out, core, _ = _metrics(
        gpd.GeoSeries(parcels.geometry.values, index=parcels["_pos"].to_numpy()),
        buildings,
        order=buildings["_order"].to_numpy(),
        previous=None,
        threads=1,
        **options,
    )
    return (
        out,
        buildings["_order"].to_numpy(),
        core.parcels_per_building,
        core.parcels_with_overlaps,
    )


def parcel_building_metrics_dask(
    parcels_geom: Any,
    buildings: Any,
    *,
    workers: int | str | Any = 2,
    npartitions: int | None = None,
    processes: bool = True,
    storey_height_m: float = 3.0,
    tall_floor_m: float = 8.0,
    count_tall_twice: bool = False,
    extent: Any = None,
    survey_start: Any = None,
) -> pd.DataFrame:
    """:func:`landuse.buildings.parcel_building_metrics` partitioned on a Dask cluster.

    ``parcels_geom``: parcel polygons (array, GeoSeries or GeoDataFrame; a dask-geopandas
    frame is gathered first); ``buildings``: a frame of
    :func:`landuse.buildings.read_buildings` (or a dask-geopandas frame of one). ``workers``: local worker processes
    (``processes=False``: threads of this process), a scheduler address, or a
    ``distributed.Client``. ``npartitions``: parcel partitions (default: one per 50,000
    parcels, at least two per worker); buildings get as many.

    Returns the same frame (and ``attrs["summary"]``) as the single-process path, indexed
    like the parcels. The two-survey column ``new_footprint_m2`` is computed by the
    single-process path only.
    """
    _, dask_geopandas, distributed = _require()

    if isinstance(parcels_geom, dask_geopandas.GeoDataFrame):
        parcels_geom = parcels_geom.compute()
    if isinstance(buildings, dask_geopandas.GeoDataFrame):
        buildings = buildings.compute()
    if isinstance(parcels_geom, gpd.GeoDataFrame):
        parcels_geom = parcels_geom.geometry
    if isinstance(parcels_geom, gpd.GeoSeries):
        geoms, index = np.asarray(parcels_geom.values, dtype=object), parcels_geom.index
    else:
        geoms = np.asarray(parcels_geom, dtype=object)
        index = pd.RangeIndex(len(geoms))
    n, m = len(geoms), len(buildings)

    # global values every partition must share
    bgeoms = np.asarray(buildings.geometry.values, dtype=object)
    if extent is None:
        extent = tuple(shapely.total_bounds(bgeoms))
    if survey_start is None:
        dates = (
            buildings["survey_date"]
            if "survey_date" in buildings
            else pd.Series([], dtype="M8[ns]")
        )
        survey_start = _survey_start(dates)
    if pd.isna(survey_start):
        survey_start = pd.NaT
    columns = [c for c in ("floors", "height_m", "survey_date") if c in buildings]
    bframe = gpd.GeoDataFrame(
        {**{c: buildings[c].to_numpy() for c in columns}, "_order": np.arange(m)},
        geometry=bgeoms,
        crs=buildings.crs,
    )
    pframe = gpd.GeoDataFrame({"_pos": np.arange(n)}, geometry=geoms, crs=buildings.crs)

    own_client = None
    if isinstance(workers, distributed.Client):
        client = workers
    elif isinstance(workers, str):
        client = own_client = distributed.Client(workers)
    else:
        cluster = distributed.LocalCluster(
            n_workers=int(workers),
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        client = own_client = distributed.Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info()["workers"]))
        k = npartitions or max(2 * n_workers, math.ceil(n / PARCELS_PER_PARTITION))
        k = max(1, min(k, n)) if n else 1
        pslices, pbounds = _hilbert_slices(geoms, k)
        # every partition gets the buildings whose box meets the box of its parcels (a building
        # near a partition edge goes to both sides; one outside every box goes nowhere)
        bbox = shapely.bounds(bgeoms) if m else np.empty((0, 4))
        routes = [
            np.flatnonzero(
                (bbox[:, 0] <= x1) & (bbox[:, 2] >= x0) & (bbox[:, 1] <= y1) & (bbox[:, 3] >= y0)
            )
            for x0, y0, x1, y1 in pbounds  # one pass per partition
        ]
        parcel_parts = client.scatter([_pack(pframe, s) for s in pslices], hash=False)
        building_parts = client.scatter([_pack(bframe, r) for r in routes], hash=False)
        options = {
            "storey_height_m": storey_height_m,
            "tall_floor_m": tall_floor_m,
            "count_tall_twice": count_tall_twice,
            "extent": extent,
            "survey_start": survey_start,
        }
        futures = [
            client.submit(_partition_metrics, part, buildings_, options, pure=False)
            for part, buildings_ in zip(parcel_parts, building_parts, strict=True)
        ]
        results = client.gather(futures)
    finally:
        if own_client is not None:
            cluster_ = own_client.cluster
            own_client.close()
            if cluster_ is not None:
                cluster_.close()

    frames = [r[0] for r in results]
    out = pd.concat(frames).sort_index()
    out.index = index[out.index.to_numpy()]
    per_building = np.zeros(m, dtype=np.int64)
    for _, orders, counts, _ in results:
        np.add.at(per_building, orders, counts)
    overlapping = sum(r[3] for r in results)
    out.attrs["summary"] = _summary(bgeoms, per_building, out, overlapping)
    return out
