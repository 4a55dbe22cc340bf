"""Benchmark the start-up of the command line: ``landuse --help``, ``landuse --version`` and one
single-project ``landuse screen``, against the start of a bare Python in the same run.

Every command runs ``--repeat`` times in a fresh process, the commands taking turns (so that a
busy spell of the machine falls on all of them). For each command the median wall time and the
median CPU time (user + system, from ``os.wait4``: the child's own rusage) are printed, with the
verdict against the target (under 0.5 s wall). The CPU time is the steadier figure on a machine
shared with other work: there, wall time also counts the time spent waiting for a core.

One more run of each command, with ``PYTHONPROFILEIMPORTTIME=1``, lists which heavy modules it
imported (numpy, pandas, pyarrow, geopandas, shapely, pyogrio, pyproj, fastapi, uvicorn,
pydantic) and the five slowest imports of its own (cumulative time).

Usage (from the repository root)::

    python benchmarks/bench_startup.py --repeat 20

The commands are the console script ``landuse`` of the environment that runs this script (the
one ``pip install`` wrote beside ``python``), else ``python -m landuse.cli``. The screening uses
the sample rules ``sample_data/rules.toml``. The table is also written to
``benchmarks/_work/startup.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
RULES = REPO / "sample_data" / "rules.toml"
TARGET_S = 0.5
#: Modules a start-up should not need, and pydantic (which one screening does need).
DATA_STACK = ("numpy", "pandas", "pyarrow", "geopandas", "shapely", "pyogrio", "pyproj")
HEAVY = (*DATA_STACK, "fastapi", "uvicorn", "pydantic")
#: One project, as `landuse screen --help` shows it: 12000 万元 on 30 亩 in a park of the rules.
SCREEN = "--investment-wan 12000 --area-mu 30 --park 经开区北区 --industry-code C3670"
SCREEN_ARGS = ["screen", *SCREEN.split(), "--building-coverage", "35%", "--rules", str(RULES)]
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


@dataclass
class Job:
    """A command and what its runs measured."""

    name: str
    argv: list[str]
    floor: bool = False
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    heavy: list[str] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    output: str = ""


def landuse_argv() -> tuple[list[str], str]:
    """How to start the CLI: the environment's console script, else the module."""
    script = Path(sys.executable).with_name("landuse")
    if script.is_file():
        return [str(script)], "landuse (console script)"
    found = shutil.which("landuse")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found], "landuse (console script)"
    return [sys.executable, "-m", "landuse.cli"], "python -m landuse.cli"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str, str]:
    """One fresh process: wall seconds, CPU seconds (user + system of the child), exit code,
    stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait
        texts = []
        for f in (out, err):
            f.seek(0)
            texts.append(f.read().decode(errors="replace"))
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, proc.returncode, texts[0], texts[1]


def imports(job: Job, env: dict[str, str]) -> None:
    """The heavy modules ``job`` imports and its slowest imports (``-X importtime``)."""
    _, _, code, _, err = run(job.argv, {**env, "PYTHONPROFILEIMPORTTIME": "1"})
    top: set[str] = set()
    times: list[tuple[str, float]] = []
    for line in err.splitlines():
        m = _IMPORT_LINE.match(line)
        if m is None:
            continue
        name, depth = m.group(4), len(m.group(3))
        top.add(name.split(".")[0])
        if depth == 1:  # imported by the command's own code (not by another package)
            times.append((name, int(m.group(2)) / 1e6))
    job.heavy = [h for h in HEAVY if h in top]
    job.slowest = sorted(times, key=lambda t: -t[1])[:5]
    if code != 0:
        raise SystemExit(f"{job.name}: exit code {code} in the import run\n{err[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per command (median)")
    args = parser.parse_args()

    env = {**os.environ, "COLUMNS": "100"}
    # as on an installed copy, where pip compiled the bytecode: the first run writes it
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    cli, how = landuse_argv()
    jobs = [
        Job("python -c pass (floor)", [sys.executable, "-c", "pass"], floor=True),
        Job(  # the libraries every command needs, and the one a screening needs as well
            "python -c 'import typer, rich.console; from pydantic import BaseModel'",
            [sys.executable, "-c", "import typer, rich.console; from pydantic import BaseModel"],
            floor=True,
        ),
        Job("landuse --help", [*cli, "--help"]),
        Job("landuse --version", [*cli, "--version"]),
        Job("landuse screen (one project)", [*cli, *SCREEN_ARGS]),
    ]
    # A first run of each, untimed: the bytecode caches are written and the files are read
    # into the page cache, as on any start after the first.
    for job in jobs:
        wall, cpu, code, out, err = run(job.argv, env)
        if code != 0:
            raise SystemExit(f"{job.name}: exit code {code}\n{err[-2000:]}")
        job.output = out
    for _ in range(args.repeat):
        for job in jobs:
            wall, cpu, code, _, err = run(job.argv, env)
            if code != 0:
                raise SystemExit(f"{job.name}: exit code {code}\n{err[-2000:]}")
            job.wall.append(wall)
            job.cpu.append(cpu)
    for job in jobs:
        imports(job, env)

    lines = [
        f"Start-up, medians of {args.repeat} runs ({how}; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()})",
        "",
        "| command | wall s | CPU s | target < 0.5 s | heavy modules imported |",
        "|---|---:|---:|---|---|",
    ]
    for job in jobs:
        wall, cpu = statistics.median(job.wall), statistics.median(job.cpu)
        verdict = "(floor)" if job.floor else ("met" if wall < TARGET_S else "MISSED")
        lines.append(
            f"| `{job.name}` | {wall:.3f} | {cpu:.3f} | {verdict} | {', '.join(job.heavy) or '-'} |"
        )
    lines += ["", "Slowest imports of each command (cumulative, one run):", ""]
    for job in jobs:
        if not job.floor:
            shown = ", ".join(f"{name} {s:.3f} s" for name, s in job.slowest)
            lines.append(f"- `{job.name}`: {shown}")
    verdict = next((line for line in jobs[-1].output.splitlines() if line.strip()), "")
    lines += ["", f"The screening's verdict: {verdict}"]
    text = "\n".join(lines)
    print(text)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "startup.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
