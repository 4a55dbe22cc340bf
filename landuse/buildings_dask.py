"""Building measures per parcel on a Dask cluster (the optional ``[dask]`` extra).

The same computation as :func:`landuse.buildings.parcel_building_metrics`, partitioned in space:
parcels and buildings are sorted along a Hilbert curve and cut into partitions (dask-geopandas),
each partition's convex hull is computed, and every parcel partition is measured against the
building partitions whose hulls meet its own. A parcel sees every building that touches it, and
every per-parcel sum runs in the buildings' global order, so the result is identical, bit for
bit, to the single-process path.

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


def _hilbert_partitions(frame: gpd.GeoDataFrame, npartitions: int) -> Any:
    """A dask-geopandas frame of ``frame`` sorted by Hilbert distance (geopandas' level-16
    curve over the frame's bounds), in ``npartitions`` spatially contiguous partitions whose
    convex hulls (``spatial_partitions``) are computed here, before any data is sent out."""
    dask, dask_geopandas, _ = _require()
    distance = frame.geometry.hilbert_distance().to_numpy()
    ordered = frame.iloc[np.argsort(distance, kind="stable")]
    ddf = dask_geopandas.from_geopandas(ordered, npartitions=npartitions, sort=False)
    with dask.config.set(scheduler="sync"):
        ddf.calculate_spatial_partitions()
    return ddf


def _partition_metrics(
    parcels: gpd.GeoDataFrame, building_parts: list[gpd.GeoDataFrame], options: dict[str, Any]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Measures of one parcel partition: ``(frame indexed by _pos, building orders, parcels
    per building, overlapping pairs)``."""
    buildings = pd.concat(building_parts) if building_parts else None
    if buildings is None or not len(buildings) or not len(parcels):
        buildings = gpd.GeoDataFrame(
            {"_order": np.empty(0, np.int64)}, geometry=np.empty(0, dtype=object)
        )
    else:
        # only the buildings whose box meets the partition's box
        xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(parcels.geometry.values))
        box = shapely.bounds(np.asarray(buildings.geometry.values))
        near = (box[:, 0] <= xmax) & (box[:, 2] >= xmin) & (box[:, 1] <= ymax)
        near &= box[:, 3] >= ymin
        buildings = buildings.loc[near]
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
    import dask

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
        kb = max(1, min(k, m)) if m else 1
        dparcels = _hilbert_partitions(pframe, k)
        dbuildings = _hilbert_partitions(bframe, kb)
        hull_p = np.asarray(dparcels.spatial_partitions.values, dtype=object)
        hull_b = np.asarray(dbuildings.spatial_partitions.values, dtype=object)
        # a partition of collinear points has a line or point hull: widen it by 1 mm
        hull_b = shapely.buffer(hull_b, 1e-3)
        pi, bj = shapely.STRtree(hull_b).query(shapely.buffer(hull_p, 1e-3))
        ppart, bpart = dparcels.to_delayed(), dbuildings.to_delayed()
        options = {
            "storey_height_m": storey_height_m,
            "tall_floor_m": tall_floor_m,
            "count_tall_twice": count_tall_twice,
            "extent": extent,
            "survey_start": survey_start,
        }
        tasks = [
            dask.delayed(_partition_metrics)(
                ppart[i], [bpart[j] for j in np.sort(bj[pi == i])], options
            )
            for i in range(len(ppart))
        ]
        results = client.gather(client.compute(tasks))
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
