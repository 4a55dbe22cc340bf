"""How fast ``landuse serve`` answers after it starts, and the memory it then holds.

For a results file (default: the 1,000,000-parcel GeoPackage ``bench_analyse.py`` writes,
``benchmarks/_work/runs/landuse_1000000.gpkg``), ``landuse serve FILE --port P`` is started in a
fresh process; then, polling every 50 ms:

- first answer: ``GET /collections/parcels/items?limit=1000`` answered 200 (a page of features:
  the results are loaded);
- first tile: then a z14 tile around the first feature answered (200 or 204);

the seconds from the start of the process to each, and the resident memory (RSS, from
``/proc``) of the server and its child processes after the tile. The issue's target: at
1,000,000 parcels, the first request answered within 10 s, under 1.5 GB.

Usage (from the repository root)::

    python benchmarks/bench_serve_startup.py [RESULTS] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "benchmarks" / "_work" / "runs" / "landuse_1000000.gpkg"
TARGET_S = 10.0
TARGET_MB = 1500.0  # "1.5 GB", decimal megabytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, MB (10^6 bytes)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:"))
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo += [int(c) for c in children]
    return total * 1024 / 1e6


def tile_of(lon: float, lat: float, z: int = 14) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def once(results: Path) -> tuple[float, float, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "landuse.cli", "serve", str(results), "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=120) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"landuse serve ended with exit code {proc.returncode}")
                try:
                    r = client.get(f"{base}/collections/parcels/items?limit=1000")
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            first = time.perf_counter() - t0
            feature = next(f for f in r.json()["features"] if f.get("geometry"))
            ring = feature["geometry"]["coordinates"]
            while isinstance(ring[0][0], list):
                ring = ring[0]
            x, y = tile_of(*ring[0])
            t = client.get(f"{base}/collections/parcels/tiles/WebMercatorQuad/14/{y}/{x}")
            assert t.status_code in (200, 204), t.status_code
            tile = time.perf_counter() - t0
            memory = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return first, tile, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.results.exists():
        parser.error(f"{args.results} not found: run benchmarks/bench_analyse.py --sizes 1000000")
    runs = []
    for i in range(args.repeat):
        first, tile, memory = once(args.results)
        runs.append((first, tile, memory))
        print(f"run {i + 1}: first page {first:.2f} s, first tile {tile:.2f} s, {memory:,.0f} MB")
    first = statistics.median(r[0] for r in runs)
    tile = statistics.median(r[1] for r in runs)
    memory = max(r[2] for r in runs)
    print("\n| results | first page s | first tile s | RSS MB |\n|---|---:|---:|---:|")
    print(f"| {args.results.name} | {first:.2f} | {tile:.2f} | {memory:,.0f} |")
    print(
        f"\ntarget (first answer within {TARGET_S:.0f} s, under {TARGET_MB:,.0f} MB): "
        f"{'HOLDS' if first <= TARGET_S and memory < TARGET_MB else 'MISSED'}; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
