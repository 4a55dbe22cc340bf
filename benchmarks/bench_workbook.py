"""Benchmark the meeting workbook: ``landuse.workbook.write_workbook`` on N analysed parcels.

For each size N, N synthetic parcels are generated with the generator of ``bench_analyse.py``
(seeded, the ledger columns under their canonical names), brought to the types the loader gives
(start statuses as codes, dates as ``datetime64``, areas from the polygons), analysed with
``landuse.analysis.analyse`` and cached as Parquet in ``benchmarks/_work/`` together with
rejects (2 % of N) and a load report (5 % of N rows). Then, in a fresh child process per size,
the cached tables are read and ``write_workbook`` is timed; the child reports the seconds (wall
and CPU: on a shared machine the wall time grows with the load), its peak resident memory (``ru_maxrss``: the tables themselves included, as in a real run) and the
resident memory before writing.

Usage (from the repository root)::

    python benchmarks/bench_workbook.py                       # 30,000, 200,000, 1,000,000
    python benchmarks/bench_workbook.py --sizes 30000 --keep  # keep the .xlsx in _work/

The issue's target: at 1,000,000 parcels, every sheet, under 120 s and under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
AS_OF = "2025-12-31"
DATA_VERSION = 2  # bump when the cached tables change
TARGET_N = 1_000_000
TARGET_SECONDS = 120.0
TARGET_PEAK_MB = 3000.0  # "3 GB", decimal megabytes (1 MB = 10**6 bytes)

_START_STATUS = {"started": "started", "not_started": "not_started", "已开工": "started"}
_START_STATUS |= {"未开工": "not_started"}


def _paths(n: int) -> tuple[Path, Path, Path]:
    stem = WORK / f"workbook_{n}_v{DATA_VERSION}"
    return (
        stem.with_name(stem.name + "_parcels.parquet"),
        stem.with_name(stem.name + "_rejects.parquet"),
        stem.with_name(stem.name + "_report.parquet"),
    )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrow-typed generator columns as the loader types them."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.ArrowDtype):
            kind = values.dtype.pyarrow_dtype
            if str(kind).startswith(("date", "timestamp")):
                values = pd.to_datetime(values.astype("datetime64[ns]"))
            else:
                values = values.astype("string")
        out[name] = values
    return pd.DataFrame(out)


def build(n: int) -> None:
    """Generate, analyse and cache N parcels, their rejects and a load report."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_analyse import make_parcels

    from landuse.analysis import analyse
    from landuse.rules_file import load_rules

    parcels_path, rejects_path, report_path = _paths(n)
    if parcels_path.exists() and rejects_path.exists() and report_path.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    generated = make_parcels(n)
    geometry_ha = shapely.area(generated.geometry.values) / 10_000
    frame = _plain(pd.DataFrame(generated.drop(columns="geometry")))
    frame["start_status"] = frame["start_status"].map(_START_STATUS).fillna("unknown")
    frame["gov_cause"] = frame["gov_cause"].notna().to_numpy()
    frame["geometry_area_ha"] = geometry_ha
    result = analyse(frame, pd.Timestamp(AS_OF), load_rules(None))
    result["source_file"] = "parcels.gpkg"
    result["source_row"] = np.arange(1, n + 1)
    result.to_parquet(parcels_path)

    rng = np.random.default_rng(1)
    k = max(n // 50, 1)
    rejects = frame.iloc[rng.choice(n, k, replace=False)].reset_index(drop=True)
    rejects.insert(
        0, "reason", "非工业用地（土地用途：其他商服用地），不在分析范围 (not industrial)"
    )
    rejects["source_file"] = "parcels.gpkg"
    rejects["source_row"] = np.arange(n + 1, n + k + 1)
    rejects["input_kind"] = "layer"
    rejects.drop(columns="geometry_area_ha").to_parquet(rejects_path)

    m = max(n // 20, 1)
    report = pd.DataFrame(
        {
            "file": "parcels.gpkg",
            "row": pd.array(rng.integers(1, n + 1, m), dtype="Int64"),
            "column": "supervision_no",
            "value": frame["supervision_no"].iloc[:m].to_numpy(),
            "problem": "电子监管号格式异常 (expected 6-digit region + year + letter + serial)",
            "action": "kept",
            "severity": "warning",
        }
    ).astype({c: "string" for c in ("file", "column", "value", "problem", "action", "severity")})
    report.to_parquet(report_path)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def child(n: int, out: Path) -> None:
    """Read the cached tables and time ``write_workbook`` (in this fresh process)."""
    from landuse.workbook import write_workbook

    parcels_path, rejects_path, report_path = _paths(n)
    parcels = pd.read_parquet(parcels_path)
    rejects = pd.read_parquet(rejects_path)
    report = pd.read_parquet(report_path)
    before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    write_workbook(out, parcels, rejects, as_of=AS_OF, report=report)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(
        json.dumps(
            {
                "n": n,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mb": peak,
                "before_mb": before,
                "file_mb": out.stat().st_size / 1e6,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 200_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the workbooks in _work/")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.out)
        return 0
    rows = []
    for n in args.sizes:
        build(n)
        out = WORK / f"workbook_{n}.xlsx"
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--out", str(out)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(result)
        if not args.keep:
            out.unlink(missing_ok=True)
        print(
            f"{n:>9,} parcels: {result['seconds']:6.1f} s ({result['cpu_seconds']:.1f} s CPU), "
            f"peak {result['peak_mb']:6,.0f} MB "
            f"(tables read: {result['before_mb']:,.0f} MB), file {result['file_mb']:,.0f} MB",
            flush=True,
        )
    print("\n| parcels | seconds | CPU seconds | peak MB | file MB |\n|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['peak_mb']:,.0f} "
            f"| {r['file_mb']:,.0f} |"
        )
    target = [r for r in rows if r["n"] == TARGET_N]
    if target:
        ok = target[0]["seconds"] < TARGET_SECONDS and target[0]["peak_mb"] < TARGET_PEAK_MB
        print(
            f"\ntarget at {TARGET_N:,} parcels (< {TARGET_SECONDS:.0f} s, "
            f"< {TARGET_PEAK_MB:,.0f} MB): {'holds' if ok else 'missed'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
