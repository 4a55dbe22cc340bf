"""The load report: one table of every problem found while loading, and what was done."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from landuse.schema import SOURCE_FILE, SOURCE_ROW

REPORT_COLUMNS = ("file", "row", "column", "value", "problem", "action", "severity")


@dataclass
class LoadReport:
    """Problems collected while loading; rows are added in bulk from masks, never one by one
    in a loop over parcels."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_rows(
        self,
        frame: pd.DataFrame,
        mask: np.ndarray | pd.Series,
        *,
        column: str,
        values: pd.Series | None,
        problem: str | pd.Series,
        action: str,
        severity: str = "warning",
    ) -> None:
        """One report row per true cell of ``mask``; ``frame`` supplies the source file and row
        (the ``source_file`` / ``source_row`` columns)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        picked = frame.loc[mask]
        part = pd.DataFrame(
            {
                "file": picked[SOURCE_FILE].astype("string").to_numpy(),
                "row": picked[SOURCE_ROW].to_numpy(),
                "column": column,
                "value": (
                    values[mask].astype("string").to_numpy()
                    if values is not None
                    else pd.array([pd.NA] * int(mask.sum()), dtype="string")
                ),
                "problem": problem[mask].to_numpy() if isinstance(problem, pd.Series) else problem,
                "action": action,
                "severity": severity,
            }
        )
        self.parts.append(part)

    def add(
        self,
        *,
        file: str,
        problem: str,
        action: str,
        column: str = "",
        value: object = None,
        row: int | None = None,
        severity: str = "info",
    ) -> None:
        """One file- or column-level entry (a unit conversion, an ignored column ...)."""
        self.parts.append(
            pd.DataFrame(
                {
                    "file": [file],
                    "row": [row],
                    "column": [column],
                    "value": [None if value is None else str(value)],
                    "problem": [problem],
                    "action": [action],
                    "severity": [severity],
                }
            )
        )

    def add_cells(self, file: str, cells: pd.DataFrame, severity: str = "warning") -> None:
        """One entry per row of ``cells`` (columns ``row``, ``column``, ``value``, ``problem``,
        ``action``), all from ``file``: cell problems found by a reader."""
        if cells.empty:
            return
        part = cells[["row", "column", "value", "problem", "action"]].copy()
        part.insert(0, "file", file)
        part["severity"] = severity
        self.parts.append(part[list(REPORT_COLUMNS)])

    def note(self, text: str) -> None:
        """A line said once for the whole run (an encoding, a reprojection)."""
        self.notes.append(text)

    def table(self) -> pd.DataFrame:
        """Every entry as one table with the columns of :data:`REPORT_COLUMNS`."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in REPORT_COLUMNS})
        table = pd.concat(self.parts, ignore_index=True)
        table["row"] = pd.array(table["row"], dtype="Int64")
        for c in ("file", "column", "value", "problem", "action", "severity"):
            table[c] = table[c].astype("string")
        return table
