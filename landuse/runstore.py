"""The store of runs: every run of ``landuse analyse ... --store PATH`` kept in one SQLite file.

A bureau runs the analysis every month; the store keeps each run so that the service can serve
the latest and any earlier one, and later runs can be compared. One file, no server: SQLite
(Python's own ``sqlite3``), readable with any SQLite tool.

Each run holds its as-of date, when it was recorded, the landuse version, the input files with
their SHA-256, the rules (the TOML text in force: the national defaults and, when given, the
rules file over them), and four tables: ``parcels`` (GeoParquet, exactly what ``--out
FILE.parquet`` writes), ``parks`` (GeoParquet of the park boundaries given with ``--parks``),
``rejects`` and ``load_report`` (Parquet). Tables are stored as Parquet in parts of at most
:data:`PART_BYTES`, so a reader can later fetch only the columns it needs (Parquet is
columnar) and a run of millions of parcels stays below SQLite's blob limit.

A run is recorded in one transaction: a reader sees the whole run or none of it, also when the
writer is stopped half-way (Ctrl+C, a full disk, a power cut: SQLite's journal rolls it back).
Runs are never changed once recorded; ids increase.

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`)::

    store_meta(key TEXT PRIMARY KEY, value TEXT)           -- format, store_id, created_at
    runs(run_id INTEGER PRIMARY KEY AUTOINCREMENT, as_of_date TEXT, recorded_at TEXT,
         landuse_version TEXT, rules_path TEXT, rules_toml TEXT, rules_sha256 TEXT,
         crs TEXT, parcels INTEGER, rejects INTEGER)
    run_inputs(run_id, position, role, path, sha256, size)
    run_tables(run_id, name, part, data BLOB)               -- name: parcels, parks, rejects,
                                                            --       load_report
    inspections, inspection_queue                           -- see landuse.inspection_store
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landuse.errors import InputError
from landuse.source import InputFile, NotFound, RunInfo

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from landuse.pipeline import Results

FORMAT = "landuse-runs"
SCHEMA_VERSION = 1
#: Largest part of a stored table, in bytes (SQLite's default blob limit is 1,000,000,000).
PART_BYTES = 256 * 1024 * 1024
#: Names a store file may have.
STORE_SUFFIXES = (".sqlite", ".db", ".landuse")
#: Tables of a run.
TABLES = ("parcels", "parks", "rejects", "load_report")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    as_of_date TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    landuse_version TEXT NOT NULL,
    rules_path TEXT,
    rules_toml TEXT NOT NULL,
    rules_sha256 TEXT NOT NULL,
    crs TEXT,
    parcels INTEGER NOT NULL,
    rejects INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_inputs (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE IF NOT EXISTS run_tables (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    name TEXT NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, name, part)
);
"""

WHAT_A_STORE_IS = (
    "A store of runs is the SQLite file `landuse analyse ... --store FILE.sqlite` writes "
    "(created by the first run, added to by every later one)."
)


# --------------------------------------------------------------------------- checks


def _not_a_store(path: Path, why: str) -> InputError:
    return InputError(
        f"不是运行记录库 {path} is not a store of runs: {why}. {WHAT_A_STORE_IS} Give the file "
        "a first run wrote, or a new name ending in .sqlite to start one."
    )


def check_store_name(path: Path) -> Path:
    """``path`` when it can name a store (suffix, not a folder); :class:`InputError` else."""
    if path.suffix.lower() not in STORE_SUFFIXES:
        raise InputError(
            f"--store {path}: a store of runs is one SQLite file named .sqlite (or .db); "
            f"{path.name!r} is not. For results to open in QGIS use --out FILE.gpkg; to keep "
            "every run, add --store runs.sqlite."
        )
    if path.is_dir():
        raise InputError(
            f"--store {path} is a folder. Give a file name, e.g. {path / 'runs.sqlite'}."
        )
    return path


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=60, isolation_level=None)  # transactions by hand
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _check_schema(db: sqlite3.Connection, path: Path) -> None:
    try:
        row = db.execute("SELECT value FROM store_meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(path, f"it is not a landuse store ({exc})") from None
    if row is None or row[0] != FORMAT:
        raise _not_a_store(path, "it has no landuse run records")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{path} was written by a newer landuse (store format {version}; this one reads "
            f"{SCHEMA_VERSION}). Update landuse (pip install -U landuse) to read it."
        )


def check_store(path: Path) -> None:
    """:class:`InputError` naming the file and the fix unless ``path`` is an existing store
    of runs (reads its metadata only)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(
            f"--store {path}: no such store of runs. {WHAT_A_STORE_IS} Record a run first: "
            f"landuse analyse parcels.gpkg --ledger 台账.xlsx --as-of YYYY-MM-DD --store {path}"
        )
    try:
        with closing(_connect(path)) as db:
            _check_schema(db, path)
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(path, f"SQLite cannot read it ({exc})") from None


def store_id(path: Path) -> str:
    """The store's own id (made when it was created): tells two stores at one path apart."""
    with closing(_connect(path)) as db:
        _check_schema(db, path)
        row = db.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
    return str(row[0]) if row else "0"


# --------------------------------------------------------------------------- writing


def sha256_of(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg")


def input_files(named: Iterable[tuple[str, Path | None]]) -> list[InputFile]:
    """Every input file with its hash: ``named`` as ``(role, path)`` pairs (None skipped); a
    shapefile brings its .shx, .dbf, .prj and .cpg when they are there."""
    out: list[InputFile] = []
    for role, path in named:
        if path is None:
            continue
        paths = [Path(path)]
        if paths[0].suffix.lower() == ".shp":
            for suffix in SHAPEFILE_PARTS:
                for part in (paths[0].with_suffix(suffix), paths[0].with_suffix(suffix.upper())):
                    if part.is_file():
                        paths.append(part)
                        break
        for p in paths:
            digest, size = sha256_of(p)
            out.append(InputFile(role, str(p), digest, size))
    return out


def rules_text(rules_path: Path | None) -> str:
    """The rules in force as TOML text: the national defaults, then the rules file when given
    (applied over them, as :func:`landuse.rules_file.load_rules` does)."""
    from landuse.rules_file import DEFAULT_RULES_PATH

    text = "# landuse national defaults (default_rules.toml)\n" + Path(
        DEFAULT_RULES_PATH
    ).read_text(encoding="utf-8")
    if rules_path is not None:
        text += f"\n\n# rules file {rules_path}, applied over the defaults\n" + Path(
            rules_path
        ).read_text(encoding="utf-8")
    return text


def _parts(data: bytes) -> list[bytes]:
    return [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)] or [b""]


def _parquet_bytes(frame: Any, crs: Any) -> bytes:
    from landuse.outputs import layer_frame

    buffer = io.BytesIO()
    layer_frame(frame, crs).to_parquet(buffer, index=False)
    return buffer.getvalue()


def run_tables(results: Results) -> dict[str, bytes]:
    """The tables of a run as Parquet bytes: ``parcels`` as ``--out FILE.parquet`` writes
    them (amounts rounded to 0.01 万元, public column order), ``parks`` when boundaries were
    given, ``rejects`` and ``load_report``."""
    import pandas as pd

    from landuse.outputs import output_columns, rounded

    parcels = results.parcels
    tables = {
        "parcels": _parquet_bytes(rounded(parcels[output_columns(parcels)]), results.crs),
        "rejects": _parquet_bytes(results.rejects, results.crs),
        "load_report": _parquet_bytes(
            pd.DataFrame(results.loaded.report.table()).astype(object).astype("string"), None
        ),
    }
    if results.loaded.parks is not None:
        tables["parks"] = _parquet_bytes(results.loaded.parks, results.loaded.parks.crs)
    return tables


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record_run(
    store: Path,
    results: Results,
    *,
    inputs: Sequence[InputFile],
    rules_path: Path | None,
) -> RunInfo:
    """Record ``results`` as a new run of the store at ``store`` (created when missing) in one
    transaction, and return it. Nothing is recorded when anything fails."""
    from landuse import __version__

    store = check_store_name(Path(store))
    tables = run_tables(results)  # the slow part, before the store is locked
    rules = rules_text(rules_path)
    rules_sha = hashlib.sha256(rules.encode("utf-8")).hexdigest()
    crs = results.crs.to_string() if results.crs is not None else None
    as_of = results.as_of.date().isoformat()
    new = not store.exists()
    store.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = _connect(store)
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(store, f"SQLite cannot open it ({exc})") from None
    with closing(db):
        try:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time; readers see the old state
            if (
                new
                or not db.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'store_meta'"
                ).fetchone()
            ):
                if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise _not_a_store(store, "it is an SQLite file with other tables")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.executemany(
                    "INSERT INTO store_meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT), ("store_id", uuid.uuid4().hex), ("created_at", _now())],
                )
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            else:
                _check_schema(db, store)
            from landuse.inspection_store import ensure_tables

            ensure_tables(db)  # the findings recorded through the service (POST /inspections)
            recorded = _now()
            cur = db.execute(
                "INSERT INTO runs (as_of_date, recorded_at, landuse_version, rules_path, "
                "rules_toml, rules_sha256, crs, parcels, rejects) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    as_of,
                    recorded,
                    __version__,
                    str(rules_path) if rules_path is not None else None,
                    rules,
                    rules_sha,
                    crs,
                    len(results.parcels),
                    len(results.rejects),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO run_inputs (run_id, position, role, path, sha256, size) "
                "VALUES (?,?,?,?,?,?)",
                [(run_id, i, f.role, f.path, f.sha256, f.size) for i, f in enumerate(inputs)],
            )
            for name, data in tables.items():
                db.executemany(
                    "INSERT INTO run_tables (run_id, name, part, data) VALUES (?,?,?,?)",
                    [(run_id, name, i, part) for i, part in enumerate(_parts(data))],
                )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return RunInfo(
        run_id,
        as_of,
        recorded,
        len(results.parcels),
        len(results.rejects),
        tuple(inputs),
        rules_sha,
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredRun:
    """A run as recorded, with what :class:`~landuse.source.RunInfo` does not hold."""

    info: RunInfo
    landuse_version: str
    rules_path: str | None
    rules_toml: str
    crs: str | None


def read_runs(path: Path) -> list[StoredRun]:
    """Every run of the store, oldest first (:class:`InputError` when it is not a store)."""
    check_store(path)
    with closing(_connect(path)) as db:
        rows = db.execute(
            "SELECT run_id, as_of_date, recorded_at, parcels, rejects, rules_sha256, "
            "landuse_version, rules_path, rules_toml, crs FROM runs ORDER BY run_id"
        ).fetchall()
        inputs: dict[int, list[InputFile]] = {}
        for run_id, role, p, sha, size in db.execute(
            "SELECT run_id, role, path, sha256, size FROM run_inputs ORDER BY run_id, position"
        ):
            inputs.setdefault(run_id, []).append(InputFile(role, p, sha, size))
    return [
        StoredRun(
            RunInfo(r[0], r[1], r[2], r[3], r[4], tuple(inputs.get(r[0], ())), r[5]),
            r[6],
            r[7],
            r[8],
            r[9],
        )
        for r in rows
    ]


def read_table(
    path: Path, run_id: int, name: str, columns: Sequence[str] | None = None
) -> pa.Table | None:
    """Table ``name`` of run ``run_id`` as Arrow (``columns``: only those of them the table
    has, read alone since Parquet is columnar; None: all), or None when the run has no such
    table (``parks`` without boundaries). :class:`NotFound` when there is no such run."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with closing(_connect(path)) as db:
        if not db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            raise NotFound(f"No run {run_id} in {path}.")
        parts = [
            row[0]
            for row in db.execute(
                "SELECT data FROM run_tables WHERE run_id = ? AND name = ? ORDER BY part",
                (run_id, name),
            )
        ]
    if not parts:
        return None
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if columns is None:
        return pq.read_table(pa.BufferReader(data))
    file = pq.ParquetFile(pa.BufferReader(data))
    present = set(file.schema_arrow.names)
    return file.read(columns=[c for c in columns if c in present])


def store_identity(path: Path) -> tuple[int, int]:
    """(modification time in ns, size): changes whenever a run is recorded."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


__all__ = [
    "FORMAT",
    "STORE_SUFFIXES",
    "StoredRun",
    "check_store",
    "check_store_name",
    "input_files",
    "read_runs",
    "read_table",
    "record_run",
    "rules_text",
    "sha256_of",
    "store_id",
]
