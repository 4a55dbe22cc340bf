"""Inspection findings (核查结论) fed back into the analysis.

A bureau inspects the parcels the analysis marks 待核查 (or any others) and records, per
parcel, the inspection date and finding (已开工 / 未开工 / 已竣工), with what it saw: the actual
start and completion dates, the developed area, the investment, the date construction stopped,
the inspector and a note. ``--inspections FILE`` feeds such files (CSV, XLSX, XLS, XLSB, ODS;
the 待核查 sheet of the results workbook filled in is one) back into a run; findings recorded
through the service in a store of runs (:mod:`landuse.inspection_store`) are taken with them:

1. read through :func:`landuse.readers.read_table` (title rows, header variants, the sheet with
   the most inspection columns) and normalised (dates, numbers with units, the finding's
   vocabulary);
2. validated against the analysed parcels, keyed by 电子监管号 (``supervision_no``) or 宗地编号
   (``parcel_id``): rows that cannot be used are reported with the reason (no key, an unknown
   or rejected parcel, no date, no finding, dated after the as-of date);
3. per parcel, the latest inspection on or before the as-of date is picked (sort, then the last
   row of each parcel's group);
4. applied to the parcels before the rules run: it sets ``start_status`` (so
   ``start_evidence = inspection``) and the dates and amounts it gives, and adds
   ``inspection_date``, ``inspector``, ``inspection_note``, ``start_date_assumed`` and
   ``completion_date_assumed``.

The inspection is newer evidence than the ledger, so what it states wins; a ledger value it
replaces is kept in the load report (code ``inspection_overrides_ledger``). The inspection date
bounds what was found: 已开工 without an actual start date starts on the inspection date at the
latest, 已竣工 without an actual completion date is completed on the inspection date at the
latest; the late days then count to that date (an upper bound, flagged). Everything works on
whole columns: no loop over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from landuse import parsing
from landuse.errors import InputError
from landuse.normalise import canonical_frame
from landuse.readers import read_table
from landuse.report import LoadReport
from landuse.rules_file import DateRules
from landuse.schema import (
    COLUMNS_BY_NAME,
    SOURCE_FILE,
    SOURCE_ROW,
    header_lookup,
    normalise_header,
)

# Columns added to the parcels (and carried into the results).
INSPECTION_COLUMNS: tuple[str, ...] = (
    "inspection_date",
    "inspector",
    "inspection_note",
    "start_date_assumed",
    "completion_date_assumed",
)
INSPECTION_LABELS_ZH: dict[str, str] = {
    "inspection_date": "核查日期",
    "inspector": "核查人",
    "inspection_note": "核查备注",
    "start_date_assumed": "开工日期按核查日期推定",
    "completion_date_assumed": "竣工日期按核查日期推定",
}

# Headers of the inspection's own fields (compared after normalise_header).
DATE_HEADERS = ("核查日期", "核查时间", "检查日期", "巡查日期", "核实日期", "inspection_date")
FINDING_HEADERS = ("核查结论", "核查结果", "开工状态", "开工情况", "核查情况", "finding")
INSPECTOR_HEADERS = ("核查人", "核查人员", "检查人", "巡查人", "inspector")
NOTE_HEADERS = ("备注", "核查说明", "情况说明", "核查备注", "inspection_note", "note")
_OWN_FIELDS: dict[str, tuple[str, ...]] = {
    "inspection_date": DATE_HEADERS,
    "finding": FINDING_HEADERS,
    "inspector": INSPECTOR_HEADERS,
    "inspection_note": NOTE_HEADERS,
}
_OWN_LOOKUP: dict[str, str] = {
    normalise_header(h): name for name, headers in _OWN_FIELDS.items() for h in headers
}
# Headers that count as known when looking for the header row, and that pick the sheet.
EXTRA_HEADERS: frozenset[str] = frozenset(_OWN_LOOKUP)
# The ledger columns an inspection can give (canonical names; their headers and units come
# from landuse.schema).
KEYS = ("supervision_no", "parcel_id")
VALUES = (
    "actual_start_date",
    "actual_completion_date",
    "developed_area_ha",
    "invested_ex_land_wan",
    "suspended_since",
)
# The columns a bureau fills in; a row with none of them is a form row not inspected.
_FILLED = ("inspection_date", "finding", "inspector", "inspection_note", *VALUES)

# The finding's vocabulary (after trimming, lower case, spaces removed).
_COMPLETED = frozenset(
    {"已竣工", "竣工", "已建成", "建成", "已完工", "完工", "竣工验收", "已竣工验收", "已投产"}
    | {"投产", "completed"}
)
_STARTED = frozenset(
    {"已开工", "开工", "已动工", "动工", "在建", "正在建设", "施工中", "已开工建设", "部分开工"}
    | {"停工", "已停工", "started"}
)
_NOT_STARTED = frozenset(
    {"未开工", "未动工", "尚未开工", "尚未动工", "未建", "闲置", "not_started", "notstarted"}
)
_UNKNOWN = frozenset({"未知", "不详", "待核查", "待查", "无法核实", "unknown"})
FINDINGS_ZH = {"started": "已开工", "not_started": "未开工", "completed": "已竣工"}
_LEADING_CODES = {
    **dict.fromkeys(("已竣工", "已建成", "已完工", "竣工", "已投产"), "completed"),
    **dict.fromkeys(("未开工", "未动工", "尚未开工", "尚未动工"), "not_started"),
    **dict.fromkeys(("已开工", "已动工", "开工", "在建", "停工", "已停工"), "started"),
}
_LEADING_FINDING = "^(" + "|".join(sorted(_LEADING_CODES, key=len, reverse=True)) + ")"

# What makes a table an inspection file rather than a ledger (see looks_like_inspections).
_TELLING = frozenset(
    normalise_header(h) for h in (*DATE_HEADERS, "核查结论", "核查结果", *INSPECTOR_HEADERS)
)
_LEDGER_ONLY = frozenset({"area_ha", "land_price_wan"})


@dataclass
class InspectionSummary:
    """What became of the inspection rows: ``read`` = ``applied`` + ``older`` (superseded by a
    later inspection of the same parcel) + ``after_as_of`` + ``not_used`` (reported with the
    reason) + ``blank`` (form rows with nothing filled in). ``latest`` holds the applied
    inspections (one per parcel: ``position`` in the parcels, the normalised fields, source file
    and row)."""

    read: int
    applied: int
    older: int
    after_as_of: int
    not_used: int
    blank: int
    latest: pd.DataFrame

    def line(self) -> str:
        return (
            f"inspections: {self.read:,} rows read = {self.applied:,} applied + {self.older:,} "
            f"older (a later inspection of the parcel is used) + {self.after_as_of:,} dated "
            f"after the as-of date + {self.not_used:,} not used (see the load report) + "
            f"{self.blank:,} form rows not filled in"
        )


# --------------------------------------------------------------------------------------------
# Telling an inspection file from a ledger


def looks_like_inspections(headers: Sequence[object]) -> bool:
    """Whether a table's headers are those of an inspection file rather than a ledger: an
    inspection column (核查日期, 核查结论, 核查人) and neither an area nor a land price, or the
    inspection date, finding and inspector columns all three (the filled-in 待核查 form)."""
    normalised = {normalise_header(h) for h in headers}
    lookup = header_lookup()
    canonical = {lookup[h][0] for h in normalised if h in lookup}
    telling = normalised & _TELLING
    if telling and not canonical & _LEDGER_ONLY:
        return True
    fields = {_OWN_LOOKUP[h] for h in normalised if h in _OWN_LOOKUP}
    return {"inspection_date", "finding", "inspector"} <= fields


def inspection_file_message(name: str, headers: Sequence[object]) -> str:
    """The error for an inspection file given as a ledger (its rows would be taken as
    conflicting duplicates of the ledger's and rejected)."""
    telling = [str(h) for h in headers if normalise_header(h) in _TELLING]
    return (
        f"{name} looks like an inspection file, not a ledger: it has the column(s) "
        f"{', '.join(telling)} and no 面积/成交价格. Read as a ledger, its rows would be taken as "
        f"conflicting duplicates of the ledger's and rejected. Pass it with --inspections "
        f"{name} (its findings then update the parcels it names), and the ledger as the input."
    )


# --------------------------------------------------------------------------------------------
# Reading and normalising


def _fields(columns: Sequence[str]) -> tuple[dict[str, str], list[str], list[tuple[str, str]]]:
    """``(field -> header, unused headers, repeated (header, header used))`` of an inspection
    table's columns: the inspection's own fields first, then the keys and values of the data
    model (by landuse.schema's headers, units included). Where two columns name one field, the
    header listed first in :data:`_OWN_FIELDS` wins (核查结论 over a form's 开工状态), else the
    first column."""
    lookup = header_lookup()
    rank = {
        normalise_header(h): i for headers in _OWN_FIELDS.values() for i, h in enumerate(headers)
    }
    candidates: dict[str, list[tuple[int, int, str]]] = {}
    unused: list[str] = []
    for position, header in enumerate(columns):
        if header in (SOURCE_FILE, SOURCE_ROW):
            continue
        key = normalise_header(header)
        name = _OWN_LOOKUP.get(key)
        if name is None and key in lookup and lookup[key][0] in (*KEYS, *VALUES):
            name = lookup[key][0]
        if name is None:
            unused.append(str(header))
        else:
            candidates.setdefault(name, []).append((rank.get(key, 0), position, str(header)))
    found: dict[str, str] = {}
    repeated: list[tuple[str, str]] = []
    for name, options in candidates.items():
        best, *rest = sorted(options)
        found[name] = best[2]
        repeated += [(other[2], best[2]) for other in rest]
    return found, unused, repeated


def parse_finding(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The finding: ``started`` / ``not_started`` / ``completed`` / ``unknown``, NA where the
    cell is empty; and the mask of cells holding text not understood (NA too)."""
    text = raw.astype("string").str.strip().str.lower().str.replace(r"\s+", "", regex=True)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    codes = np.select(
        [
            text.isin(_COMPLETED).to_numpy(dtype=bool),
            text.isin(_STARTED).to_numpy(dtype=bool),
            text.isin(_NOT_STARTED).to_numpy(dtype=bool),
            text.isin(_UNKNOWN).to_numpy(dtype=bool),
        ],
        ["completed", "started", "not_started", "unknown"],
        "",
    )
    # a finding with words after it ("已开工（主体施工中）", "未开工，现为空地")
    todo = ~blank & (codes == "")
    if todo.any():
        lead = text[todo].str.extract(_LEADING_FINDING, expand=False)
        codes[todo] = lead.map(_LEADING_CODES).fillna("").to_numpy(dtype=object)
    bad = ~blank & (codes == "")
    values = pd.Series(codes, index=raw.index, dtype="string").mask(blank | bad)
    return values, bad


def _present(raw: pd.Series) -> np.ndarray:
    """Cells that hold something (not empty, not blank text)."""
    present = raw.notna().to_numpy(dtype=bool, copy=True)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank = raw.astype("string").str.strip().eq("").to_numpy(dtype=bool, na_value=False)
        present &= ~blank
    return present


def normalise_inspections(
    raw: pd.DataFrame, file: str, report: LoadReport, *, dates: DateRules | None = None
) -> pd.DataFrame:
    """One row per data row of an inspection table (with ``source_file``/``source_row``):
    ``supervision_no``, ``parcel_id``, ``inspection_date``, ``finding``, ``finding_bad``,
    the :data:`VALUES` in their canonical units, ``inspector``, ``inspection_note`` and
    ``filled`` (any column a bureau fills in holds something). Cells that cannot be
    understood are reported and missing; raises :class:`InputError` when the table has no key,
    date or finding column."""
    dates = dates if dates is not None else DateRules()
    found, unused, repeated = _fields(list(raw.columns))
    headers = ", ".join(str(c) for c in raw.columns if c not in (SOURCE_FILE, SOURCE_ROW))
    if not any(k in found for k in KEYS):
        raise InputError(
            f"Inspection file {file} has no 电子监管号 or 宗地编号 column, so its rows cannot be "
            f"matched to parcels. Its columns are: {headers}. Add the parcel's 电子监管号 (or "
            f"宗地编号) to each row."
        )
    for name, label in (("inspection_date", "核查日期"), ("finding", "核查结论")):
        if name not in found:
            raise InputError(
                f"Inspection file {file} has no {label} column ({', '.join(_OWN_FIELDS[name])}"
                f"). Its columns are: {headers}. Every inspection needs its date and finding "
                f"(已开工 / 未开工 / 已竣工): the latest inspection on or before the as-of date "
                f"is used."
            )
    if unused:
        report.add(
            file=file,
            problem=f"columns not used from an inspection file: {', '.join(unused)}",
            action="ignored",
            value=", ".join(unused),
            code="column_unknown",
        )
    for header, used in repeated:
        report.add(
            file=file,
            column=header,
            problem=f"与列“{used}”同为一个核查字段",
            action=f"ignored; “{used}” used",
            severity="warning",
            code="column_same_field",
        )

    # the keys and values through the data model's normalisation (units, plausibility)
    model = [found[n] for n in (*KEYS, *VALUES) if n in found]
    canonical = canonical_frame(raw[[*model, SOURCE_FILE, SOURCE_ROW]], file, report, dates=dates)
    out = canonical[[SOURCE_FILE, SOURCE_ROW, *KEYS, *VALUES]].copy()

    raw_date = raw[found["inspection_date"]]
    parsed = parsing.parse_date(raw_date, earliest=dates.earliest, latest=dates.latest)
    for mask, problem, code in (
        (parsed.bad, "无法识别的日期 (not a date)", "date_invalid"),
        (parsed.placeholder, "占位日期 (placeholder date)", "date_placeholder"),
        (
            parsed.implausible,
            f"日期不合理 (implausible date: before {dates.earliest} or after {dates.latest})",
            "date_implausible",
        ),
    ):
        report.add_rows(
            raw,
            mask,
            column=found["inspection_date"],
            values=raw_date,
            problem=problem,
            action="treated as missing",
            code=code,
        )
    out["inspection_date"] = parsed.values

    finding, bad = parse_finding(raw[found["finding"]])
    out["finding"] = finding
    out["finding_bad"] = bad
    for name in ("inspector", "inspection_note"):
        out[name] = parsing.parse_text(raw[found[name]]) if name in found else pd.NA
        out[name] = out[name].astype("string")
    filled = np.zeros(len(raw), dtype=bool)
    for name in _FILLED:
        if name in found:
            filled |= _present(raw[found[name]])
    out["filled"] = filled
    out.attrs["finding_header"] = found["finding"]
    out.attrs["date_header"] = found["inspection_date"]
    return out


def read_inspections(
    paths: Sequence[str | Path],
    report: LoadReport,
    names: dict[Path, str] | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    dates: DateRules | None = None,
) -> pd.DataFrame:
    """Read and normalise inspection files (see :func:`normalise_inspections`), stacked in the
    order given; ``names`` are the file names used in the report (default: the file name)."""
    frames = []
    for p in paths:
        path = Path(p)
        name = names.get(path, path.name) if names else path.name
        raw = read_table(path, encoding=encoding, sheet=sheet, extra_headers=EXTRA_HEADERS)
        for text in raw.notes:
            report.add(file=name, problem=text, action="noted")
        if raw.cell_problems is not None:
            report.add_cells(name, raw.cell_problems)
        raw.frame[SOURCE_FILE] = name
        frame = normalise_inspections(raw.frame, name, report, dates=dates)
        frame.attrs["file"] = name
        frames.append(frame)
    headers = {(f.attrs["file"], f.attrs["finding_header"], f.attrs["date_header"]) for f in frames}
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out.attrs["headers"] = {file: (finding, date) for file, finding, date in headers}
    return out


# --------------------------------------------------------------------------------------------
# Matching, picking and applying


def _positions(keys: pd.Series, parcel_keys: pd.Series) -> np.ndarray:
    """The position of each key among the parcels' keys: -1 when absent (or the key is
    missing), -2 when several parcels carry it."""
    norm = parcel_keys.astype("string").str.strip().str.upper()
    wanted = keys.astype("string").str.strip().str.upper()
    counts = norm.value_counts()
    ambiguous = wanted.isin(counts.index[counts > 1]).to_numpy(dtype=bool)
    unique = norm.where(~norm.duplicated(keep=False))
    index = pd.Index(unique.dropna().to_numpy())
    where = index.get_indexer(wanted.fillna("\x00").to_numpy())
    positions = np.flatnonzero(unique.notna().to_numpy(dtype=bool))
    if not len(positions):
        where = np.full(len(wanted), -1)
        positions = np.zeros(1, dtype=np.int64)
    out = np.where(where >= 0, positions[np.maximum(where, 0)], -1)
    out[ambiguous] = -2
    return out


def _dates_text(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype("string").fillna("空")


def _number_text(values: pd.Series) -> pd.Series:
    """Numbers as text, whole ones without ``.0``; ``空`` where missing."""
    text = values.astype("string")
    whole = (values.notna() & (values % 1 == 0) & values.abs().lt(1e15)).to_numpy(dtype=bool)
    text[whole] = values[whole].astype("int64").astype("string")
    return text.fillna("空")


def feed_back(
    paths: Sequence[str | Path],
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    report: LoadReport,
    *,
    as_of: dt.date | pd.Timestamp | str | None = None,
    names: dict[Path, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    dates: DateRules | None = None,
    stored: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, InspectionSummary]:
    """Read the inspection files ``paths`` and apply, per parcel, the latest inspection on or
    before ``as_of`` (default today) to ``parcels`` (in place; also returned). ``stored``:
    findings recorded in a store of runs, normalised (see
    :func:`landuse.inspection_store.stored_inspections`), taken with the files' rows. ``rejects``
    (the rows not analysed) tell an inspection of a rejected parcel from one of an unknown
    parcel. Every row not used is reported with the reason; the run's notes get the
    accounting line of :class:`InspectionSummary`."""
    as_of_ts = pd.Timestamp(dt.date.today() if as_of is None else as_of).normalize()
    headers: dict[str, tuple[str, str]] = {}
    tables = []
    if stored is not None:  # first: on one day, a file's row wins (the later row)
        tables.append(stored)
        where = str(stored[SOURCE_FILE].iloc[0]) if len(stored) else "the store"
        text = (
            f"inspections: {len(stored):,} findings recorded in the store of runs ({where}, "
            f"POST /inspections) taken as inspections with those of any --inspections file"
        )
        report.note(text)
        report.add(
            file=where,
            problem=text,
            action="used as inspections",
            value=len(stored),
            code="inspection_from_store",
            count=len(stored),
        )
    if paths:
        table = read_inspections(paths, report, names, encoding=encoding, sheet=sheet, dates=dates)
        headers = dict(table.attrs.get("headers", {}))
        tables.append(table)
    if stored is not None and len(stored):
        headers[str(stored[SOURCE_FILE].iloc[0])] = ("finding", "inspection_date")
    table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    summary = apply_inspections(table, parcels, rejects, report, as_of_ts, headers)
    report.note(summary.line())
    return parcels, summary


def _report(
    report: LoadReport,
    frame: pd.DataFrame,
    mask: np.ndarray,
    code: str,
    problem: str,
    action: str,
    *,
    column: str | pd.Series = "",
    values: pd.Series | None = None,
    severity: str = "warning",
) -> None:
    """Report the rows of ``mask`` under ``code``; ``column`` may differ per file (a Series of
    header texts)."""
    if not mask.any():
        return
    if isinstance(column, pd.Series):
        for header in pd.unique(column[mask]):
            part = mask & (column == header).to_numpy(dtype=bool)
            report.add_rows(
                frame,
                part,
                column=str(header),
                values=values,
                problem=problem,
                action=action,
                severity=severity,
                code=code,
            )
        return
    report.add_rows(
        frame,
        mask,
        column=column,
        values=values,
        problem=problem,
        action=action,
        severity=severity,
        code=code,
    )


def apply_inspections(
    table: pd.DataFrame,
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    report: LoadReport,
    as_of: pd.Timestamp,
    headers: dict[str, tuple[str, str]] | None = None,
) -> InspectionSummary:
    """Validate the normalised inspections ``table`` against ``parcels``, pick the latest per
    parcel on or before ``as_of`` and apply it to ``parcels`` in place (see the module's
    documentation). ``headers`` maps each file to its (finding, date) header texts, for the
    report."""
    headers = headers or {}
    files = table[SOURCE_FILE].astype("string")
    finding_col = files.map({f: h[0] for f, h in headers.items()}).fillna("核查结论")
    date_col = files.map({f: h[1] for f, h in headers.items()}).fillna("核查日期")
    n = len(table)
    for name in INSPECTION_COLUMNS:
        if name not in parcels.columns:
            parcels[name] = _empty_column(name, len(parcels))

    # --- rows not filled in: a 待核查 form lists every parcel, inspected or not
    blank = ~table["filled"].to_numpy(dtype=bool)
    for file in pd.unique(files[blank]):
        count = int((blank & (files == file).to_numpy(dtype=bool)).sum())
        report.add(
            file=str(file),
            problem=f"{count} rows with no inspection entry (a form row not filled in) skipped",
            action="skipped",
            value=count,
            code="inspection_blank_rows",
            count=count,
        )
    live = ~blank

    # --- keys
    sup, pid = table["supervision_no"], table["parcel_id"]
    no_key = live & (sup.isna() & pid.isna()).to_numpy(dtype=bool)
    _report(
        report,
        table,
        no_key,
        "inspection_no_key",
        "核查记录没有电子监管号或宗地编号 (no key)",
        "not used",
    )
    pos_s = _positions(sup, parcels["supervision_no"])
    pos_p = _positions(pid, parcels["parcel_id"])
    mismatch = live & (pos_s >= 0) & (pos_p >= 0) & (pos_s != pos_p)
    position = np.where(pos_s >= 0, pos_s, np.where(pos_p >= 0, pos_p, -1))
    ambiguous = (position == -1) & ((pos_s == -2) | (pos_p == -2))
    position = np.where(mismatch | ambiguous, -2, position)
    key_text = sup.fillna(pid).astype("string")
    key_col = pd.Series(np.where(sup.notna(), "电子监管号", "宗地编号"), index=table.index)
    _report(
        report,
        table,
        mismatch,
        "inspection_key_mismatch",
        "电子监管号与宗地编号指向不同宗地 (the two keys name different parcels)",
        "not used",
        column="电子监管号",
        values=sup.astype("string") + " / " + pid.astype("string"),
    )
    _report(
        report,
        table,
        live & ambiguous,
        "inspection_ambiguous_key",
        "编号对应多宗宗地 (several parcels carry this key)",
        "not used",
        column=key_col,
        values=key_text,
    )
    unknown = live & ~no_key & (position == -1)
    rejected_keys = pd.concat(
        [rejects[k].dropna().astype("string").str.strip().str.upper() for k in KEYS if k in rejects]
        or [pd.Series([], dtype="string")]
    )
    in_rejects = (
        sup.astype("string").str.strip().str.upper().isin(rejected_keys)
        | pid.astype("string").str.strip().str.upper().isin(rejected_keys)
    ).to_numpy(dtype=bool)
    _report(
        report,
        table,
        unknown & in_rejects,
        "inspection_rejected_parcel",
        "核查记录对应的台账记录未被采用 (the parcel's ledger rows were rejected; see the rejects)",
        "not used",
        column=key_col,
        values=key_text,
    )
    _report(
        report,
        table,
        unknown & ~in_rejects,
        "inspection_unknown_parcel",
        "核查记录的编号不在分析的宗地中 (inspection of an unknown parcel)",
        "not used",
        column=key_col,
        values=key_text,
    )
    matched = live & (position >= 0)

    # --- date and finding
    date = table["inspection_date"]
    no_date = matched & date.isna().to_numpy(dtype=bool)
    _report(
        report,
        table,
        no_date,
        "inspection_no_date",
        "没有核查日期 (no inspection date)",
        "not used",
        column=date_col,
    )
    finding = table["finding"]
    bad = matched & ~no_date & table["finding_bad"].to_numpy(dtype=bool)
    _report(
        report,
        table,
        bad,
        "inspection_finding_invalid",
        "无法识别的核查结论 (use 已开工 / 未开工 / 已竣工)",
        "not used",
        column=finding_col,
    )
    no_finding = (
        matched & ~no_date & ~bad & (finding.isna() | (finding == "unknown")).to_numpy(dtype=bool)
    )
    _report(
        report,
        table,
        no_finding,
        "inspection_no_finding",
        "核查结论为空或未知 (no finding)",
        "not used",
        column=finding_col,
        values=finding.replace({"unknown": "未知"}),
    )
    dated = matched & ~no_date & ~bad & ~no_finding
    after = dated & (date > as_of).to_numpy(dtype=bool)
    _report(
        report,
        table,
        after,
        "inspection_after_as_of",
        f"核查日期晚于评价基准日 {as_of.date()} (dated after the as-of date)",
        "not used in this run",
        column=date_col,
        values=_dates_text(date),
        severity="info",
    )
    if after.any():
        report.note(
            f"inspections: {int(after.sum()):,} dated after the as-of date {as_of.date()} "
            f"were not used"
        )
    usable = dated & ~after

    # --- the latest per parcel: sort, then the last row of each parcel
    candidates = table.loc[usable].assign(position=position[usable], order=np.flatnonzero(usable))
    ordered = candidates.sort_values(["position", "inspection_date", "order"], kind="stable")
    latest = ordered.groupby("position", sort=False).tail(1)
    same_day = ordered.merge(
        latest[["position", "inspection_date", "order"]],
        on=["position", "inspection_date"],
        suffixes=("", "_used"),
    )
    same_day = same_day[same_day["order"] != same_day["order_used"]]
    if len(same_day):
        mask = np.zeros(n, dtype=bool)
        mask[same_day["order"].to_numpy()] = True
        _report(
            report,
            table,
            mask,
            "inspection_same_day",
            "同一宗地同一天有多条核查记录 (several inspections of the parcel on one day)",
            "not used; the later row of the file is",
            column=date_col,
            values=_dates_text(date),
        )
    latest = latest.reset_index(drop=True)
    applied = _apply(latest, parcels, report, as_of)
    return InspectionSummary(
        read=n,
        applied=len(applied),
        older=int(usable.sum()) - len(latest),
        after_as_of=int(after.sum()),
        not_used=int((live & ~usable).sum() - after.sum()) + len(latest) - len(applied),
        blank=int(blank.sum()),
        latest=applied,
    )


def _empty_column(name: str, n: int) -> object:
    if name == "inspection_date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]").to_numpy()
    if name.endswith("_assumed"):
        return np.zeros(n, dtype=bool)
    return pd.array([pd.NA] * n, dtype="string")


def _apply(
    latest: pd.DataFrame, parcels: pd.DataFrame, report: LoadReport, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Apply the latest inspection of each parcel (``latest``: one row per ``position``) to
    ``parcels`` in place; returns the rows applied.

    未开工 at date D: the parcel had not started by D; ledger start and completion dates are
    cleared, unless one lies after D (up to the as-of date): the ledger then records a start
    after the inspection, and the inspection is not applied (reported). 已开工: started, not
    completed by D; its start date is the inspection's, else the ledger's if not after D, else
    D (the latest it can be, flagged); a ledger completion date after D stands. 已竣工 (or a
    completion date given): completed; its completion date is the inspection's, else the
    ledger's if not after D, else D (flagged); its start date is the inspection's, else the
    ledger's if not after the completion, else unknown. Dates an inspection gives after D, or
    with 未开工, are contradictions: reported and not used.
    """
    pos = latest["position"].to_numpy(dtype=np.int64)
    d = latest["inspection_date"].reset_index(drop=True)
    fin = latest["finding"].astype("string").to_numpy(dtype=object)

    def ledger(name: str) -> pd.Series:
        return parcels[name].iloc[pos].reset_index(drop=True)

    ls, lc = ledger("actual_start_date"), ledger("actual_completion_date")
    not_started = fin == "not_started"
    later = ((ls > d) & (ls <= as_of)) | ((lc > d) & (lc <= as_of))
    superseded = not_started & later.to_numpy(dtype=bool)
    if superseded.any():
        _report(
            report,
            latest,
            superseded,
            "inspection_superseded_by_ledger",
            "台账实际开工/竣工时间晚于“未开工”的核查日期 (the ledger records a start after "
            "the inspection)",
            "inspection not used; the ledger's date stands",
            column="实际开工时间",
            values=_dates_text(ls.where(ls > d, lc)),
        )
        kept = _apply(latest.loc[~superseded].reset_index(drop=True), parcels, report, as_of)
        return kept

    # the inspection's own dates: none with 未开工, none after the inspection
    s_i = latest["actual_start_date"].reset_index(drop=True)
    c_i = latest["actual_completion_date"].reset_index(drop=True)
    bad_s = s_i.notna().to_numpy(dtype=bool) & (not_started | (s_i > d).to_numpy(dtype=bool))
    bad_c = c_i.notna().to_numpy(dtype=bool) & (not_started | (c_i > d).to_numpy(dtype=bool))
    for mask, name, values in ((bad_s, "实际开工时间", s_i), (bad_c, "实际竣工时间", c_i)):
        _report(
            report,
            latest,
            mask,
            "inspection_contradiction",
            "核查记录前后矛盾 (a date with 未开工, or a date after the inspection)",
            "date not used",
            column=name,
            values=_dates_text(values),
        )
    s_i, c_i = s_i.mask(bad_s), c_i.mask(bad_c)

    nat = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
    completed = (fin == "completed") | (~not_started & c_i.notna().to_numpy(dtype=bool))
    in_progress = ~not_started & ~completed
    # completion
    ledger_done = lc.where(lc <= d)
    completion_assumed = (
        completed & c_i.isna().to_numpy(dtype=bool) & ledger_done.isna().to_numpy(dtype=bool)
    )
    completion = nat.mask(completed, c_i.fillna(ledger_done).fillna(d))
    completion = completion.mask(in_progress, lc.where(lc > d))
    # start
    ledger_started = ls.where(ls <= d)
    start_assumed = (
        in_progress & s_i.isna().to_numpy(dtype=bool) & ledger_started.isna().to_numpy(dtype=bool)
    )
    start = nat.mask(in_progress, s_i.fillna(ledger_started).fillna(d))
    start = start.mask(completed, s_i.fillna(ls.where(ls <= completion)))

    _report(
        report,
        latest,
        start_assumed,
        "inspection_start_date_assumed",
        "已开工但没有实际开工时间，按核查日期计 (start taken on the inspection date, the "
        "latest it can be)",
        "late-start days counted to the inspection date (an upper bound)",
        column="实际开工时间",
        values=_dates_text(d),
        severity="info",
    )
    _report(
        report,
        latest,
        completion_assumed,
        "inspection_completion_date_assumed",
        "已竣工但没有实际竣工时间，按核查日期计 (completion taken on the inspection date, the "
        "latest it can be)",
        "late-completion days counted to the inspection date (an upper bound)",
        column="实际竣工时间",
        values=_dates_text(d),
        severity="info",
    )

    new: dict[str, pd.Series] = {
        "start_status": pd.Series(np.where(not_started, "not_started", "started"), dtype="string"),
        "actual_start_date": start,
        "actual_completion_date": completion,
    }
    for name in ("developed_area_ha", "invested_ex_land_wan", "suspended_since"):
        new[name] = latest[name].reset_index(drop=True).fillna(ledger(name))

    # a ledger value the inspection replaces is kept in the report, one line each
    for name, values in new.items():
        old = ledger(name)
        if name == "start_status":
            differs = (old.isin(["started", "not_started"]) & (old != values)).to_numpy(dtype=bool)
            old_text, new_text = old.map(FINDINGS_ZH), values.map(FINDINGS_ZH)
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            differs = (old.notna() & (old != values).fillna(True)).to_numpy(dtype=bool)
            old_text, new_text = _dates_text(old), _dates_text(values)
        else:
            same = np.isclose(old.to_numpy(dtype=float), values.to_numpy(dtype=float))
            differs = old.notna().to_numpy(dtype=bool) & ~same
            old_text, new_text = _number_text(old), _number_text(values)
        _report(
            report,
            latest,
            differs,
            "inspection_overrides_ledger",
            f"核查结果与台账不同 ({name}: the inspection's value replaces the ledger's)",
            "inspection value used",
            column=COLUMNS_BY_NAME[name].label_zh,
            values="台账 " + old_text.astype("string") + " → 核查 " + new_text.astype("string"),
            severity="info",
        )

    extra = {
        "inspection_date": d,
        "inspector": latest["inspector"].reset_index(drop=True),
        "inspection_note": latest["inspection_note"].reset_index(drop=True),
        "start_date_assumed": pd.Series(start_assumed),
        "completion_date_assumed": pd.Series(completion_assumed),
    }
    for name, values in {**new, **extra}.items():
        column = parcels[name].to_numpy(copy=True)
        column[pos] = values.to_numpy(dtype=column.dtype, na_value=_missing(column.dtype))
        parcels[name] = pd.array(column, dtype=parcels[name].dtype)
    return latest.assign(
        finding=np.where(completed, "completed", fin),
        start_date_assumed=start_assumed,
        completion_date_assumed=completion_assumed,
    )


def _missing(dtype: np.dtype) -> object:
    if dtype.kind == "M":
        return np.datetime64("NaT")
    if dtype.kind == "f":
        return np.nan
    if dtype.kind == "b":
        return False
    return pd.NA
