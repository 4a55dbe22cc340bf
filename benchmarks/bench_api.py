"""Benchmark the HTTP service (api/) on a 1,000,000-parcel results file.

1. Results: the synthetic parcels of ``bench_analyse.py`` (its seeded, vectorised generator and
   cache) analysed by the real CLI, ``python -m landuse.cli analyse SRC --out RESULTS.parquet``
   (GeoParquet loads fastest; ``--format gpkg`` serves a GeoPackage instead). Reused when present.
2. Server: ``api.app.serve(RESULTS, "127.0.0.1", PORT)`` in a child process, with its default
   workers, on a free loopback port; the load time is reported.
3. Clients, loopback only, bounded in requests and time:

   - latency: httpx (asyncio), one request in flight, a fixed number of requests;
   - throughput: ``wrk`` (Debian package ``wrk``; one thread, ``--concurrency`` connections,
     ``--seconds`` per scenario, rotating through the request list with a Lua script) when it is
     installed, else httpx with ``--concurrency`` requests in flight. A Python client on the
     same two cores saturates before the server does, which is why wrk is preferred.

   Scenarios: an items page of 1,000 features at random offsets (target: median < 100 ms);
   z14 tiles around random parcels, each requested once (rendered) and then again (cached)
   (target: median < 30 ms and >= 300 tiles/s); ``POST /screening`` of one project.

Latency is per request (send to last byte); throughput is requests / wall time of the scenario.
The latency targets are checked with one request in flight (with several in flight on one
worker, a request also waits for the ones ahead of it); the tile throughput target with
``--concurrency`` in flight.
Prints a Markdown table and writes it to ``benchmarks/_work/api_results.md``.

Usage (from the repository root)::

    python benchmarks/bench_api.py                       # 1,000,000 parcels
    python benchmarks/bench_api.py --parcels 100000 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pyarrow.parquet as pq
import pyproj
import shapely

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
AS_OF = "2025-12-31"
SEED = 20251231
RESULTS_VERSION = 1  # bump when the results must be remade


def _bench_analyse():
    """The dataset generator of ``bench_analyse.py`` (seeded, vectorised, cached)."""
    spec = importlib.util.spec_from_file_location(
        "bench_analyse", REPO / "benchmarks" / "bench_analyse.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit("benchmarks/bench_analyse.py is needed to generate the parcels")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_analyse"] = module
    spec.loader.exec_module(module)
    return module


def ensure_results(n: int, fmt: str, regenerate: bool) -> Path:
    """The results file of ``n`` synthetic parcels (generated and analysed when missing)."""
    out = WORK / f"api_results_{n}_s{SEED}_v{RESULTS_VERSION}.{fmt}"
    if out.exists() and not regenerate:
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    src = _bench_analyse().ensure_dataset(n, SEED, regenerate)
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "landuse.cli",
            "analyse",
            str(src),
            "--out",
            str(out),
            "--as-of",
            AS_OF,
        ],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120"},
    )
    print(f"analysed {n:,} parcels into {out.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVE_CODE = """\
import sys
from api.app import serve
serve(sys.argv[1], "127.0.0.1", int(sys.argv[2]), log_level="warning")
"""


@dataclass
class Server:
    """The service in a child process."""

    proc: subprocess.Popen
    url: str
    load_s: float

    @classmethod
    def start(cls, results: Path, log: Path) -> Server:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVE_CODE, str(results), str(port)],
                cwd=REPO,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(url + "/", timeout=5).status_code == 200:
                    return cls(proc, url, time.perf_counter() - t0)
            except httpx.HTTPError:
                time.sleep(0.5)
        proc.kill()
        raise SystemExit("server did not start within 600 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict | None = None


@dataclass(frozen=True)
class Row:
    """One scenario's measurements."""

    name: str
    client: str
    requests: int
    concurrency: int
    median_ms: float
    p95_ms: float
    per_s: float
    statuses: str
    target: str
    verdict: str


async def _run(
    url: str, requests: Sequence[Request], concurrency: int
) -> tuple[list[float], float, dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:

        async def worker() -> None:
            while True:
                try:
                    r = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                if r.method == "POST":
                    resp = await client.post(r.path, json=r.body)
                else:
                    resp = await client.get(r.path)
                await resp.aread()
                latencies.append(time.perf_counter() - t0)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, wall, statuses


Check = Callable[[float, float], bool] | None


def _row(
    name: str,
    client: str,
    n: int,
    c: int,
    median: float,
    p95: float,
    per_s: float,
    codes: str,
    target: str,
    ok: Check,
) -> Row:
    verdict = "" if ok is None else ("**holds**" if ok(median, per_s) else "**missed**")
    print(
        f"  {name} [{client}]: median {median:.1f} ms, p95 {p95:.1f} ms, {per_s:,.0f}/s ({codes})",
        flush=True,
    )
    return Row(name, client, n, c, median, p95, per_s, codes, target, verdict)


def measure(
    name: str,
    url: str,
    requests: Sequence[Request],
    concurrency: int,
    target: str = "",
    ok: Check = None,
) -> Row:
    """Run one scenario with httpx and summarise it."""
    latencies, wall, statuses = asyncio.run(_run(url, requests, concurrency))
    ms = np.array(latencies) * 1000
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    return _row(
        name,
        "httpx",
        len(ms),
        concurrency,
        float(np.median(ms)),
        float(np.percentile(ms, 95)),
        len(ms) / wall,
        codes,
        target,
        ok,
    )


WRK_SCRIPT = """\
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local body_file = os.getenv("BENCH_BODY")
if body_file and body_file ~= "" then
  wrk.method = "POST"
  wrk.body = io.open(body_file):read("*a")
  wrk.headers["Content-Type"] = "application/json"
end
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format(nil, paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, latency:percentile(50),
    latency:percentile(95), summary.duration, summary.errors.status))
end
"""


def measure_wrk(
    name: str,
    url: str,
    requests: Sequence[Request],
    concurrency: int,
    seconds: int,
    target: str = "",
    ok: Check = None,
) -> Row:
    """Run one scenario with wrk (one thread, ``concurrency`` connections, ``seconds``)."""
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / "bench_api.lua"
    script.write_text(WRK_SCRIPT)
    paths = WORK / "bench_api_paths.txt"
    paths.write_text("\n".join(r.path for r in requests) + "\n")
    body = ""
    if requests[0].method == "POST":
        body_path = WORK / "bench_api_body.json"
        body_path.write_text(json.dumps(requests[0].body, ensure_ascii=False), encoding="utf-8")
        body = str(body_path)
    proc = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_PATHS": str(paths), "BENCH_BODY": body},
    )
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    n, p50, p95, duration_us, bad = (int(v) for v in line.split()[1:])
    codes = f"non-2xx: {bad}" if bad else "all 2xx"
    return _row(
        name,
        "wrk",
        n,
        concurrency,
        p50 / 1000,
        p95 / 1000,
        n / (duration_us / 1e6),
        codes,
        target,
        ok,
    )


def tile_requests(results: Path, count: int, z: int, rng: random.Random) -> list[Request]:
    """Distinct z-level tiles around random parcels (each parcel's first vertex)."""
    meta = (
        json.loads(pq.read_schema(results).metadata[b"geo"])
        if results.suffix == ".parquet"
        else None
    )
    if meta is not None:
        table = pq.read_table(results, columns=[meta["primary_column"]])
        n = table.num_rows
        rows = np.array(sorted(rng.sample(range(n), min(n, count * 3))))
        wkb = table.column(0).take(rows).to_numpy(zero_copy_only=False)
        geoms = shapely.from_wkb(wkb)
        crs = pyproj.CRS.from_json_dict(meta["columns"][meta["primary_column"]]["crs"])
    else:
        import pyogrio

        frame = pyogrio.read_dataframe(results, layer="parcels", max_features=count * 3)
        geoms, crs = frame.geometry.to_numpy(), pyproj.CRS(frame.crs)
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    lon, lat = pyproj.Transformer.from_crs(crs, "OGC:CRS84", always_xy=True).transform(
        xy[:, 0], xy[:, 1]
    )
    scale = 2**z
    x = np.floor((np.asarray(lon) + 180) / 360 * scale).astype(int)
    y = np.floor((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * scale).astype(int)
    tiles = list(dict.fromkeys(zip(y.tolist(), x.tolist(), strict=True)))[:count]
    return [
        Request("GET", f"/collections/parcels/tiles/WebMercatorQuad/{z}/{ty}/{tx}")
        for ty, tx in tiles
    ]


PROJECT = {
    "project_name": "年产 5 万套汽车零部件项目",
    "investment_wan": 12000,
    "area_mu": 30,
    "park": "经开区北区",
    "industry_code": "C3670",
    "plot_ratio": 1.2,
    "building_coverage": 0.45,
    "green_ratio": 0.15,
    "admin_living_share": 0.05,
}


def table(rows: Sequence[Row]) -> str:
    """The Markdown table of the results."""
    lines = [
        "| scenario | client | in flight | requests | median ms | p95 ms | requests/s | statuses "
        "| target | |",
        "|---|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.client} | {r.concurrency} | {r.requests:,} | {r.median_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.per_s:,.0f} | {r.statuses} | {r.target} | {r.verdict} |"
        )
    return "\n".join(lines)


def environment() -> str:
    import fastapi
    import uvicorn

    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, fastapi {fastapi.__version__}, "
        f"uvicorn {uvicorn.__version__}, shapely {shapely.__version__}; server and client on the "
        "same machine (loopback), one uvicorn worker (the default of `serve`)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "gpkg"], default="parquet")
    parser.add_argument(
        "--requests", type=int, default=200, help="Requests per httpx scenario (bounded)."
    )
    parser.add_argument("--concurrency", type=int, default=8, help="Connections for throughput.")
    parser.add_argument("--seconds", type=int, default=10, help="Duration of each wrk scenario.")
    parser.add_argument("--no-wrk", action="store_true", help="Use httpx for throughput too.")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)

    results = ensure_results(args.parcels, args.format, args.regenerate)
    print(f"serving {results.name} …", flush=True)
    server = Server.start(results, WORK / "api_server.log")
    print(
        f"server ready in {server.load_s:.1f} s (process start + loading the results)", flush=True
    )
    rows: list[Row] = []
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    n, c, secs = args.requests, args.concurrency, args.seconds
    try:
        total = httpx.get(server.url + "/collections/parcels", timeout=60).json()["itemCount"]

        def page(**query: object) -> Request:
            extra = "".join(f"&{k}={v}" for k, v in query.items())
            return Request("GET", f"/collections/parcels/items?limit=1000{extra}")

        pages = [page(offset=rng.randrange(0, total - 1000)) for _ in range(n)]
        recovery = [page(status="recovery", offset=rng.randrange(0, 100_000)) for _ in range(n)]
        tiles = tile_requests(results, 4 * n + 40_000, 14, rng)
        screening = [Request("POST", "/screening", PROJECT)] * n
        # Warm-up: first-use costs (imports, the OpenAPI document, a few pages and tiles).
        measure("warm-up", server.url, pages[:3] + tiles[-20:] + screening[:3], 1)
        items_target, items_ok = "median < 100 ms", lambda med, _rate: med < 100
        tile_target = "median < 30 ms, >= 300/s"
        rows.append(
            measure(
                "items page of 1,000, random offsets",
                server.url,
                pages[: n // 2],
                1,
                items_target,
                items_ok,
            )
        )
        rows.append(
            measure(
                "items page of 1,000, status=recovery",
                server.url,
                recovery[: n // 2],
                1,
                items_target,
                items_ok,
            )
        )
        fresh = tiles[: 2 * n]  # never requested before: each one is rendered
        rows.append(
            measure(
                "z14 tile, rendered (each tile once)",
                server.url,
                fresh,
                1,
                "median < 30 ms",
                lambda med, _rate: med < 30,
            )
        )
        rows.append(
            measure(
                "z14 tile, cached",
                server.url,
                fresh,
                1,
                "median < 30 ms",
                lambda med, _rate: med < 30,
            )
        )
        rows.append(measure("POST /screening, one project", server.url, screening[: n // 2], 1))
        if use_wrk:
            rest = tiles[2 * n :]  # not requested yet: rendered unless wrk wraps around
            rows.append(
                measure_wrk(
                    "items page of 1,000, random offsets (throughput)",
                    server.url,
                    pages,
                    min(c, 4),
                    secs,
                )
            )
            rows.append(
                measure_wrk(
                    "z14 tiles, distinct (rendered)",
                    server.url,
                    rest,
                    c,
                    secs,
                    tile_target,
                    lambda med, rate: med < 30 and rate >= 300,
                )
            )
            rows.append(
                measure_wrk(
                    "z14 tiles, cached",
                    server.url,
                    fresh,
                    c,
                    secs,
                    tile_target,
                    lambda med, rate: med < 30 and rate >= 300,
                )
            )
            rows.append(measure_wrk("POST /screening, one project", server.url, screening, c, secs))
        else:
            rows.append(
                measure(
                    "items page of 1,000, random offsets (throughput)",
                    server.url,
                    pages,
                    min(c, 4),
                )
            )
            rows.append(
                measure(
                    "z14 tiles, distinct (rendered)",
                    server.url,
                    tiles[2 * n : 4 * n],
                    c,
                    tile_target,
                    lambda med, rate: med < 30 and rate >= 300,
                )
            )
            rows.append(
                measure(
                    "z14 tiles, cached",
                    server.url,
                    fresh,
                    c,
                    tile_target,
                    lambda med, rate: med < 30 and rate >= 300,
                )
            )
            rows.append(measure("POST /screening, one project", server.url, screening, c))
    finally:
        server.stop()
    text = "\n".join(
        [
            f"# API benchmark, {total:,} parcels ({dt.datetime.now():%Y-%m-%d %H:%M})",
            "",
            table(rows),
            "",
            f"Results file: {results.name} ({results.stat().st_size / 1e6:,.0f} MB); server ready in "
            f"{server.load_s:.1f} s.",
            "",
            environment(),
            "",
        ]
    )
    print()
    print(text)
    (WORK / "api_results.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
