"""Benchmark ``landuse analyse`` against its I/O floor: the input read and the result written
with pyogrio's Arrow I/O.

For each size N a GeoPackage of N synthetic industrial parcels is generated (seeded, vectorised,
EPSG:4529 = CGCS2000 3-degree Gauss-Kruger zone 41, laid out on a grid, every feature carrying
the ledger columns under their canonical names). Then, in fresh child processes, alternately:

- the FLOOR: the input read with ``pyogrio.read_arrow`` and a table of the result's exact
  shape written with ``pyogrio.write_arrow``: every layer of landuse's own output (parcels,
  rejects, summary, parks: their columns, types, rows and geometries), taken from the first
  landuse run of the size and handed to the floor as Arrow IPC files it memory-maps, so the
  floor pays for reading the input and writing the output and for nothing else;
- the JOB: ``python -m landuse.cli analyse in.gpkg --out out.gpkg --as-of 2025-12-31`` (the real
  CLI, import time included).

Wall time is the median of ``--repeat`` runs, taken around the whole child process for both, and
peak memory the largest resident memory of the child and the processes it started, summed
(landuse writes a GeoPackage's parcels in a second process). Results are printed as a Markdown
table and written to ``benchmarks/_work/results.md``; the issue's targets (at 1,000,000
parcels: within 1.5x the floor, under 3 GB peak) are checked.

Usage (from the repository root)::

    python benchmarks/bench_analyse.py --sizes 100000 300000 1000000 --repeat 3
    python benchmarks/bench_analyse.py --profile 300000      # cProfile of one in-process run

Generated data, outputs and logs go to ``benchmarks/_work/`` (git-ignored); a dataset is reused
when it exists for the same size, seed and generator version (``--regenerate`` to force).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
AS_OF = "2025-12-31"
SEED = 20251231
GENERATOR_VERSION = 1  # bump when the generated data changes, so cached datasets are remade
CRS = "EPSG:4529"  # CGCS2000 / 3-degree Gauss-Kruger zone 41 (eastings prefixed with 41)
TARGET_N = 1_000_000
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 3000.0  # "3 GB", decimal megabytes (1 MB = 10**6 bytes)

# Grid layout: cells of CELL metres, ROWS_PER_COL times more rows than columns, so that a
# million parcels stay within about 115 km of the zone's central meridian (easting 41 500 000).
CELL = 460.0
ROWS_PER_COL = 4
CENTRE_E, CENTRE_N = 41_500_000.0, 4_626_000.0

PARKS = ("经开区北区", "经开区南区", "化工产业园", "装备制造产业园", "高新技术产业园")
PARK_REGION_CODES = ("210106", "210106", "210113", "210114", "210112")
PARK_REGION_NAMES = ("铁西区", "铁西区", "沈北新区", "于洪区", "浑南区")
# GB/T 4754 two-digit codes, their names and a product for the project name.
INDUSTRIES = (
    ("13", "农副食品加工业", "饲料", "吨"),
    ("14", "食品制造业", "休闲食品", "吨"),
    ("17", "纺织业", "功能面料", "万米"),
    ("22", "造纸和纸制品业", "包装纸板", "吨"),
    ("26", "化学原料和化学制品制造业", "精细化学品", "吨"),
    ("27", "医药制造业", "原料药", "吨"),
    ("29", "橡胶和塑料制品业", "汽车塑料件", "万件"),
    ("30", "非金属矿物制品业", "新型建材", "万平方米"),
    ("31", "黑色金属冶炼和压延加工业", "特种钢材", "万吨"),
    ("33", "金属制品业", "金属结构件", "吨"),
    ("34", "通用设备制造业", "工业阀门", "台套"),
    ("35", "专用设备制造业", "矿山机械", "台"),
    ("36", "汽车制造业", "汽车冲压件", "万件"),
    ("38", "电气机械和器材制造业", "变压器", "台"),
    ("39", "计算机、通信和其他电子设备制造业", "电子元器件", "万只"),
    ("40", "仪器仪表制造业", "智能仪表", "台"),
)
BRANDS = ("永航", "通源", "兴科", "润达", "兴威", "润启", "华晨", "远大", "北方", "恒力", "盛京")
COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")
ROADS = ("开发大路", "北二路", "沈辽路", "细河路", "浑河大街", "中央大街", "蒲河路")
SUPPLY_METHODS = ("挂牌出让", "拍卖出让", "协议出让")


# --------------------------------------------------------------------------------------------
# Data generation (vectorised: no Python loop over parcels)
# --------------------------------------------------------------------------------------------


def _strings(values: Sequence[str | None], idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as an Arrow string array (``None`` entries become nulls)."""
    return pa.array(values, type=pa.string()).take(pa.array(idx))


def _digits(numbers: np.ndarray, width: int) -> pa.Array:
    """Integers as zero-padded decimal strings."""
    return pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*parts, "")


def _dates(days: np.ndarray, valid: np.ndarray, unit: str = "D") -> pa.Array:
    """``datetime64[D]`` values as Arrow dates (``unit="D"``) or timestamps (``"ms"``), null
    where ``valid`` is False."""
    return pa.array(days.astype(f"datetime64[{unit}]"), mask=~valid)


def _numbers(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, values, np.nan)


def make_parcels(n: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """``n`` synthetic industrial parcels with the ledger columns under canonical names.

    Mixes are chosen so that every rule has work: about half the parcels have no actual start
    date (some with a 1900-01-01 placeholder), start statuses are mixed (English, Chinese,
    empty), some are late, completed, suspended, extended, delayed by government, underpaid,
    below the intensity threshold or the plot ratio, and ~2 % have a declared area more than
    5 % off the geometry (2 in 10,000 polygons are self-intersecting bow-ties).
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    as_of = np.datetime64(AS_OF, "D")

    # --- layout and geometry
    cols = max(1, int(np.ceil(np.sqrt(n / ROWS_PER_COL))))
    rows = -(-n // cols)
    gx, gy = idx % cols, idx // cols
    park = np.minimum(gy * len(PARKS) // rows, len(PARKS) - 1)
    area_ha = np.clip(rng.lognormal(np.log(2.2), 0.7, n), 0.2, 10.0).round(4)
    off = rng.random(n) < 0.02
    factor = np.where(off, rng.choice([0.8, 0.9, 1.1, 1.2], n), 1 + rng.normal(0, 0.004, n))
    geom_m2 = area_ha * 1e4 * factor
    width = np.sqrt(geom_m2 * rng.uniform(0.6, 1.6, n))
    height = geom_m2 / width
    x0 = (CENTRE_E - cols * CELL / 2 + gx * CELL + (CELL - width) / 2).round(2)
    y0 = (CENTRE_N - rows * CELL / 2 + gy * CELL + (CELL - height) / 2).round(2)
    x1, y1 = (x0 + width).round(2), (y0 + height).round(2)
    geometry = shapely.box(x0, y0, x1, y1)
    bowtie = np.flatnonzero(rng.random(n) < 0.0002)
    if len(bowtie):
        ring = np.stack(
            [
                np.column_stack([x0[bowtie], y0[bowtie]]),
                np.column_stack([x1[bowtie], y1[bowtie]]),
                np.column_stack([x1[bowtie], y0[bowtie]]),
                np.column_stack([x0[bowtie], y1[bowtie]]),
                np.column_stack([x0[bowtie], y0[bowtie]]),
            ],
            axis=1,
        )
        geometry[bowtie] = shapely.polygons(ring)

    # --- dates (days)
    first, last = np.datetime64("2008-01-01"), np.datetime64("2025-09-30")
    contract = first + rng.integers(0, int((last - first).astype(int)), n).astype("timedelta64[D]")

    def days(lo: int, hi: int) -> np.ndarray:
        return rng.integers(lo, hi + 1, n).astype("timedelta64[D]")

    agreed_delivery = contract + days(30, 120)
    actual_delivery = agreed_delivery + days(-15, 60)
    has_delivery = (rng.random(n) < 0.9) & (actual_delivery <= as_of)
    agreed_start = agreed_delivery + days(180, 365)
    agreed_completion = agreed_start + rng.choice([730, 1095], n).astype("timedelta64[D]")
    extended = rng.random(n) < 0.03
    extended_start = agreed_start + days(180, 730)

    actual_start = agreed_start + rng.normal(20, 150, n).astype(int).astype("timedelta64[D]")
    actual_start = np.maximum(actual_start, contract + np.timedelta64(30, "D"))
    has_start = (rng.random(n) < 0.5) & (actual_start <= as_of)
    placeholder = ~has_start & (rng.random(n) < 0.01)  # 1900-01-01 = "no date" in real ledgers
    actual_start = np.where(placeholder, np.datetime64("1900-01-01"), actual_start)
    actual_completion = actual_start + days(400, 1300)
    completed = has_start & (rng.random(n) < 0.6) & (actual_completion <= as_of)
    suspended = has_start & ~completed & (rng.random(n) < 0.05)
    suspended_since = actual_start + days(60, 900)
    suspended &= suspended_since <= as_of

    # start_status: 0 started, 1 not_started, 2 已开工, 3 未开工, 4 "", 5 null
    u = rng.random(n)
    status_dated = np.select([u < 0.8, u < 0.88, u < 0.94], [0, 2, 4], 5)
    status_undated = np.select([u < 0.25, u < 0.35, u < 0.5, u < 0.6, u < 0.75], [1, 3, 0, 2, 4], 5)
    start_status = np.where(has_start, status_dated, status_undated)

    # --- money and plot ratios
    land_price = (area_ha * rng.uniform(250, 650, n)).round(4)
    intensity = rng.lognormal(np.log(7000), 0.35, n)  # 万元/公顷, ~16 % under 5000
    agreed_inv = np.maximum((area_ha * intensity / 10).round() * 10, land_price.round() + 10)
    actual_inv = (agreed_inv * rng.uniform(0.55, 1.3, n)).round(2)
    has_actual_inv = completed | (has_start & (rng.random(n) < 0.25))
    actual_inv = np.where(completed, actual_inv, (agreed_inv * rng.uniform(0.1, 0.8, n)).round(2))
    total_ex_land = (agreed_inv - land_price).round(2)
    share = np.where(
        completed,
        rng.uniform(0.8, 1.0, n),
        np.where(has_start, rng.uniform(0.15, 0.9, n), rng.uniform(0.0, 0.4, n)),
    )
    has_ex_land = rng.random(n) < 0.6
    has_developed = rng.random(n) < 0.4
    paid = rng.random(n)  # 90 % paid in full, 8 % in part, 2 % unknown
    paid_share = np.select(
        [paid < 0.9, paid < 0.98], [np.ones(n), rng.uniform(0.3, 0.95, n)], np.full(n, np.nan)
    )
    far_actual_ok = completed & (rng.random(n) < 0.85)
    rate_idx = rng.choice(4, n, p=[0.9, 0.04, 0.03, 0.03])
    rates = np.array([np.nan, 0.5, 1.0, 2.0])

    # --- text
    industry = rng.integers(0, len(INDUSTRIES), n)
    codes, names, products, units = (tuple(row[k] for row in INDUSTRIES) for k in range(4))
    region = _strings(PARK_REGION_CODES, park)
    year = pc.cast(pa.array(contract.astype("datetime64[Y]").astype(int) + 1970), pa.string())
    serial = _digits(idx % 1_000_000, 6)
    malformed = rng.random(n) < 0.001  # no letter: warned about, never rejected
    letter = _strings(("B", ""), malformed.astype(np.int64))
    brand = _strings(BRANDS, rng.integers(0, len(BRANDS), n))
    trade = _strings(names, industry)
    gov_cause = _strings((None, "是", "政府原因：规划调整"), rng.choice(3, n, p=[0.98, 0.01, 0.01]))

    columns: dict[str, pa.Array | np.ndarray] = {
        "parcel_id": _join(region, "-", year, "-GY-", _digits(idx, 7)),
        "supervision_no": _join(region, year, letter, serial),
        "park": _strings(PARKS, park),
        "project_name": _join(
            "年产",
            pc.cast(pa.array(rng.integers(1, 500, n) * 10), pa.string()),
            _strings(units, industry),
            _strings(products, industry),
            "项目",
        ),
        "holder": _join("沈阳", brand, trade, _strings(COMPANY_SUFFIXES, rng.integers(0, 3, n))),
        "region": _strings(PARK_REGION_NAMES, park),
        "location": _join(
            _strings(PARK_REGION_NAMES, park),
            _strings(ROADS, rng.integers(0, len(ROADS), n)),
            pc.cast(pa.array(rng.integers(1, 300, n)), pa.string()),
            "号",
        ),
        "land_use": _strings(("工业用地",), np.zeros(n, dtype=np.int64)),
        "supply_method": _strings(SUPPLY_METHODS, rng.choice(3, n, p=[0.85, 0.05, 0.1])),
        "industry": trade,
        "industry_code": _strings(codes, industry),
        "area_ha": area_ha,
        "land_price_wan": land_price,
        "contract_date": _dates(contract, np.ones(n, bool), "ms"),  # a DateTime field
        "agreed_delivery_date": _dates(agreed_delivery, np.ones(n, bool)),
        "actual_delivery_date": _dates(actual_delivery, has_delivery),
        "agreed_start_date": _dates(agreed_start, np.ones(n, bool)),
        "actual_start_date": _dates(actual_start, has_start | placeholder),
        "agreed_completion_date": _dates(agreed_completion, np.ones(n, bool)),
        "actual_completion_date": _dates(actual_completion, completed),
        "extended_start_date": _dates(extended_start, extended),
        "start_status": _strings(
            ("started", "not_started", "已开工", "未开工", "", None), start_status
        ),
        "agreed_investment_wan": agreed_inv,
        "actual_investment_wan": _numbers(actual_inv, has_actual_inv),
        "invested_ex_land_wan": _numbers((total_ex_land * share).round(2), has_ex_land),
        "total_investment_ex_land_wan": _numbers(total_ex_land, has_ex_land),
        "developed_area_ha": _numbers(
            (area_ha * np.minimum(share * 1.1, 1)).round(4), has_developed
        ),
        "suspended_since": _dates(suspended_since, suspended),
        "gov_cause": gov_cause,
        "price_due_date": _dates(contract + days(30, 180), np.ones(n, bool), "ms"),
        "price_paid_wan": (land_price * paid_share).round(4),
        "far_min": rng.choice([0.6, 0.7, 0.8, 1.0, 1.2], n),
        "far_max": rng.choice([0.0, 2.0, 2.5, 3.0], n, p=[0.2, 0.3, 0.3, 0.2]),
        "far_actual": _numbers(rng.uniform(0.4, 2.2, n).round(2), far_actual_ok),
        "coverage_actual": _numbers(rng.uniform(0.25, 0.7, n).round(2), far_actual_ok),
        "late_start_rate_permille": rates[rate_idx],
        "late_completion_rate_permille": rates[rng.permutation(rate_idx)],
    }
    frame = pd.DataFrame(
        {
            name: pd.Series(v, dtype=pd.ArrowDtype(v.type)) if isinstance(v, pa.Array) else v
            for name, v in columns.items()
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def dataset_path(n: int, seed: int) -> Path:
    """Where the dataset of ``n`` parcels is cached."""
    return WORK / f"parcels_{n}_s{seed}_v{GENERATOR_VERSION}.gpkg"


def ensure_dataset(n: int, seed: int, regenerate: bool = False) -> Path:
    """Generate (or reuse) the GeoPackage of ``n`` parcels; returns its path."""
    path = dataset_path(n, seed)
    if path.exists() and not regenerate:
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    frame = make_parcels(n, seed)
    t1 = time.perf_counter()
    tmp = path.with_name(f"{path.stem}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, tmp, layer="parcels", driver="GPKG", use_arrow=True)
    tmp.replace(path)
    print(
        f"generated {n:,} parcels in {t1 - t0:.1f} s, wrote {path.name} "
        f"({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t1:.1f} s",
        flush=True,
    )
    return path


# --------------------------------------------------------------------------------------------
# Measuring child processes
# --------------------------------------------------------------------------------------------

FLOOR_CODE = """\
import json, sys
import pyarrow as pa
import pyogrio
from pyarrow import ipc
_meta, table = pyogrio.read_arrow(sys.argv[1])  # the input, every column
del table
shape = json.loads(open(sys.argv[3], encoding="utf-8").read())
for i, layer in enumerate(shape):
    with pa.memory_map(layer["ipc"]) as source:
        result = ipc.open_file(source).read_all()
    geo = {}
    if layer["geometry_name"]:
        geo = {"geometry_name": layer["geometry_name"], "geometry_type": layer["geometry_type"],
               "crs": layer["crs"]}
    pyogrio.write_arrow(result, sys.argv[2], layer=layer["name"], driver="GPKG",
                        append=i > 0, **geo)
"""


@dataclass(frozen=True)
class Run:
    """One child process: wall time, peak resident memory (MB) and exit code."""

    wall_s: float
    peak_mb: float
    returncode: int


def measure(cmd: Sequence[str], log: Path) -> Run:
    """Run ``cmd`` in a fresh child (cwd = repository root, output to ``log``) and return its
    wall time and its peak memory: the largest resident memory of the child and every process
    it started, summed (sampled every 20 ms from ``/proc``; landuse writes a GeoPackage's
    parcels in a process of its own), and never less than the child's own ``ru_maxrss``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120"}
    with log.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, env=env)
        tree_peak = [0.0]
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, tree_peak, done))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, kB on Linux
    return Run(wall, max(usage.ru_maxrss * scale / 1e6, tree_peak[0]), proc.returncode)


def _tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and its descendants, from ``/proc`` (0 elsewhere)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
            with open(f"/proc/{current}/task/{current}/children") as fh:
                stack.extend(int(child) for child in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def _sample_tree(pid: int, peak: list[float], done: threading.Event) -> None:
    while not done.wait(0.02):
        peak[0] = max(peak[0], _tree_rss_mb(pid))


def result_shape(out: Path, n: int) -> Path:
    """Every layer of a landuse output as an Arrow IPC file, and a JSON list of them with their
    geometry column, type and CRS: the table the floor writes (prepared untimed)."""
    shape_dir = WORK / "runs" / f"shape_{n}"
    shape_dir.mkdir(parents=True, exist_ok=True)
    layers = []
    for name in (str(v) for v in pyogrio.list_layers(out)[:, 0]):
        meta, table = pyogrio.read_arrow(out, layer=name)
        ipc_path = shape_dir / f"{name}.arrow"
        with pa.OSFile(str(ipc_path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)
        layers.append(
            {
                "name": name,
                "ipc": str(ipc_path),
                "geometry_name": meta.get("geometry_name") or None,
                "geometry_type": meta.get("geometry_type"),
                "crs": meta.get("crs"),
            }
        )
    path = shape_dir / "layers.json"
    path.write_text(json.dumps(layers), encoding="utf-8")
    return path


def floor_command(src: Path, out: Path, shape: Path) -> list[str]:
    """The floor: read the input and write the result-shaped layers, pyogrio's Arrow I/O."""
    return [sys.executable, "-c", FLOOR_CODE, str(src), str(out), str(shape)]


def landuse_command(src: Path, out: Path) -> list[str]:
    """The job: the real CLI (``landuse.cli:app``) of this working copy, as a module."""
    return [
        sys.executable,
        "-m",
        "landuse.cli",
        "analyse",
        str(src),
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        "--overwrite",  # the .qml and .sld beside the GeoPackage of the previous run
    ]


class BenchError(RuntimeError):
    """A measured child process failed."""


@dataclass(frozen=True)
class Row:
    """The measurements at one size."""

    n: int
    floor: list[Run]
    job: list[Run]

    @property
    def floor_s(self) -> float:
        return statistics.median(r.wall_s for r in self.floor)

    @property
    def job_s(self) -> float:
        return statistics.median(r.wall_s for r in self.job)

    @property
    def ratio(self) -> float:
        return self.job_s / self.floor_s

    @property
    def floor_peak_mb(self) -> float:
        return max(r.peak_mb for r in self.floor)

    @property
    def job_peak_mb(self) -> float:
        return max(r.peak_mb for r in self.job)


def _tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def bench_size(n: int, repeat: int, seed: int, regenerate: bool) -> Row:
    """Measure floor and job ``repeat`` times each (alternating) at ``n`` parcels."""
    src = ensure_dataset(n, seed, regenerate)
    run_dir = WORK / "runs"
    run_dir.mkdir(parents=True, exist_ok=True)
    floor_out = run_dir / f"floor_{n}.gpkg"
    job_out = run_dir / f"landuse_{n}.gpkg"
    floor_runs: list[Run] = []
    job_runs: list[Run] = []
    shape: list[Path] = []  # the result's layers, from the first landuse run

    def floor(src: Path, out: Path) -> list[str]:
        if not shape:
            shape.append(result_shape(job_out, n))
        return floor_command(src, out, shape[0])

    for i in range(repeat):
        for kind, out, command, runs in (
            ("landuse", job_out, landuse_command, job_runs),
            ("floor", floor_out, floor, floor_runs),
        ):
            out.unlink(missing_ok=True)
            log = run_dir / f"{kind}_{n}_{i + 1}.log"
            run = measure(command(src, out), log)
            if run.returncode != 0:
                raise BenchError(
                    f"{kind} at {n:,} parcels failed (exit {run.returncode}); {log}:\n{_tail(log)}"
                )
            runs.append(run)
            print(
                f"  {n:>9,} {kind:<7} run {i + 1}/{repeat}: {run.wall_s:7.2f} s, "
                f"peak {run.peak_mb:7,.0f} MB",
                flush=True,
            )
    check_output(n, job_out, run_dir / f"landuse_{n}_1.log")
    return Row(n, floor_runs, job_runs)


def check_output(n: int, out: Path, log: Path) -> None:
    """Print the job's accounting and warn when its parcels layer does not hold ``n`` rows."""
    accounting = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if "read" in ln]
    for line in accounting[:3]:
        print(f"    landuse: {line}")
    layers = [str(name) for name in pyogrio.list_layers(out)[:, 0]]
    counts = {name: pyogrio.read_info(out, layer=name)["features"] for name in layers}
    print(f"    output layers: {counts}")
    analysed = counts.get("parcels", 0)
    if analysed + counts.get("rejects", 0) != n:
        print(f"    WARNING: parcels + rejects = {analysed + counts.get('rejects', 0):,} != {n:,}")


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def results_table(rows: Sequence[Row]) -> str:
    """The Markdown results table."""
    lines = [
        "| parcels | floor s | landuse s | ratio | floor peak MB | landuse peak MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.n:,} | {r.floor_s:.2f} | {r.job_s:.2f} | {r.ratio:.2f}x "
            f"| {r.floor_peak_mb:,.0f} | {r.job_peak_mb:,.0f} |"
        )
    return "\n".join(lines)


def target_lines(rows: Sequence[Row]) -> list[str]:
    """Whether the issue's targets hold (at 1,000,000 parcels, else at the largest size)."""
    if not rows:
        return []
    at = [r for r in rows if r.n == TARGET_N] or [max(rows, key=lambda r: r.n)]
    r = at[0]
    where = f"{r.n:,} parcels" + ("" if r.n == TARGET_N else f" (targets are for {TARGET_N:,})")
    ratio_ok = r.ratio <= TARGET_RATIO
    peak_ok = r.job_peak_mb < TARGET_PEAK_MB
    return [
        f"- time: landuse/floor = {r.ratio:.2f}x at {where}, target <= {TARGET_RATIO}x: "
        f"**{'HOLDS' if ratio_ok else 'MISSED'}**",
        f"- memory: landuse peak {r.job_peak_mb:,.0f} MB at {where}, target < "
        f"{TARGET_PEAK_MB:,.0f} MB: **{'HOLDS' if peak_ok else 'MISSED'}**",
    ]


def code_version() -> str:
    """The commit benchmarked, and whether the landuse package had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "landuse"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "commit unknown"
    return f"commit {head or 'unknown'}" + (" + uncommitted changes in landuse/" if dirty else "")


def environment() -> str:
    """One line about the code, the machine and library versions."""
    mem = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        mem = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    return (
        f"{code_version()}; {platform.node()}: {os.cpu_count()} CPUs{mem}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, geopandas {gpd.__version__}, "
        f"shapely {shapely.__version__}, pyogrio {pyogrio.__version__} "
        f"(GDAL {pyogrio.__gdal_version_string__}), pyarrow {pa.__version__}"
    )


def write_results(rows: Sequence[Row], repeat: int) -> Path:
    """Write ``results.md`` (the table, the targets, how it was measured)."""
    path = WORK / "results.md"
    text = "\n".join(
        [
            f"# landuse analyse vs pyogrio floor ({dt.datetime.now():%Y-%m-%d %H:%M})",
            "",
            results_table(rows),
            "",
            *target_lines(rows),
            "",
            f"Median wall time of {repeat} run(s) per cell, each a fresh child process (import "
            "time included); peak = largest ru_maxrss of the child, in MB (10^6 bytes). "
            "Floor: pyogrio read_arrow of the input + write_arrow of landuse's own output "
            "layers (result-shaped, memory-mapped from Arrow IPC). landuse: `python -m landuse.cli analyse IN --out OUT.gpkg --as-of "
            f"{AS_OF}`. Load average at the end: "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
            "",
            environment(),
            "",
        ]
    )
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------------------------


def _where(filename: str) -> str:
    """A short name for a profiled function's file."""
    if filename.startswith(str(REPO)):
        return os.path.relpath(filename, REPO)
    if "site-packages" in filename:
        return filename.split("site-packages" + os.sep, 1)[1]
    return os.path.basename(filename) if os.sep in filename else filename


def print_profile(stats: pstats.Stats, top: int) -> None:
    """Top ``top`` entries by cumulative time, overall and within the landuse package, and by
    own time overall."""
    entries = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        entries.append((cumtime, tottime, ncalls, f"{_where(filename)}:{line}({func})"))

    def show(title: str, picked: list[tuple[float, float, int, str]]) -> None:
        print(f"\n{title}\n{'cum s':>9} {'own s':>9} {'calls':>9}  function")
        for cum, own, calls, name in picked[:top]:
            print(f"{cum:9.3f} {own:9.3f} {calls:9,}  {name}")

    by_cum = sorted(entries, reverse=True)
    show(f"top {top} by cumulative time", by_cum)
    own_pkg = f"landuse{os.sep}"
    show(
        f"top {top} in the landuse package by cumulative time",
        [e for e in by_cum if e[3].startswith(own_pkg)],
    )
    show(f"top {top} by own time", sorted(entries, key=lambda e: e[1], reverse=True))


def run_profile(n: int, seed: int, regenerate: bool, top: int) -> None:
    """Run the CLI's analyse command in this process under cProfile for ``n`` parcels."""
    src = ensure_dataset(n, seed, regenerate)
    out = WORK / "runs" / f"profile_{n}.gpkg"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    from landuse.cli import app  # imported here to time the import

    print(f"import landuse.cli: {time.perf_counter() - t0:.2f} s (not in the profile)")
    args = ["analyse", str(src), "--out", str(out), "--as-of", AS_OF, "--overwrite"]
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    try:
        app(args, standalone_mode=False)
    finally:
        profiler.disable()
    wall = time.perf_counter() - t0
    dump = WORK / f"profile_{n}.prof"
    profiler.dump_stats(dump)
    print(f"\nprofiled run of {n:,} parcels: {wall:.2f} s wall (under cProfile); stats: {dump}")
    print_profile(pstats.Stats(profiler), top)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, then benchmark and/or profile."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="numbers of parcels to benchmark (default 100000 300000 1000000 unless --profile)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile one run at N parcels")
    parser.add_argument("--top", type=int, default=25, help="profile entries to print")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed of the data")
    parser.add_argument("--regenerate", action="store_true", help="remake cached datasets")
    parser.add_argument(
        "--generate-only", action="store_true", help="only generate the datasets of --sizes"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([] if args.profile else [100_000, 300_000, 1_000_000])
    if args.repeat < 1 or any(n < 1 for n in sizes):
        parser.error("--repeat and --sizes must be positive")

    if args.generate_only:
        for n in sizes:
            ensure_dataset(n, args.seed, args.regenerate)
        return 0
    rows: list[Row] = []
    failed = 0
    for n in sizes:
        try:
            rows.append(bench_size(n, args.repeat, args.seed, args.regenerate))
        except BenchError as exc:  # report it and go on with the other sizes
            print(f"FAILED: {exc}", file=sys.stderr)
            failed += 1
    if rows:
        print()
        print(results_table(rows))
        print()
        print("\n".join(target_lines(rows)))
        print(f"\nwrote {write_results(rows, args.repeat)}")
    if args.profile:
        run_profile(args.profile, args.seed, args.regenerate, args.top)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
