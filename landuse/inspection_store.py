"""Inspection findings kept in the store of runs (``POST /inspections``), and the 待核查 queue.

A bureau records what its inspectors found through the service (``landuse serve --store``):
a JSON list of findings or the filled 待核查 form of the results workbook. The rows are read and
normalised by :mod:`landuse.inspections` (the same headers, vocabulary, dates and units as
``--inspections FILE``) and then checked strictly: a row that ``--inspections`` would report
and skip is refused here, with its row and field and the fix, and nothing of the request is
recorded (one transaction). The next ``landuse analyse ... --store`` on the store uses the
findings recorded up to its as-of date as inspections, together with any ``--inspections``
files (per parcel the latest inspection date wins, as among files).

The 待核查 parcels of the latest run form a queue: each can be assigned to someone and marked
done (``inspection_queue``, one row per parcel key).

Tables (created when missing, also in a store written before they existed)::

    inspections(inspection_id INTEGER PRIMARY KEY AUTOINCREMENT, supervision_no, parcel_id,
                inspection_date, finding, actual_start_date, actual_completion_date,
                developed_area_ha, invested_ex_land_wan, suspended_since, inspector, note,
                recorded_at, recorded_by, source, source_row)
    inspection_queue(parcel TEXT PRIMARY KEY, assigned_to, status, updated_at, updated_by)
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import InputError
from landuse.inspections import FINDINGS_ZH, KEYS, VALUES, normalise_inspections
from landuse.report import LoadReport
from landuse.schema import SOURCE_FILE, SOURCE_ROW
from landuse.source import InspectionLog

SCHEMA = """
CREATE TABLE IF NOT EXISTS inspections (
    inspection_id INTEGER PRIMARY KEY AUTOINCREMENT,
    supervision_no TEXT,
    parcel_id TEXT,
    inspection_date TEXT NOT NULL,
    finding TEXT NOT NULL CHECK (finding IN ('started', 'not_started', 'completed')),
    actual_start_date TEXT,
    actual_completion_date TEXT,
    developed_area_ha REAL,
    invested_ex_land_wan REAL,
    suspended_since TEXT,
    inspector TEXT,
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT,
    source TEXT NOT NULL,
    source_row INTEGER
);
CREATE INDEX IF NOT EXISTS inspections_sup ON inspections (supervision_no);
CREATE INDEX IF NOT EXISTS inspections_pid ON inspections (parcel_id);
CREATE TABLE IF NOT EXISTS inspection_queue (
    parcel TEXT PRIMARY KEY,
    assigned_to TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    updated_at TEXT NOT NULL,
    updated_by TEXT
);
"""
_DATES = ("inspection_date", "actual_start_date", "actual_completion_date", "suspended_since")
_NUMBERS = ("developed_area_ha", "invested_ex_land_wan")
COLUMNS = (
    "inspection_id",
    *KEYS,
    "inspection_date",
    "finding",
    "actual_start_date",
    "actual_completion_date",
    "developed_area_ha",
    "invested_ex_land_wan",
    "suspended_since",
    "inspector",
    "note",
    "recorded_at",
    "recorded_by",
    "source",
    "source_row",
)
QUEUE_STATUSES = ("open", "done")
#: How to put right a row refused for want of a field.
_FIX = {
    "inspection_date": "give the date of the inspection as YYYY-MM-DD",
    "finding": "give 已开工, 未开工 or 已竣工 (started, not_started, completed)",
    "key": "give the parcel's supervision_no (电子监管号) or parcel_id (宗地编号)",
}


class FindingsRefused(InputError):
    """Findings that cannot be recorded; ``errors`` lists each row and field at fault."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


def ensure_tables(db: sqlite3.Connection) -> None:
    """Create the inspection tables when missing (a store written before they existed)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _connect(path: Path) -> sqlite3.Connection:
    from landuse.runstore import _check_schema, _connect

    db = _connect(path)
    _check_schema(db, path)
    return db


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- checking


def findings_frame(items: list[dict[str, Any]], source: str = "api") -> pd.DataFrame:
    """A JSON list of findings as a raw table (one column per field, row numbers from 1)."""
    frame = pd.DataFrame.from_records(items).astype(object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_FILE] = source
    frame[SOURCE_ROW] = np.arange(1, len(frame) + 1)
    return frame


def _parcel_keys(parcels: pd.DataFrame) -> dict[str, int]:
    """Each key (upper case, trimmed) of the parcels -> position (-2 when several share it)."""
    out: dict[str, int] = {}
    for name in KEYS:
        if name not in parcels:
            continue
        for position, key in enumerate(parcels[name].astype("string").str.strip().str.upper()):
            if key is pd.NA or not key:
                continue
            out[f"{name}:{key}"] = -2 if f"{name}:{key}" in out else position
    return out


def check_findings(raw: pd.DataFrame, source: str, parcels: pd.DataFrame) -> pd.DataFrame:
    """The filled rows of ``raw`` normalised (see
    :func:`landuse.inspections.normalise_inspections`), every one usable against ``parcels``
    (the latest run's): a known key, a date, a finding, no cell that could not be read.
    :class:`FindingsRefused` listing every row and field at fault otherwise."""
    report = LoadReport()
    table = normalise_inspections(raw, source, report)
    errors: list[dict[str, Any]] = []

    def refuse(row: object, field: str, value: object, problem: str, fix: str) -> None:
        errors.append(
            {"row": int(row), "field": field, "value": value, "problem": problem, "fix": fix}
        )

    entries = report.entries()
    if source == "api":
        unknown = entries[entries["code"] == "column_unknown"]
        for value in unknown["value"]:
            for name in str(value).split(", "):
                errors.append(
                    {
                        "row": None,
                        "field": name,
                        "value": None,
                        "problem": "unknown field",
                        "fix": "use the fields of the inspection form: supervision_no, "
                        "parcel_id, inspection_date, finding, actual_start_date, "
                        "actual_completion_date, developed_area_ha, invested_ex_land_wan, "
                        "suspended_since, inspector, inspection_note (or their Chinese headers)",
                    }
                )
    filled = table["filled"].to_numpy(dtype=bool)
    rows = table[SOURCE_ROW].to_numpy()
    cells = entries[entries["row"].notna() & (entries["severity"] != "info")]
    in_filled = set(rows[filled].tolist())
    for e in cells.itertuples():
        if int(e.row) in in_filled:
            refuse(e.row, e.column, e.value, e.problem, "correct the value or leave it empty")
    keys = _parcel_keys(parcels)
    for i in np.flatnonzero(filled):
        row = rows[i]
        found = []
        for name in KEYS:
            value = table[name].iloc[i]
            if value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            position = keys.get(f"{name}:{str(value).strip().upper()}", -1)
            if position == -1:
                refuse(
                    row,
                    name,
                    value,
                    f"no parcel {value} in the latest run",
                    "check the number against the 待核查 list of the latest run",
                )
            elif position == -2:
                refuse(row, name, value, "several parcels carry this key", "give the other key")
            found.append(position)
        if not found:
            refuse(row, "supervision_no", None, "no parcel key", _FIX["key"])
        elif len(set(found)) > 1 and min(found) >= 0:
            refuse(row, "parcel_id", None, "the two keys name different parcels", _FIX["key"])
        if pd.isna(table["inspection_date"].iloc[i]):
            refuse(row, "inspection_date", None, "no inspection date", _FIX["inspection_date"])
        finding = table["finding"].iloc[i]
        if bool(table["finding_bad"].iloc[i]):
            value = raw[table.attrs["finding_header"]].iloc[i]
            refuse(row, "finding", value, "finding not understood", _FIX["finding"])
        elif finding is pd.NA or finding == "unknown":
            refuse(row, "finding", None, "no finding", _FIX["finding"])
    if not filled.any() and not errors:
        errors.append(
            {
                "row": None,
                "field": "finding",
                "value": None,
                "problem": "no row holds a finding",
                "fix": "fill in 核查日期 and 核查结论 of the parcels inspected",
            }
        )
    if errors:
        first = errors[0]
        where = f"row {first['row']}, " if first["row"] is not None else ""
        raise FindingsRefused(
            f"核查记录未保存 Nothing recorded: {len(errors)} problem(s); {where}field "
            f"{first['field']}: {first['problem']} ({first['fix']}).",
            errors,
        )
    return table.loc[filled].reset_index(drop=True)


# --------------------------------------------------------------------------- writing


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:  # NaT is no Timestamp instance
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    return str(value)


def record_findings(
    store: Path, table: pd.DataFrame, *, source: str, recorded_by: str | None
) -> list[int]:
    """Record the checked findings ``table`` (see :func:`check_findings`) in one transaction;
    their ids."""
    recorded = _now()
    rows = []
    for r in table.to_dict("records"):
        rows.append(
            (
                _text(r["supervision_no"]),
                _text(r["parcel_id"]),
                _text(pd.Timestamp(r["inspection_date"])),
                str(r["finding"]),
                *(
                    _text(pd.Timestamp(r[n]))
                    for n in ("actual_start_date", "actual_completion_date")
                ),
                *(None if pd.isna(r[n]) else float(r[n]) for n in _NUMBERS),
                _text(pd.Timestamp(r["suspended_since"])),
                _text(r["inspector"]),
                _text(r["inspection_note"]),
                recorded,
                recorded_by,
                source,
                int(r[SOURCE_ROW]),
            )
        )
    with closing(_connect(store)) as db:
        try:
            db.execute("BEGIN IMMEDIATE")
            ensure_tables(db)
            ids = [
                int(
                    db.execute(
                        f"INSERT INTO inspections ({', '.join(COLUMNS[1:])}) "
                        f"VALUES ({', '.join('?' * (len(COLUMNS) - 1))})",
                        row,
                    ).lastrowid
                    or 0
                )
                for row in rows
            ]
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return ids


def set_queue(
    store: Path, parcel: str, *, assigned_to: str | None, status: str | None, by: str | None
) -> None:
    """Assign the queue's parcel ``parcel`` and/or set its status (open/done)."""
    with closing(_connect(store)) as db:
        try:
            db.execute("BEGIN IMMEDIATE")
            ensure_tables(db)
            old = db.execute(
                "SELECT assigned_to, status FROM inspection_queue WHERE parcel = ?", (parcel,)
            ).fetchone() or (None, "open")
            db.execute(
                "INSERT OR REPLACE INTO inspection_queue (parcel, assigned_to, status, "
                "updated_at, updated_by) VALUES (?,?,?,?,?)",
                (
                    parcel,
                    assigned_to if assigned_to is not None else old[0],
                    status if status is not None else old[1],
                    _now(),
                    by,
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


# --------------------------------------------------------------------------- reading


def read_findings(store: Path, *, up_to: dt.date | None = None) -> pd.DataFrame:
    """Every finding recorded (oldest first), with the columns of :data:`COLUMNS`; ``up_to``:
    only those inspected on or before that date."""
    with closing(_connect(store)) as db:
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inspections'"
        ).fetchone()
        if not exists:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        sql = f"SELECT {', '.join(COLUMNS)} FROM inspections"
        params: tuple[Any, ...] = ()
        if up_to is not None:
            sql += " WHERE inspection_date <= ?"
            params = (up_to.isoformat(),)
        rows = db.execute(sql + " ORDER BY inspection_id", params).fetchall()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def read_queue(store: Path) -> dict[str, tuple[str | None, str, str, str | None]]:
    """parcel -> (assigned_to, status, updated_at, updated_by)."""
    with closing(_connect(store)) as db:
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inspection_queue'"
        ).fetchone()
        if not exists:
            return {}
        return {
            r[0]: tuple(r[1:])
            for r in db.execute(
                "SELECT parcel, assigned_to, status, updated_at, updated_by FROM inspection_queue"
            )
        }


def as_inspections(found: pd.DataFrame, name: str) -> pd.DataFrame:
    """Findings read by :func:`read_findings` in the normalised form of
    :func:`landuse.inspections.normalise_inspections` (source ``name``, row = the finding's
    id), to be applied with the rows of ``--inspections`` files."""
    out = pd.DataFrame(
        {
            SOURCE_FILE: pd.array([name] * len(found), dtype="string"),
            SOURCE_ROW: found["inspection_id"].to_numpy(dtype=np.int64),
        }
    )
    for key in KEYS:
        out[key] = pd.array(found[key].to_numpy(dtype=object), dtype="string")
    for column in _DATES:
        out[column] = pd.to_datetime(found[column]).astype("datetime64[ns]").to_numpy()
    for column in _NUMBERS:
        out[column] = pd.to_numeric(found[column]).astype(float).to_numpy()
    out["finding"] = pd.array(found["finding"].to_numpy(dtype=object), dtype="string")
    out["finding_bad"] = np.zeros(len(found), dtype=bool)
    out["inspector"] = pd.array(found["inspector"].to_numpy(dtype=object), dtype="string")
    out["inspection_note"] = pd.array(found["note"].to_numpy(dtype=object), dtype="string")
    out["filled"] = np.ones(len(found), dtype=bool)
    return out[
        [
            SOURCE_FILE,
            SOURCE_ROW,
            *KEYS,
            *VALUES,
            "inspection_date",
            "finding",
            "finding_bad",
            "inspector",
            "inspection_note",
            "filled",
        ]
    ]


def stored_inspections(store: Path, as_of: dt.date) -> tuple[pd.DataFrame, int, int]:
    """The findings of the store to use in a run as of ``as_of``, normalised (see
    :func:`as_inspections`); with how many are recorded and how many of them are dated after
    ``as_of`` (left out)."""
    every = read_findings(store)
    used = every[every["inspection_date"] <= as_of.isoformat()]
    name = f"{Path(store).name} 核查记录"
    return as_inspections(used.reset_index(drop=True), name), len(every), len(every) - len(used)


def finding_document(row: dict[str, Any]) -> dict[str, Any]:
    """A stored finding as JSON (``finding_zh`` added)."""
    doc = {c: (None if pd.isna(row[c]) else row[c]) for c in COLUMNS if c in row}
    doc["finding_zh"] = FINDINGS_ZH.get(str(doc.get("finding")))
    return doc


# --------------------------------------------------------------------------- the queue

#: Columns of a queue entry taken from the latest run.
QUEUE_RUN_COLUMNS = (
    "supervision_no",
    "parcel_id",
    "project_name",
    "holder",
    "park",
    "area_ha",
    "start_due_date",
    "likely_idle",
    "potential_penalty_wan",
)


def parcel_key(supervision_no: object, parcel_id: object) -> str | None:
    """The key a parcel is queued under: its 电子监管号, else its 宗地编号 (trimmed, upper
    case)."""
    for value in (supervision_no, parcel_id):
        text = _text(value)
        if text and text.strip():
            return text.strip().upper()
    return None


def latest_parcels(store: Path, columns: tuple[str, ...]) -> tuple[int, pd.DataFrame]:
    """The latest run's id (the run the service serves by default: latest as-of date, then
    latest recorded) and its parcels' ``columns`` (those it has). :class:`InputError` when
    the store holds no run."""
    from landuse.runstore import read_runs, read_table
    from landuse.source import choose_run

    runs = [r.info for r in read_runs(store)]
    if not runs:
        raise InputError(f"{store} holds no run yet: record one with landuse analyse --store.")
    run_id = choose_run(runs, None, None).run_id
    table = read_table(store, run_id, "parcels", columns=list(columns))
    return run_id, (table.to_pandas() if table is not None else pd.DataFrame())


def _latest_per_parcel(found: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """parcel key -> its latest finding (latest inspection date, then the last recorded)."""
    out: dict[str, dict[str, Any]] = {}
    ordered = found.sort_values(["inspection_date", "inspection_id"], kind="stable")
    for row in ordered.to_dict("records"):
        for name in KEYS:
            key = parcel_key(row[name], None)
            if key:
                out[f"{name}:{key}"] = row
    return out


def queue(store: Path) -> tuple[int, list[dict[str, Any]]]:
    """The latest run's id and its queue (:func:`queue_items`) in the store at ``store``."""
    run_id, parcels = latest_parcels(store, QUEUE_COLUMNS)
    return run_id, queue_items(parcels, read_findings(store), read_queue(store))


#: Columns of the latest run a queue is made from.
QUEUE_COLUMNS: tuple[str, ...] = (*QUEUE_RUN_COLUMNS, "status")


def queue_items(
    parcels: pd.DataFrame,
    found: pd.DataFrame,
    state: dict[str, tuple[str | None, str, str | None, str | None]],
) -> list[dict[str, Any]]:
    """The 待核查 (unverified) parcels of a run (``parcels``: its :data:`QUEUE_COLUMNS`), as the
    workbook's 待核查 sheet ranks them (likely idle by the footprints first, then the amount
    that would apply, then the area; larger first), each with its queue state (``state``:
    ``assigned_to``, ``status`` open/done) and its latest finding among ``found``
    (``latest_finding``, or null)."""
    if "status" not in parcels:
        return []
    picked = parcels[parcels["status"].astype("string") == "unverified"].copy()
    keys = [k for k in ("likely_idle", "potential_penalty_wan", "area_ha") if k in picked]
    for k in keys:
        picked[f"_{k}"] = -pd.to_numeric(picked[k].astype("Float64"), errors="coerce").fillna(
            -np.inf
        )
    picked = picked.sort_values([f"_{k}" for k in keys], kind="stable") if keys else picked
    latest = _latest_per_parcel(found)
    items = []
    for row in picked.to_dict("records"):
        key = parcel_key(row.get("supervision_no"), row.get("parcel_id"))
        if key is None:
            continue
        found = None
        for name in KEYS:
            k = parcel_key(row.get(name), None)
            candidate = latest.get(f"{name}:{k}") if k else None
            if candidate is not None and (
                found is None
                or (candidate["inspection_date"], candidate["inspection_id"])
                > (found["inspection_date"], found["inspection_id"])
            ):
                found = candidate
        assigned, status, updated_at, updated_by = state.get(key, (None, "open", None, None))
        doc = {"parcel": key}
        for c in QUEUE_RUN_COLUMNS:
            if c in row:
                value = row[c]
                if isinstance(value, pd.Timestamp | dt.date):
                    value = None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
                elif value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                    value = None
                elif isinstance(value, np.generic):
                    value = value.item()
                doc[c] = value
        doc.update(
            assigned_to=assigned,
            status=status,
            updated_at=updated_at,
            updated_by=updated_by,
            latest_finding=finding_document(found) if found is not None else None,
        )
        items.append(doc)
    return items


class StoreInspectionLog(InspectionLog):
    """The findings and the queue state kept in a store of runs (tables ``inspections`` and
    ``inspection_queue`` of the SQLite file at ``store``)."""

    def __init__(self, store: Path) -> None:
        self.store = Path(store)

    def record(self, table: pd.DataFrame, *, source: str, recorded_by: str | None) -> list[int]:
        return record_findings(self.store, table, source=source, recorded_by=recorded_by)

    def findings(self) -> pd.DataFrame:
        return read_findings(self.store)

    def queue_state(self) -> dict[str, tuple[str | None, str, str | None, str | None]]:
        return read_queue(self.store)

    def set_queue(
        self, parcel: str, *, assigned_to: str | None, status: str | None, by: str | None
    ) -> None:
        set_queue(self.store, parcel, assigned_to=assigned_to, status=status, by=by)


__all__ = [
    "COLUMNS",
    "FindingsRefused",
    "QUEUE_COLUMNS",
    "QUEUE_STATUSES",
    "StoreInspectionLog",
    "as_inspections",
    "check_findings",
    "ensure_tables",
    "findings_frame",
    "latest_parcels",
    "parcel_key",
    "queue",
    "queue_items",
    "read_findings",
    "read_queue",
    "record_findings",
    "set_queue",
    "stored_inspections",
]
