"""Benchmark the building-evidence engine against the naive floor, in the same run.

For each size N a synthetic layout is generated (seeded, vectorised, metres in EPSG:4529):
N parcels of about 0.7-5 ha, laid out as blocks of two parcels that share an edge, with roads
between the blocks, and 3N building footprints (rotated rectangles and L-shapes, 5-7
vertices): about 88 % wholly inside one parcel, 5 % straddling a parcel boundary (half of them
across the edge shared by the two parcels of a block), 3 % overlapping another footprint (a
shifted duplicate) and 4 % in the roads, outside every parcel.

Then, in fresh child processes (one per measurement, so peak memory is the job's own):

- the FLOOR: ``STRtree(parcels).query(footprints, predicate="intersects")``, the exact
  ``intersection`` of every pair, its area, summed per parcel with ``bincount``;
- the ENGINE: :func:`landuse.buildings.parcel_building_metrics` (all the per-parcel columns);
- DASK at 1 and 2 workers (``--dask-workers``): :func:`landuse.buildings_dask.
  parcel_building_metrics_dask` on a local ``distributed`` cluster of worker processes.

Each child reads the generated data from a GeoParquet file (not timed), times the computation
alone (``time.perf_counter``) and reports its peak RSS (``ru_maxrss``). The engine's footprint
per parcel is checked against the floor's (they must agree to 1e-6 m² where no footprints
overlap). Results are printed as a Markdown table and written to
``benchmarks/_work/buildings_results.md``.

Usage (from the repository root)::

    python benchmarks/bench_buildings.py --sizes 100000 1000000
    python benchmarks/bench_buildings.py --sizes 1000000 --skip-floor --dask-workers 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
SEED = 20260101
GENERATOR_VERSION = 1
CRS = "EPSG:4529"
CENTRE_E, CENTRE_N = 41_500_000.0, 4_626_000.0
PITCH_M = 320.0  # block grid pitch (block plus road)
TARGET_N = 1_000_000
TARGET_S = 10.0

# Shares of the footprints (the rest lie wholly inside one parcel).
SHARE_STRADDLE = 0.05
SHARE_OVERLAP = 0.03
SHARE_OUTSIDE = 0.04


# --------------------------------------------------------------------------------------------
# Data generation (vectorised)
# --------------------------------------------------------------------------------------------


def make_parcels(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` parcel rectangles as ``(geometry array, bounds (n, 4) in metres)``.

    Blocks of 150-290 m x 130-290 m on a grid of PITCH_M, each split across x at 35-65 % into
    two parcels sharing an edge (parcel areas about 0.7-5 ha).
    """
    blocks = -(-n // 2)
    cols = max(1, int(np.ceil(np.sqrt(blocks))))
    gx, gy = np.arange(blocks) % cols, np.arange(blocks) // cols
    w = rng.uniform(150, 290, blocks)
    h = rng.uniform(130, 290, blocks)
    bx0 = CENTRE_E - cols * PITCH_M / 2 + gx * PITCH_M
    by0 = CENTRE_N - cols * PITCH_M / 2 + gy * PITCH_M
    split = bx0 + w * rng.uniform(0.35, 0.65, blocks)
    x0 = np.column_stack([bx0, split]).ravel()[:n]
    x1 = np.column_stack([split, bx0 + w]).ravel()[:n]
    y0 = np.repeat(by0, 2)[:n]
    y1 = np.repeat(by0 + h, 2)[:n]
    bounds = np.round(np.column_stack([x0, y0, x1, y1]), 2)
    return shapely.box(*bounds.T), bounds


def _shapes(cx: np.ndarray, cy: np.ndarray, size: np.ndarray, rng: np.random.Generator):
    """Rotated rectangles (half) and L-shapes (half) centred near (cx, cy), ``size`` metres
    across, as one polygon array (5 or 7 vertices)."""
    m = len(cx)
    aspect = rng.uniform(0.4, 1.0, m)
    a, b = size / 2, size * aspect / 2
    # corners of an L-shape in local coordinates; a rectangle repeats its last corner
    cut = rng.uniform(0.3, 0.7, m)
    lx = np.column_stack([-a, a, a, -a + 2 * a * cut, -a + 2 * a * cut, -a, -a])
    ly = np.column_stack([-b, -b, b - 2 * b * cut, b - 2 * b * cut, b, b, -b])
    rect = rng.random(m) < 0.5
    rx = np.column_stack([-a, a, a, -a, -a, -a, -a])
    ry = np.column_stack([-b, -b, b, b, -b, -b, -b])
    lx = np.where(rect[:, None], rx, lx)
    ly = np.where(rect[:, None], ry, ly)
    angle = rng.uniform(-0.3, 0.3, m)[:, None]
    cos, sin = np.cos(angle), np.sin(angle)
    x = cx[:, None] + lx * cos - ly * sin
    y = cy[:, None] + lx * sin + ly * cos
    coords = np.stack([x, y], axis=2).round(2)
    polys = shapely.polygons(coords)
    # rectangles: drop the repeated closing corners (valid either way; fewer vertices)
    polys[rect] = shapely.polygons(coords[rect][:, :5])
    return polys


def make_buildings(
    parcel_bounds: np.ndarray, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``m`` footprints as ``(geometry, floors, height_m)`` arrays (see the module docstring),
    in random order (as in an OpenStreetMap extract, ordered by id, not by place).

    Footprint k of a parcel sits in quadrant k % 4 of the parcel, so footprints do not overlap
    except the shifted duplicates (and, rarely, a straddling one reaching a neighbour's).
    """
    n = len(parcel_bounds)
    shares = [SHARE_STRADDLE, SHARE_OVERLAP, SHARE_OUTSIDE]
    kind = rng.choice(4, m, p=[1 - sum(shares), *shares])
    parcel = np.arange(m) // 3 % n
    slot = np.arange(m) % 3 + (np.arange(m) // (3 * n)) % 2  # 0-3
    x0, y0, x1, y1 = parcel_bounds[parcel].T
    qw, qh = (x1 - x0) / 2, (y1 - y0) / 2
    qx0, qy0 = x0 + (slot % 2) * qw, y0 + (slot // 2) * qh
    size = np.minimum(rng.uniform(15, 60, m), 0.55 * np.minimum(qw, qh))
    margin = 0.75 * size  # keeps a rotated L or rectangle off the quadrant's edges
    cx = qx0 + margin + rng.random(m) * np.maximum(qw - 2 * margin, 0)
    cy = qy0 + margin + rng.random(m) * np.maximum(qh - 2 * margin, 0)
    inside = _shapes(cx, cy, size, rng)
    geoms = inside.copy()
    # straddling: centred on the east edge (the edge shared by a block's two parcels, or the
    # block's east side on the road)
    st = np.flatnonzero(kind == 1)
    geoms[st] = _shapes(x1[st], cy[st], size[st], rng)
    # outside: small, in the road north of the block (blocks end at most 290 m into the pitch)
    out = np.flatnonzero(kind == 3)
    geoms[out] = _shapes(cx[out], y0[out] + 305, np.minimum(size[out], 12.0), rng)
    # overlapping: a copy of the next footprint of the same parcel, shifted a few metres
    ov = np.flatnonzero(kind == 2)
    partner = np.where(ov % 3 == 2, ov - 2, ov + 1)
    counts = shapely.get_num_coordinates(inside[partner])
    shift = np.repeat(rng.uniform(-4, 4, (len(ov), 2)), counts, axis=0)
    coords = shapely.get_coordinates(inside[partner]) + shift
    geoms[ov] = shapely.polygons(
        shapely.linearrings(coords, indices=np.repeat(np.arange(len(ov)), counts))
    )
    floors = rng.choice([1, 1, 1, 2, 2, 3, 4, 6], m).astype(float)
    height = (floors * rng.uniform(3.5, 9.5, m)).round(1)
    order = rng.permutation(m)
    return geoms[order], floors[order], height[order]


def dataset(n: int, seed: int = SEED, regenerate: bool = False) -> tuple[Path, Path]:
    """Paths of the parcels and footprints GeoParquet files for ``n`` (generated if needed)."""
    WORK.mkdir(parents=True, exist_ok=True)
    stem = f"bldg_{n}_{seed}_v{GENERATOR_VERSION}"
    parcels_path, buildings_path = WORK / f"{stem}_parcels.parquet", WORK / f"{stem}_bldg.parquet"
    if parcels_path.exists() and buildings_path.exists() and not regenerate:
        return parcels_path, buildings_path
    rng = np.random.default_rng(seed)
    parcels, bounds = make_parcels(n, rng)
    geoms, floors, height = make_buildings(bounds, 3 * n, rng)
    gpd.GeoDataFrame({"parcel_id": np.arange(n)}, geometry=parcels, crs=CRS).to_parquet(
        parcels_path
    )
    gpd.GeoDataFrame(
        {"building_id": np.arange(len(geoms)), "floors": floors, "height_m": height},
        geometry=geoms,
        crs=CRS,
    ).to_parquet(buildings_path)
    return parcels_path, buildings_path


# --------------------------------------------------------------------------------------------
# One measurement (a child process)
# --------------------------------------------------------------------------------------------


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, kB on Linux
    return resource.getrusage(who).ru_maxrss * scale / 1e6


def floor_footprint(parcels: np.ndarray, footprints: np.ndarray) -> np.ndarray:
    """The naive floor: every intersecting pair intersected exactly, areas summed per parcel
    (no union: overlapping footprints counted twice)."""
    tree = shapely.STRtree(parcels)
    bi, pj = tree.query(footprints, predicate="intersects")
    area = shapely.area(shapely.intersection(footprints[bi], parcels[pj]))
    return np.bincount(pj, weights=area, minlength=len(parcels))


def child(kind: str, n: int, workers: int, threads: int | None) -> None:
    """Read the data (not timed), run one computation (timed), print one JSON line."""
    from landuse.buildings import parcel_building_metrics

    parcels_path, buildings_path = dataset(n)
    parcels = gpd.read_parquet(parcels_path)
    buildings = gpd.read_parquet(buildings_path)
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    read_mb = _peak_mb()
    extra: dict[str, float] = {}
    client = None
    if kind == "dask":
        import distributed

        t = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
        extra["cluster_start_s"] = time.perf_counter() - t
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "floor":
        footprint = floor_footprint(geoms, np.asarray(buildings.geometry.values, dtype=object))
    elif kind == "engine":
        footprint = parcel_building_metrics(geoms, buildings, threads=threads)[
            "footprint_m2"
        ].to_numpy()
    else:
        from landuse.buildings_dask import parcel_building_metrics_dask

        footprint = parcel_building_metrics_dask(geoms, buildings, workers=client)[
            "footprint_m2"
        ].to_numpy()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0  # every thread of this process
    if client is not None:
        # the workers' CPU: their processes' rusage, once they have ended (it includes their
        # start-up, a fraction of a second each)
        client.close()
        cluster.close()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += usage.ru_utime + usage.ru_stime
        extra["worker_peak_mb"] = _peak_mb(resource.RUSAGE_CHILDREN)
    extra["cpu_s"] = cpu
    np.save(WORK / f"footprint_{kind}_{workers}_{n}.npy", footprint)
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": _peak_mb(), "read_mb": read_mb, **extra},
        )
    )


def measure(
    kind: str, n: int, workers: int = 0, threads: int | None = None, repeat: int = 1
) -> dict:
    """The fastest of ``repeat`` runs, each in a fresh child (the machine is shared: the
    minimum is the run least disturbed), with the median and the 1-minute load average
    before each run; peak memory is the largest of them."""
    cmd = [sys.executable, __file__, "--child", kind, "--n", str(n), "--workers", str(workers)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    runs, loads = [], []
    for _ in range(repeat):
        loads.append(os.getloadavg()[0])
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {
        **best,
        "peak_mb": max(r["peak_mb"] for r in runs),
        "all_s": [r["seconds"] for r in runs],
        "median_s": float(np.median([r["seconds"] for r in runs])),
        "loads": loads,
    }


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dask-workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--threads", type=int, default=2, help="engine threads of the second run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per job; the fastest counts")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--child", choices=["floor", "engine", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.workers, args.threads)
        return

    lines = [
        "CPU s: processor time of the timed part, all threads (and, for Dask, the worker "
        "processes' whole lives); less disturbed than wall time by other work on the machine.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, shapely {shapely.__version__} (GEOS "
        f"{shapely.geos_version_string}); load average at start "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "",
        f"Seconds: the fastest and the median of {args.repeat} run(s) of each job, each in a "
        "fresh process; CPU s of the fastest; load: the 1-minute load average before the runs.",
        "",
        "| parcels | footprints | job | seconds | median | vs floor | CPU s "
        "| peak MB (after reading MB) | load |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for n in args.sizes:
        t = time.perf_counter()
        dataset(n, regenerate=args.regenerate)
        print(f"data for {n:,} parcels ready in {time.perf_counter() - t:.1f} s", flush=True)
        runs: list[tuple[str, dict]] = []
        rep = args.repeat
        floor = None if args.skip_floor else measure("floor", n, repeat=rep)
        if floor:
            runs.append(("floor: STRtree query + intersection of every pair", floor))
        engine = measure("engine", n, threads=1, repeat=rep)
        runs.append(("engine (1 thread, the default)", engine))
        engine_t = measure("engine", n, threads=args.threads, repeat=rep)
        runs.append((f"engine ({args.threads} threads)", engine_t))
        for w in args.dask_workers:
            d = measure("dask", n, workers=w, repeat=rep)
            label = (
                f"dask, {w} worker process{'es' if w > 1 else ''} "
                f"(+{d['cluster_start_s']:.1f} s cluster start; largest worker "
                f"{d['worker_peak_mb']:,.0f} MB)"
            )
            runs.append((label, d))
        for label, r in runs:
            ratio = f"{floor['seconds'] / r['seconds']:.1f}x" if floor else ""
            lines.append(
                f"| {n:,} | {3 * n:,} | {label} | {r['seconds']:.2f} | {r['median_s']:.2f} | "
                f"{ratio} | {r['cpu_s']:.2f} | {r['peak_mb']:,.0f} ({r['read_mb']:,.0f}) | "
                f"{min(r['loads']):.1f}-{max(r['loads']):.1f} |"
            )
            print(lines[-1], flush=True)
        # checks: the engine, 1 thread and dask agree exactly; the floor only where no
        # footprints overlap (it counts overlaps twice)
        eng = np.load(WORK / f"footprint_engine_0_{n}.npy")
        for w in args.dask_workers:
            d = np.load(WORK / f"footprint_dask_{w}_{n}.npy")
            assert np.array_equal(eng, d, equal_nan=True), "dask differs from the engine"
        if floor:
            fl = np.load(WORK / f"footprint_floor_0_{n}.npy")
            same = np.isclose(eng, fl, rtol=0, atol=1e-6)
            assert (eng <= fl + 1e-6).all(), "the union exceeds the sum of the pieces"
            lines.append(
                f"| | | engine = floor (to 1e-6 m²) in {same.mean():.1%} of parcels; the rest "
                f"hold overlapping footprints, counted once by the engine | | | | | | |"
            )
        if n == TARGET_N:
            verdict = "holds" if engine["median_s"] < TARGET_S else "MISSED"
            lines.append(
                f"| | | target: under {TARGET_S:.0f} s at {TARGET_N:,} parcels (the median of "
                f"the default): {verdict} | | | | | | |"
            )
    text = "\n".join(lines)
    print(text)
    (WORK / "buildings_results.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
