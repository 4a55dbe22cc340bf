"""How fast ``landuse serve`` answers after it starts, and the memory it then holds.

For a results file (default: the 1,000,000-parcel GeoPackage ``bench_analyse.py`` writes,
``benchmarks/_work/runs/landuse_1000000.gpkg``), ``landuse serve FILE --port P`` is started in a
fresh process; then, polling every 50 ms:

- first answer: ``GET /collections/parcels/items?limit=1000`` answered 200 (a page of features:
  the results are loaded);
- first tile: then a z14 tile around the first feature answered (200 or 204);

the seconds from the start of the process to each, and the resident memory (RSS, from
``/proc``) of the server and its child processes after the tile; then, once the server's
background work is done (park outlines, the map page: its CPU time stops growing), the memory
it holds, and the largest RSS its process had. The issue's target: at 1,000,000 parcels, the
first request answered within 10 s, holding under 1.5 GB.

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
from dataclasses import dataclass
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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            continue
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith(field + ":"))
    except (OSError, StopIteration):
        return 0


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, MB (10^6 bytes)."""
    return sum(_status_kb(p, "VmRSS") for p in _tree(pid)) * 1024 / 1e6


def peak_mb(pid: int) -> float:
    """The largest resident memory the server process itself had (``VmHWM``), MB."""
    return _status_kb(pid, "VmHWM") * 1024 / 1e6


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants so far."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(pid: int, quiet_s: float = 1.0, limit_s: float = 60.0) -> float:
    """Wait until the server does no more work of its own (its background preparation:
    park outlines, the map page): less than 5 % of a core over ``quiet_s``; seconds waited."""
    start = time.perf_counter()
    before = cpu_s(pid)
    while time.perf_counter() - start < limit_s:
        time.sleep(quiet_s)
        now = cpu_s(pid)
        if now - before < 0.05 * quiet_s:
            break
        before = now
    return time.perf_counter() - start


def tile_of(lon: float, lat: float, z: int = 14) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@dataclass
class Run:
    first_s: float  # first page of 1,000 features answered, from the start of the process
    tile_s: float  # then the first z14 tile
    tile_mb: float  # RSS of the server and its children right after the tile
    settled_s: float  # when its background work was done
    settled_mb: float  # RSS then: what the service holds
    peak_mb: float  # the server process's largest RSS


def once(results: Path) -> Run:
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
            settle(proc.pid)
            settled = time.perf_counter() - t0
            held, peak = rss_mb(proc.pid), peak_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return Run(first, tile, memory, settled, held, peak)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.results.exists():
        parser.error(f"{args.results} not found: run benchmarks/bench_analyse.py --sizes 1000000")
    runs = []
    for i in range(args.repeat):
        r = once(args.results)
        runs.append(r)
        print(
            f"run {i + 1}: first page {r.first_s:.2f} s, first tile {r.tile_s:.2f} s "
            f"({r.tile_mb:,.0f} MB), settled {r.settled_s:.1f} s ({r.settled_mb:,.0f} MB), "
            f"peak {r.peak_mb:,.0f} MB"
        )
    first = statistics.median(r.first_s for r in runs)
    tile = statistics.median(r.tile_s for r in runs)
    tile_mb = max(r.tile_mb for r in runs)
    settled = statistics.median(r.settled_s for r in runs)
    held = max(r.settled_mb for r in runs)
    peak = max(r.peak_mb for r in runs)
    print(
        "\n| results | first page s | first tile s | RSS at tile MB | settled s | RSS held MB "
        "| peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    print(
        f"| {args.results.name} | {first:.2f} | {tile:.2f} | {tile_mb:,.0f} | {settled:.1f} "
        f"| {held:,.0f} | {peak:,.0f} |"
    )
    print(
        f"\ntarget (first answer within {TARGET_S:.0f} s, holding under {TARGET_MB:,.0f} MB): "
        f"{'HOLDS' if first <= TARGET_S and held < TARGET_MB else 'MISSED'} (medians of "
        f"{len(runs)} runs; memory: the largest); load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
