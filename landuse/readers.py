"""Read raw tables (CSV, XLSX) and layers (GeoPackage, Shapefile, GeoJSON, ...) as they are.

No domain rules live here: cells keep their original text or the value openpyxl gives, headers
keep their original spelling. What this module does is the file-level work that users should
not have to think about: text encodings (UTF-8, GBK/GB18030, Big5/cp950), delimiters, title
rows above the header, several sheets or layers, zipped shapefiles, and the row number a user
sees in Excel or a text editor (``source_row``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import html
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from landuse.errors import InputError
from landuse.frames import geo_frame
from landuse.report import Note
from landuse.schema import SOURCE_FILE, SOURCE_ROW, header_lookup, normalise_header

__all__ = [
    "LAYER_SUFFIXES",
    "TABLE_SUFFIXES",
    "EncodingGuess",
    "InputError",
    "RawLayer",
    "RawTable",
    "detect_text_encoding",
    "is_layer_path",
    "is_table_path",
    "check_encoding",
    "read_layer",
    "read_layers",
    "read_table",
]

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
# Workbooks read with python-calamine: Office Open XML, the old binary .xls (Excel 97-2003, what
# many offices still save), Excel's binary .xlsb and OpenDocument (.ods, LibreOffice/WPS).
WORKBOOK_SUFFIXES = XLSX_SUFFIXES | frozenset({".xls", ".xlsb", ".ods"})
TABLE_SUFFIXES = CSV_SUFFIXES | WORKBOOK_SUFFIXES
LAYER_SUFFIXES = frozenset(
    {".gpkg", ".shp", ".zip", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet"}
)
# Spreadsheet formats we cannot read, with the fix.
_OLD_SPREADSHEETS = frozenset({".et", ".numbers"})

HEADER_SCAN_ROWS = 30
HEADER_MIN_MATCHES = 2
DELIMITERS = (",", "\t", "|", ";")

# Samples used for encoding detection; large enough for a stable vote, small enough to be fast.
_SAMPLE_BYTES = 256 * 1024
_DBF_SAMPLE_RECORDS = 20_000


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class RawTable:
    """A table as read from a CSV or XLSX file.

    ``frame`` has the file's columns under their original header text (stripped), every cell as
    read (strings for CSV; numbers, strings and datetimes as openpyxl gives them for XLSX),
    empty cells as NA, fully empty rows dropped, and two bookkeeping columns: ``source_file``
    (the file name) and ``source_row`` (the 1-based row number a user sees in Excel or the line
    number in a text editor). ``header_row`` is the 1-based row number of the header.
    """

    frame: pd.DataFrame
    path: Path
    encoding: str | None
    sheet: str | None
    header_row: int
    notes: list[str] = field(default_factory=list)
    empty_rows: int = 0  # rows below the header with no value in any cell (not data)
    # Cells read as empty that held something (a formula without a computed value): one row
    # per cell with "row" (as seen in Excel), "column" (header text), "value", "problem" and
    # "action"; None when there are none.
    cell_problems: pd.DataFrame | None = None


@dataclass
class RawLayer:
    """A layer as read from a vector file, with ``source_file`` and ``source_row`` (1-based
    feature number) columns added. ``encoding`` is the text encoding used for the attributes
    (for shapefiles: from the .cpg file, given, or detected)."""

    frame: gpd.GeoDataFrame
    path: Path
    layer: str | None
    encoding: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EncodingGuess:
    """The text encoding chosen for some bytes, and why (``reason`` is for the notes)."""

    encoding: str
    reason: str
    confident: bool = True


# --------------------------------------------------------------------------------------------
# Path classification


def is_table_path(path: str | Path) -> bool:
    """Whether ``path`` names a table file this module reads (by extension)."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def is_layer_path(path: str | Path) -> bool:
    """Whether ``path`` names a vector layer file (by extension; a ``.json`` must be GeoJSON)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _looks_like_geojson(p)
    return suffix in LAYER_SUFFIXES


_GEOJSON_TYPE = re.compile(rb'"type"\s*:\s*"(?:FeatureCollection|Feature)"')


def _looks_like_geojson(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    return _GEOJSON_TYPE.search(head) is not None


def _check_file(path: Path, kind: str) -> None:
    if not path.exists():
        raise InputError(
            f"{path}: file not found. Check the path and the file name (including the "
            f"extension), or copy the {kind} into the working folder and pass its name."
        )
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a file. Pass the {kind} file inside it (for a shapefile, "
            f"the .shp file; or zip the folder and pass the .zip)."
        )


# --------------------------------------------------------------------------------------------
# Text encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Punctuation that is ordinary in Chinese text of either script.
_COMMON_PUNCT = frozenset("，。、；：？！（）《》〈〉“”‘’【】「」『』…—·％　")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


@lru_cache(maxsize=65536)
def _common_in_gb(ch: str) -> bool:
    """Character is in GB2312 level 1 (the 3,755 most common simplified characters)."""
    if ch in _COMMON_PUNCT or "\uff01" <= ch <= "\uff5e":
        return True
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


@lru_cache(maxsize=65536)
def _common_in_big5(ch: str) -> bool:
    """Character is one of Big5's 5,401 frequently used characters (A440-C67E)."""
    if ch in _COMMON_PUNCT or "\uff01" <= ch <= "\uff5e":
        return True
    try:
        b = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xA440 <= (b[0] << 8 | b[1]) <= 0xC67E


def _score(sample: bytes, encoding: str, common: object) -> float:
    """Share of the decoded non-ASCII characters that are common ones, minus decode errors.

    Big5 bytes nearly always decode "successfully" as GBK, but into rare characters, kana and
    symbols; GBK bytes decoded as Big5 hit undefined codes and the rarer Big5 block. So the
    share of common characters separates the two even on a few words.
    """
    counts = Counter(ch for ch in sample.decode(encoding, errors="replace") if ch >= "\x80")
    total = sum(counts.values())
    if not total:
        return 0.0
    errors = counts.pop("\ufffd", 0)
    good = sum(n for ch, n in counts.items() if common(ch))  # type: ignore[operator]
    return (good - 2 * errors) / total


def _non_ascii_sample(data: bytes) -> bytes:
    """The first lines holding non-ASCII bytes, up to about 256 KB."""
    parts: list[bytes] = []
    size = 0
    for m in _NON_ASCII_LINE.finditer(data):
        parts.append(m.group())
        size += len(m.group())
        if size >= _SAMPLE_BYTES:
            break
    return b"\n".join(parts)


def detect_text_encoding(data: bytes) -> EncodingGuess:
    """Choose the encoding of some text bytes.

    A byte-order mark wins; then strict UTF-8 (ASCII included); then the better of GB18030 (a
    superset of GBK/GB2312) and cp950 (Big5 with Microsoft's additions), judged by the share of
    common Chinese characters each decoding yields. If neither looks like Chinese text,
    charset-normalizer makes the guess and the result is marked as not confident.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return EncodingGuess(name, "byte-order mark")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        reason = "ASCII only" if data.isascii() else "valid UTF-8"
        return EncodingGuess("utf-8", reason)

    sample = _non_ascii_sample(data)
    # A few bad bytes in an otherwise UTF-8 file (a truncated cell) are not another encoding.
    text = sample.decode("utf-8", errors="replace")
    non_ascii = sum(1 for ch in text if ch >= "\x80")
    if non_ascii >= 50 and text.count("\ufffd") <= 0.01 * non_ascii:
        return EncodingGuess("utf-8", "UTF-8 with a few undecodable bytes")

    gb = _score(sample, "gb18030", _common_in_gb)
    big5 = _score(sample, "cp950", _common_in_big5)
    best, score = ("gb18030", gb) if gb >= big5 else ("cp950", big5)
    if score >= 0.5:
        label = "GBK/GB18030" if best == "gb18030" else "Big5/cp950"
        return EncodingGuess(
            best, f"{label}: {score:.0%} common characters (GB18030 {gb:.0%}, cp950 {big5:.0%})"
        )

    from charset_normalizer import from_bytes

    match = from_bytes(sample).best()
    if match is not None:
        name = codecs.lookup(match.encoding).name
        return EncodingGuess(name, "guessed by charset-normalizer", confident=False)
    return EncodingGuess(best, "best guess, text may be garbled", confident=False)


# Encodings named in messages: what Chinese land data comes in.
COMMON_ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "gb18030 (GBK, GB2312)",
    "cp950 (Big5)",
    "big5hkscs",
    "utf-16",
    "latin-1",
)


def check_encoding(encoding: str) -> str:
    """Python's name of a text encoding given by the user (``GBK`` -> ``gbk``).

    Raises :class:`InputError` naming the common encodings when ``encoding`` is unknown or is
    not a text encoding (``rot13``, ``base64``).
    """
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise InputError(
            f"Unknown encoding {encoding!r}. Use one of {', '.join(COMMON_ENCODINGS)}, or leave "
            f"--encoding out to detect the encoding of each file."
        )
    return info.name


def _decode(data: bytes, path: Path, encoding: str | None, notes: list[str]) -> tuple[str, str]:
    """Decode a text file, detecting the encoding unless given; return (text, encoding)."""
    if encoding is not None:
        name = check_encoding(encoding)
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{path.name} cannot be decoded as {encoding} (bad bytes on line {line}). Leave "
                f"--encoding out to detect it, or try utf-8, gb18030 (GBK) or cp950 (Big5); "
                f"or open the file in Excel/WPS and save it as CSV UTF-8."
            ) from None

    guess = detect_text_encoding(data)
    try:
        text = data.decode(guess.encoding)
        bad = 0
    except UnicodeDecodeError:
        text = data.decode(guess.encoding, errors="replace")
        bad = text.count("\ufffd")
    if not guess.confident and bad > _GARBLED_SHARE * max(len(text), 1):
        raise InputError(
            f"{path.name} is not a table: it is not text in any encoding tried (UTF-8, GBK/"
            f"GB18030, Big5); {bad:,} of its {len(text):,} characters cannot be decoded. Pass "
            f"the ledger itself, saved from Excel or WPS as CSV UTF-8, or name its encoding "
            f"with --encoding."
        )
    utf8 = guess.encoding.startswith("utf-8")
    notes.append(
        Note(
            f"{path.name}: read as {guess.encoding} ({guess.reason}).",
            "encoding_utf8" if utf8 else "encoding_detected",
            guess.encoding,
        )
    )
    if not guess.confident:
        notes.append(
            Note(
                f"{path.name}: the encoding is uncertain; if the text looks garbled, run again "
                f"with --encoding gb18030, --encoding cp950 or --encoding utf-8, or save the "
                f"file as CSV UTF-8.",
                "encoding_uncertain",
                guess.encoding,
            )
        )
    if bad:
        line = text[: text.index("\ufffd")].count("\n") + 1
        notes.append(
            Note(
                f"{path.name}: {bad} undecodable byte sequence(s) replaced with \ufffd (first on "
                f"line {line}).",
                "encoding_bad_bytes",
                f"{bad} (line {line})",
            )
        )
    return text, guess.encoding


# Share of undecodable characters above which a file of uncertain encoding is not text.
_GARBLED_SHARE = 0.01
# Share of control bytes (other than tab, line feed, form feed, carriage return) above which a
# file is binary: text in UTF-8, GBK or Big5 has none (their multi-byte sequences use bytes
# >= 0x40 after the first).
_CONTROL_SHARE = 0.01
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))
# Signatures of files that users rename (or export) to .csv/.txt by mistake, and the fix.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (
        b"PK\x03\x04",
        "a zip archive, such as an Excel .xlsx workbook",
        "If it is an Excel workbook, give it the .xlsx extension; if it is a zipped shapefile, "
        ".zip.",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an old Excel .xls (or Word .doc) file",
        "If it is an Excel workbook, give it the .xls extension.",
    ),
    (
        b"SQLite format 3\x00",
        "a SQLite database, such as a GeoPackage",
        "If it is a GeoPackage, give it the .gpkg extension.",
    ),
    (b"%PDF", "a PDF document", "Export the table to Excel (.xlsx) or CSV first."),
    (b"PAR1", "a Parquet file", "Give it the .parquet extension if it is GeoParquet."),
    (b"\x89PNG", "a PNG image", "Pass the ledger table itself."),
    (b"\xff\xd8\xff", "a JPEG image", "Pass the ledger table itself."),
    (b"\x1f\x8b", "a gzip archive", "Unpack it and pass the table inside."),
    (b"Rar!", "a RAR archive", "Unpack it and pass the table inside."),
    (b"7z\xbc\xaf", "a 7-Zip archive", "Unpack it and pass the table inside."),
)


def _not_text(data: bytes, path: Path) -> InputError | None:
    """The error for bytes that cannot be a text table (binary, a known non-text format), or
    None when they may be text. Text with a UTF-16/32 byte-order mark is text."""
    head = data[: 64 * 1024]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            return InputError(f"{path.name} is not a table: it is {what}. {fix}")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > _CONTROL_SHARE * len(head):
        hint = ""
        if head.count(0) > 0.2 * len(head):
            hint = (
                " If it is UTF-16 text without a byte-order mark, run again with --encoding "
                "utf-16-le (or utf-16-be), or save it as CSV UTF-8."
            )
        return InputError(
            f"{path.name} is not a table: it holds binary data ({controls:,} control bytes in "
            f"its first {len(head):,} bytes), not text. Pass the ledger as .csv or .txt text or "
            f"as an .xlsx workbook (in Excel or WPS: File > Save As > CSV UTF-8).{hint}"
        )
    return None


# --------------------------------------------------------------------------------------------
# Tables


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    require_txt_header: bool = False,
    extra_headers: frozenset[str] = frozenset(),
) -> RawTable:
    """Read a CSV/TXT (delimiter sniffed among , tab | ;) or a workbook (XLSX/XLSM, XLS, XLSB,
    ODS).

    The header row is the first of the first 30 rows with at least two known headers (see
    :func:`landuse.schema.header_lookup`, plus ``extra_headers``, given as
    :func:`landuse.schema.normalise_header` text); title and note rows above it are skipped
    (without one, the first row is taken, with a note; with ``require_txt_header`` a ``.txt``
    file is then refused as not a table). For a workbook, the sheet named ``sheet`` is read
    (:class:`InputError` listing the sheets when there is none of that name), else the first
    sheet with such a header; with ``extra_headers``, the first of the sheets whose header row
    holds the most of them. A ``sheet`` does not apply to a text file. For XLSX/XLSM, formula
    cells without a computed value, Excel error values and date serials past 9999-12-31 are
    listed in ``cell_problems`` (read as empty). A file with a header and no data rows gives an
    empty frame. Raises :class:`InputError` for a missing, unreadable, binary or unsupported
    file.
    """
    path = Path(path)
    _check_file(path, "table")
    suffix = path.suffix.lower()
    notes: list[str] = []
    formulas = None
    if suffix in CSV_SUFFIXES:
        grid, rows, used = _read_csv_grid(path, encoding, notes)
        sheet_name = None
    elif suffix in WORKBOOK_SUFFIXES:
        grid, rows, sheet_name, formulas = _read_workbook_grid(path, sheet, notes, extra_headers)
        used = None
    elif suffix in _OLD_SPREADSHEETS:
        raise InputError(
            f"{path.name}: the {suffix} format is not supported. Open it in Excel or WPS and "
            f"save it as .xlsx (Excel workbook) or as CSV UTF-8, then pass that file."
        )
    else:
        raise InputError(
            f"{path.name}: unsupported table type {suffix or '(no extension)'!r}. Pass a .csv, "
            f".txt, .xlsx, .xls, .xlsb or .ods file (in Excel or WPS: File > Save As > Excel "
            f"workbook or CSV UTF-8)."
        )
    frame, header_row, empty_rows, header = _frame_from_grid(
        grid,
        rows,
        path,
        notes,
        require_header=suffix == ".txt" and require_txt_header,
        extra_headers=extra_headers,
    )
    problems = _cell_problems(formulas, header, header_row) if formulas is not None else None
    return RawTable(frame, path, used, sheet_name, header_row, notes, empty_rows, problems)


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate that splits the most sample lines into the same number of fields."""
    best, best_key = ",", (0, 0)
    for d in DELIMITERS:
        counts = [line.count(d) for line in lines]
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        mode, freq = Counter(positive).most_common(1)[0]
        if (freq, mode) > best_key:
            best, best_key = d, (freq, mode)
    return best


_EXPECTED_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")


def _read_csv_grid(
    path: Path, encoding: str | None, notes: list[str]
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """All lines of a delimited text file as strings, with their 1-based line numbers."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path.name} could not be read ({exc}). Check the file's permissions."
        ) from exc
    if not data.strip():
        raise InputError(f"{path.name} is empty. Pass the file that holds the table.")
    wide = encoding is not None and codecs.lookup(check_encoding(encoding)).name.startswith(
        ("utf-16", "utf-32")
    )
    if not wide and (error := _not_text(data, path)) is not None:
        raise error
    text, used = _decode(data, path, encoding, notes)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError(f"{path.name} is empty. Pass the file that holds the table.")

    head = [ln for ln in text[:1_000_000].split("\n")[: HEADER_SCAN_ROWS * 2] if ln.strip()]
    sep = _sniff_delimiter(head[:HEADER_SCAN_ROWS])
    if sep != ",":
        notes.append(Note(f"{path.name}: fields separated by {sep!r}.", "delimiter", repr(sep)))
    raw = text.encode("utf-8")
    ncols, n_lines = _count_fields(raw, sep)

    quoting = csv.QUOTE_MINIMAL
    for _ in range(10):
        try:
            grid = pd.read_csv(
                io.BytesIO(raw),
                encoding="utf-8",
                sep=sep,
                header=None,
                names=range(ncols),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                quoting=quoting,
                engine="c",
            )
        except pd.errors.ParserError as exc:
            m = _EXPECTED_FIELDS.search(str(exc))
            if m is None or int(m.group(1)) <= ncols:
                raise InputError(
                    f"{path.name} could not be parsed as a {sep!r}-separated table ({exc}). "
                    f"Open it in Excel or WPS and save it as CSV UTF-8."
                ) from None
            ncols = int(m.group(1))
            continue
        if len(grid) == n_lines:
            extra = np.zeros(len(grid), dtype=np.int64)
        else:
            extra = _embedded_newlines(grid)
        # pandas reads each physical line as a row except where a quoted cell spans lines.
        lines = 1 + np.arange(len(grid)) + np.concatenate(([0], np.cumsum(extra)[:-1]))
        runaway = np.flatnonzero(extra >= 20)
        if quoting == csv.QUOTE_MINIMAL and len(runaway):
            # A stray quote swallowed many lines into one cell: read quotes as text instead.
            notes.append(
                Note(
                    f"{path.name}: an unbalanced quote on line {lines[runaway[0]]}; quotes were "
                    f"read as ordinary characters.",
                    "csv_unbalanced_quote",
                    f"line {lines[runaway[0]]}",
                )
            )
            quoting = csv.QUOTE_NONE
            continue
        return grid, lines.astype(np.int64), used
    raise InputError(
        f"{path.name} has rows of very different lengths and could not be parsed as a "
        f"{sep!r}-separated table. Open it in Excel or WPS and save it as CSV UTF-8."
    )


def _count_fields(raw: bytes, sep: str) -> tuple[int, int]:
    """(an upper bound of the fields per line, the number of lines) of UTF-8 text.

    Quoted delimiters only add columns that stay empty and are dropped later.
    """
    arr = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 0x0A)
    seps = np.flatnonzero(arr == ord(sep))
    ends = np.searchsorted(seps, np.append(newlines, len(arr)))
    per_line = np.diff(ends, prepend=0)
    n_lines = len(newlines) + (0 if raw.endswith(b"\n") else 1)
    return int(per_line.max()) + 1, n_lines


def _embedded_newlines(grid: pd.DataFrame) -> np.ndarray:
    """Number of line breaks inside the cells of each row."""
    total = np.zeros(len(grid), dtype=np.int64)
    for col in grid.columns:
        total += grid[col].str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    return total


def _read_workbook_grid(
    path: Path, sheet: str | None, notes: list[str], extra_headers: frozenset[str]
) -> tuple[pd.DataFrame, np.ndarray, str, pd.DataFrame]:
    """All rows of the chosen sheet as python-calamine gives them (text, float, bool, date,
    datetime; empty cells as ""), with their row numbers as seen in Excel (the grid starts at
    cell A1), and for XLSX/XLSM the cells read as empty that held something (columns of
    ``_CELL_PROBLEM_COLUMNS``): formulas without a computed value, Excel error values and
    date serials past what Excel holds."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except BaseException as exc:
        raise _workbook_error(path, exc) from exc
    try:
        names = list(wb.sheet_names)
        if sheet is not None:
            if sheet not in names:
                raise InputError(
                    f"{path.name} has no sheet named {sheet!r}. Its sheets are: "
                    f"{', '.join(names)}. Pass one of these names with --sheet."
                )
            chosen, data = sheet, None
        else:
            worksheets = [
                m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet
            ] or names
            chosen, data = _pick_sheet(wb, worksheets, path, notes, extra_headers)
            if len(names) > 1:
                notes.append(
                    Note(
                        f"{path.name}: read sheet {chosen!r} of {len(names)} "
                        f"({', '.join(names)}); to read another, pass --sheet NAME.",
                        "sheet_chosen",
                        chosen,
                    )
                )
        if data is None:
            data = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except InputError:
        raise
    except BaseException as exc:
        raise _workbook_error(path, exc) from exc
    finally:
        wb.close()
    grid = _pad(data)
    if not grid.shape[0] or not grid.shape[1]:
        raise InputError(
            f"{path.name}: sheet {chosen!r} is empty. Pass the sheet that holds the table"
            f"{' with --sheet NAME' if len(names) > 1 else ''}."
        )
    if path.suffix.lower() in XLSX_SUFFIXES:
        cells = _xlsx_cell_problems(path, chosen)
    else:
        cells = _cell_frame([], [], [], "", "")
    for row, col in zip(cells["row"].astype(int), cells["col"].astype(int), strict=True):
        if row <= len(grid) and col < grid.shape[1]:
            grid.iat[int(row) - 1, int(col)] = None  # said in cells instead
    return grid, np.arange(1, len(grid) + 1, dtype=np.int64), chosen, cells


def _workbook_error(path: Path, exc: BaseException) -> InputError:
    """The message for a workbook python-calamine cannot open; anything else is re-raised.
    (A Rust panic reaches Python as ``PanicException``, a BaseException.)"""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        head = b""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        what = (
            "it is a web page (HTML) named like a workbook, as some systems export tables; "
            "open it in Excel or WPS and save it as .xlsx, or as CSV UTF-8"
        )
    elif head and _not_text(head, path) is None and b"," in head:
        what = "it is text (CSV) named like a workbook; give it the .csv extension"
    else:
        what = (
            f"{type(exc).__name__}: {exc}. It may be damaged, password-protected, or another "
            f"format renamed to {path.suffix}: open it in Excel or WPS and save it again as "
            f".xlsx (without a password), or as CSV"
        )
    return InputError(f"{path.name} could not be read as an Excel workbook ({what}).")


def _pick_sheet(
    wb, names: list[str], path: Path, notes: list[str], extra_headers: frozenset[str]
) -> tuple[str, list[list]]:
    """The first sheet with known headers in its first 30 rows (with ``extra_headers``, the
    first of those whose header row holds the most of them), and its rows. python-calamine
    reads a whole sheet to give any of its rows, so each sheet is read once."""
    best, best_score, best_rows = None, -1, None
    first_rows = None
    for name in names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if first_rows is None:
            first_rows = rows
        grid = _pad(rows[:HEADER_SCAN_ROWS])
        h = _find_header_row(grid, extra_headers)
        if h is None:
            continue
        if not extra_headers:
            return name, rows
        score = sum(1 for v in grid.iloc[h] if _present(v) and normalise_header(v) in extra_headers)
        if score > best_score:
            best, best_score, best_rows = name, score, rows
    if best is not None:
        return best, best_rows
    if len(names) > 1:
        notes.append(
            Note(
                f"{path.name}: no sheet has known headers in its first {HEADER_SCAN_ROWS} "
                f"rows; read the first sheet {names[0]!r}.",
                "sheet_no_headers",
                names[0],
            )
        )
    return names[0], first_rows


_CELL_PROBLEM_COLUMNS = ("row", "col", "value", "problem", "action")


def _cell_frame(rows: list[int], cols: list[int], values: list[str], problem: str, action: str):
    return pd.DataFrame(
        {"row": rows, "col": cols, "value": values, "problem": problem, "action": action},
        columns=list(_CELL_PROBLEM_COLUMNS),
    )


def _column_index(letters: str) -> int:
    """0-based index of Excel column letters (A -> 0, AA -> 26)."""
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return col - 1


def _xlsx_cell_problems(path: Path, sheet: str) -> pd.DataFrame:
    """Cells of one XLSX worksheet that python-calamine reads as empty or as a plain number but
    that held something: formulas without a computed value, Excel error values (``#DIV/0!``)
    and date cells whose serial number is past 9999-12-31 (columns of
    ``_CELL_PROBLEM_COLUMNS``). Found in the sheet's XML: by substring tests first, then one
    regular expression per kind that is present."""
    try:
        with zipfile.ZipFile(path) as zf:
            member = _sheet_member(zf, sheet)
            xml = zf.read(member) if member is not None else b""
            try:
                styles = zf.read("xl/styles.xml")
            except KeyError:
                styles = b""
    except (OSError, zipfile.BadZipFile, KeyError, ET.ParseError):
        return _cell_frame([], [], [], "", "")
    return pd.concat(
        [_formulas_without_value(xml), _error_cells(xml), _serials_past_9999(xml, styles)],
        ignore_index=True,
    )


def _local(tag: str) -> str:
    """An XML tag without its namespace (``{...}sheet`` -> ``sheet``)."""
    return tag.rsplit("}", 1)[-1]


def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the XML of the worksheet called ``sheet``."""
    workbook = "xl/workbook.xml"
    root = ET.fromstring(zf.read(workbook))
    rel_id = None
    for el in root.iter():
        if _local(el.tag) == "sheet" and el.get("name") == sheet:
            rel_id = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            break
    if rel_id is None:
        return None
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for el in rels.iter():
        if _local(el.tag) == "Relationship" and el.get("Id") == rel_id:
            target = el.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


# A worksheet cell (``<c r="B2" ...>``) holding a formula (``<f>...</f>`` or a shared formula's
# ``<f .../>``) and no computed value (no ``<v>``, or an empty one), as written by programs
# that do not compute formulas (openpyxl, many exporters).
_FORMULA_CELL = re.compile(
    rb"<c\b([^>]*?)(?<!/)>\s*<f\b([^>]*?)(?:/>|>(.*?)</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>",
    re.DOTALL,
)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_STRING_RESULT = re.compile(rb'\bt="str"')


def _formulas_without_value(xml: bytes) -> pd.DataFrame:
    """Formula cells of a worksheet's XML that hold no computed value (columns of
    ``_CELL_PROBLEM_COLUMNS``; ``value`` is the formula, ``=B2*2``).

    Scanned with one regular expression, and only when the sheet holds a formula. A formula
    with a text result (``t="str"``) and an explicit empty value is a computed empty text, not
    a missing value.
    """
    rows: list[int] = []
    cols: list[int] = []
    formulas: list[str] = []
    if b"<f" in xml:
        for m in _FORMULA_CELL.finditer(xml):
            attrs, f_attrs, text, value = m.groups()
            ref = _CELL_REF.search(attrs)
            if ref is None:
                continue
            if value is not None and b"</v>" in value and _STRING_RESULT.search(attrs):
                continue
            rows.append(int(ref.group(2)))
            cols.append(_column_index(ref.group(1).decode("ascii")))
            if text:
                formulas.append("=" + html.unescape(text.decode("utf-8", errors="replace")))
            else:
                si = re.search(rb'\bsi="(\d+)"', f_attrs)
                formulas.append(f"(shared formula {si.group(1).decode()})" if si else "(formula)")
    return _cell_frame(
        rows,
        cols,
        formulas,
        "公式没有计算结果 (formula without a computed value: the file was written by a program "
        "that does not compute formulas)",
        "treated as missing; open the file in Excel or WPS and save it to compute the formulas",
    )


_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.DOTALL)
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _error_cells(xml: bytes) -> pd.DataFrame:
    """Cells holding an Excel error value (``t="e"``: ``#DIV/0!``, ``#N/A``, ``#REF!`` ...)."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[str] = []
    if b't="e"' in xml:
        for m in _ERROR_CELL.finditer(xml):
            ref = _CELL_REF.search(m.group(1))
            value = _VALUE.search(m.group(2))
            if ref is None:
                continue
            rows.append(int(ref.group(2)))
            cols.append(_column_index(ref.group(1).decode("ascii")))
            values.append(html.unescape(value.group(1).decode("utf-8", "replace")) if value else "")
    return _cell_frame(
        rows,
        cols,
        values,
        "单元格为错误值 (an Excel error value such as #DIV/0! or #N/A)",
        "treated as missing",
    )


# Number formats Excel shows as dates: built-in ids (as python-calamine counts them) and
# custom codes that openpyxl's ``is_date_format`` recognises.
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
# A cell value of seven digits or more: every serial past 9999-12-31 (2958465) has them.
_BIG_VALUE = re.compile(rb"<v>(\d{7,}(?:\.\d+)?)</v>")
_STYLE = re.compile(rb'\bs="(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_LAST_EXCEL_SERIAL = 2_958_465  # 9999-12-31


def _date_styles(styles: bytes) -> frozenset[int]:
    """Indexes of the cell formats (``cellXfs``) whose number format is a date."""
    if not styles:
        return frozenset()
    from openpyxl.styles.numbers import is_date_format

    root = ET.fromstring(styles)
    codes = {
        int(el.get("numFmtId", -1)): el.get("formatCode", "")
        for el in root.iter()
        if _local(el.tag) == "numFmt"
    }
    xfs = next((el for el in root.iter() if _local(el.tag) == "cellXfs"), None)
    if xfs is None:
        return frozenset()
    out = set()
    for i, xf in enumerate(el for el in xfs if _local(el.tag) == "xf"):
        fmt = int(xf.get("numFmtId", 0))
        if fmt in _BUILTIN_DATE_FORMATS or (fmt in codes and is_date_format(codes[fmt])):
            out.add(i)
    return frozenset(out)


def _serials_past_9999(xml: bytes, styles: bytes) -> pd.DataFrame:
    """Date cells whose serial number Excel cannot show as a date (after 9999-12-31):
    python-calamine reads them as plain numbers."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[str] = []
    dates = _date_styles(styles) if _BIG_VALUE.search(xml) else frozenset()
    if dates:
        for m in _BIG_VALUE.finditer(xml):
            if float(m.group(1)) <= _LAST_EXCEL_SERIAL:
                continue
            start = xml.rfind(b"<c ", 0, m.start())
            attrs = xml[start : xml.find(b">", start)]
            style, kind, ref = _STYLE.search(attrs), _TYPE.search(attrs), _CELL_REF.search(attrs)
            if ref is None or style is None or int(style.group(1)) not in dates:
                continue
            if kind is not None and kind.group(1) != b"n":
                continue
            rows.append(int(ref.group(2)))
            cols.append(_column_index(ref.group(1).decode("ascii")))
            values.append(m.group(1).decode("ascii"))
    return _cell_frame(
        rows,
        cols,
        values,
        "日期序号超出范围 (a date cell whose serial number is past 9999-12-31, the last date "
        "Excel holds)",
        "treated as missing",
    )


def _cell_problems(cells: pd.DataFrame, header: list[str], header_row: int) -> pd.DataFrame | None:
    """Report rows for the problem cells below the header (see
    :attr:`RawTable.cell_problems`), with the column named by its header text."""
    below = cells[cells["row"] > header_row]
    if below.empty:
        return None
    names = [
        header[c] if c < len(header) and header[c] else _column_letter(c)
        for c in below["col"].astype(int)
    ]
    return pd.DataFrame(
        {
            "row": below["row"].astype("int64").to_numpy(),
            "column": names,
            "value": below["value"].astype(str).to_numpy(),
            "problem": below["problem"].to_numpy(),
            "action": below["action"].to_numpy(),
        }
    )


def _column_letter(col: int) -> str:
    """Excel's letters for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _pad(rows: list[tuple]) -> pd.DataFrame:
    """Rows of varying length as an object DataFrame with integer column labels."""
    width = max(map(len, rows), default=0)
    if any(len(r) != width for r in rows):
        rows = [(*r, *(None,) * (width - len(r))) for r in rows]
    return pd.DataFrame(rows, columns=range(width), dtype=object)


def _present(value: object) -> bool:
    """A cell that holds something (not None/NaN, not blank text)."""
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _present_mask(col: pd.Series) -> np.ndarray:
    """Vectorised :func:`_present` for one column."""
    mask = col.notna().to_numpy(dtype=bool, copy=True)
    if col.dtype == object:
        # cells of a workbook: text among numbers and dates; the text is judged by Arrow
        is_text = col.map(type, na_action="ignore").to_numpy() == str  # noqa: E721
        if is_text.any():
            texts = pa.array(col.to_numpy()[is_text], type=pa.string())
            blank = pc.equal(pc.utf8_trim_whitespace(texts), "")
            mask[np.flatnonzero(is_text)[blank.to_numpy(zero_copy_only=False)]] = False
        return mask
    try:
        blank = col.str.strip().eq("").to_numpy(dtype=bool, na_value=False)
    except AttributeError:  # no strings in the column
        return mask
    return mask & ~blank


def _find_header_row(grid: pd.DataFrame, extra: frozenset[str] = frozenset()) -> int | None:
    """Index of the first of the first 30 rows with at least two known headers (those of the
    data model, and ``extra``, in :func:`landuse.schema.normalise_header` form)."""
    known = header_lookup()
    for i, row in enumerate(grid.head(HEADER_SCAN_ROWS).itertuples(index=False)):
        hits = sum(
            1 for v in row if _present(v) and ((h := normalise_header(v)) in known or h in extra)
        )
        if hits >= HEADER_MIN_MATCHES:
            return i
    return None


def _frame_from_grid(
    grid: pd.DataFrame,
    rows: np.ndarray,
    path: Path,
    notes: list[str],
    *,
    require_header: bool = False,
    extra_headers: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Cut the title and header rows off a raw grid, name the columns, drop empty rows.

    Returns the frame, the header's row number, the count of empty rows dropped below it and
    the header text of every grid column. With ``require_header`` a grid without a row of
    known headers is refused (a ``.txt`` file that is not a table).
    """
    present = pd.DataFrame({c: _present_mask(grid[c]) for c in grid.columns}, index=grid.index)
    filled = present.to_numpy().any(axis=1)
    if not filled.any():
        raise InputError(f"{path.name} holds no data. Pass the file (or sheet) with the table.")

    h = _find_header_row(grid, extra_headers)
    if h is None and require_header:
        raise InputError(
            f"{path.name} does not look like a table: none of its first {HEADER_SCAN_ROWS} "
            f"lines holds known column headers (such as 电子监管号, 宗地编号, 土地用途, "
            f"面积(公顷)) separated by tabs, commas, | or ;. If it is a ledger, give it a header "
            f"row with these names, or save it from Excel or WPS as CSV UTF-8."
        )
    if h is None:
        h = int(np.argmax(filled))
        notes.append(
            Note(
                f"{path.name}: no known column headers in the first {HEADER_SCAN_ROWS} rows; row "
                f"{rows[h]} was taken as the header. Check that the table has a header row with "
                f"names such as 电子监管号, 项目名称, 面积(公顷).",
                "header_not_found",
                f"row {rows[h]}",
            )
        )
    header = [str(v).strip() if _present(v) else "" for v in grid.iloc[h].tolist()]

    keep = filled.copy()
    keep[: h + 1] = False
    body = grid[keep].mask(~present[keep])
    # Unnamed columns without any data are layout (borders, widths), not data.
    has_data = present[keep].any(axis=0).to_numpy()
    cols = [c for c in grid.columns if header[c] or has_data[c]]
    unnamed = [c for c in cols if not header[c]]
    if unnamed:
        named = ", ".join(f"Unnamed: {c + 1}" for c in unnamed)
        notes.append(
            Note(
                f"{path.name}: {len(unnamed)} column(s) with data but no header were named "
                f"{named}.",
                "column_unnamed",
                named,
            )
        )
    frame = body[cols].reset_index(drop=True)
    frame.columns = _unique_names([header[c] or f"Unnamed: {c + 1}" for c in cols], path, notes)

    for name in (SOURCE_FILE, SOURCE_ROW):
        if name in frame.columns:
            notes.append(
                Note(
                    f"{path.name}: its own {name!r} column was replaced by ours.",
                    "column_replaced",
                    name,
                )
            )
    frame[SOURCE_FILE] = path.name
    frame[SOURCE_ROW] = rows[keep]
    if frame.empty:
        notes.append(
            Note(
                f"{path.name}: no data rows below the header (row {rows[h]}): 0 rows read.",
                "no_data_rows",
                f"row {rows[h]}",
            )
        )
    empty_rows = int((~filled[h + 1 :]).sum())
    if empty_rows:
        notes.append(
            Note(
                f"{path.name}: {empty_rows} empty row(s) below the header skipped.",
                "empty_rows_skipped",
                empty_rows,
                count=empty_rows,
            )
        )
    return frame, int(rows[h]), empty_rows, header


def unique_names(names: list[str]) -> list[str]:
    """Repeated headers get ``.1``, ``.2`` suffixes (as pandas does)."""
    used: set[str] = set()
    out = []
    for name in names:
        new, k = name, 0
        while new in used:
            k += 1
            new = f"{name}.{k}"
        used.add(new)
        out.append(new)
    return out


def _unique_names(names: list[str], path: Path, notes: list[str]) -> list[str]:
    """:func:`unique_names`, and a note naming the repeated headers."""
    out = unique_names(names)
    repeated = sorted(n for n, k in Counter(names).items() if k > 1)
    if repeated:
        notes.append(
            Note(
                f"{path.name}: repeated column header(s) {', '.join(repeated)}; later copies were "
                f"renamed with .1, .2, ...",
                "header_repeated",
                ", ".join(repeated),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Layers

_GDAL_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".fgb"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet"})


@dataclass
class _Source:
    """What pyogrio opens, and for a shapefile the sidecar files that decide its encoding."""

    gdal_path: str
    kind: str  # the dataset's suffix: ".shp", ".gpkg", ...
    label: str  # for messages: "parcels.shp" or "parcels.zip/a/parcels.shp"
    dbf: np.ndarray | None = None  # the DBF's bytes (uint8)
    cpg: str | None = None  # the .cpg text, None when there is no .cpg file
    zip_member: tuple[Path, str] | None = None  # (archive, member) for a dataset in a zip


@dataclass(eq=False)  # compared by identity: a source holds arrays
class _Candidate:
    """One layer a file offers: where it is, GDAL's name for it, its geometry type (None for
    an attribute table) and the name users pick it by with ``--layer`` (a GeoPackage layer's
    name; a zipped shapefile's name without ``.shp``)."""

    src: _Source
    gdal_layer: str
    geometry_type: str | None
    name: str


def read_layer(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> RawLayer:
    """Read one vector layer: GeoPackage, Shapefile (also zipped), GeoJSON, FlatGeobuf,
    GeoParquet (used for park boundaries; parcel layers go through :func:`read_layers`).

    The layer named ``layer`` is read (a file holding a single layer ignores the name, with a
    note), else the first layer with geometry, with a note naming the others. A shapefile's
    text encoding comes from ``encoding`` if given, else its .cpg file, else is detected from
    the DBF's bytes (GBK, Big5 and UTF-8 are told apart); formats that are UTF-8 by
    definition (GeoPackage, FlatGeobuf, GeoParquet) ignore ``encoding``. Raises
    :class:`InputError` for a missing, unreadable or unsupported file or an unknown layer.
    """
    path = Path(path)
    _check_file(path, "layer")
    notes: list[str] = []
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        _ignored_options(path, layer, encoding, notes)
        return _finish_layer(path, _read_geoparquet(path), None, "utf-8", notes, path.name)
    candidates = _candidates(path)
    if layer is not None:
        chosen = _named_layer(path, candidates, layer, notes)
    else:
        with_geometry = [c for c in candidates if c.geometry_type is not None]
        chosen = (with_geometry or candidates)[0]
        if len(candidates) > 1:
            notes.append(
                Note(
                    f"{path.name}: {len(candidates)} layers "
                    f"({', '.join(c.name for c in candidates)}); read {chosen.name!r}. To use "
                    f"another, save it as its own file (QGIS: Export > Save Features As).",
                    "layer_chosen",
                    chosen.name,
                )
            )
    gdf, used = _read_candidate(chosen, encoding, notes)
    return _finish_layer(path, gdf, chosen.name, used, notes, path.name)


def read_layers(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> list[RawLayer]:
    """Read the parcel layers of a vector file: every one, so that no feature is left out.

    With ``layer``, only that layer (see :func:`read_layer`). Otherwise a file of one layer
    gives that layer. A file of several layers (a GeoPackage, a zip of shapefiles) gives its
    polygon layers that carry a parcel key column (宗地编号 / 电子监管号) when they name the same
    data-model columns: they are parts of one parcel layer (districts, years), and each part's
    ``source_file`` is ``file:layer``. Layers without polygons or without a key (a park
    boundary, a road layer, an attribute table) are left out with a note. Parcel layers with
    different columns, or several polygon layers none of which has a key, are refused with
    the list of layers and ``--layer NAME`` as the fix: which one is meant cannot be guessed.

    Notes about the file are in the first layer's ``notes``. Raises :class:`InputError`.
    """
    path = Path(path)
    _check_file(path, "layer")
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return [read_layer(path, layer=layer, encoding=encoding)]
    notes: list[str] = []
    candidates = _candidates(path)
    if layer is not None:
        chosen = [_named_layer(path, candidates, layer, notes)]
    else:
        chosen = _parcel_layers(path, candidates, encoding, notes)
    out = []
    for cand in chosen:
        layer_notes = notes if not out else []
        gdf, used = _read_candidate(cand, encoding, layer_notes)
        label = path.name if len(chosen) == 1 else f"{path.name}:{cand.name}"
        out.append(_finish_layer(path, gdf, cand.name, used, layer_notes, label))
    if len(out) > 1:
        counts = ", ".join(f"{raw.layer} {len(raw.frame):,}" for raw in out)
        notes.append(
            Note(
                f"{path.name}: {len(out)} parcel layers with the same columns read together "
                f"(features: {counts}); source_file names each as {path.name}:LAYER.",
                "layers_read_together",
                counts,
            )
        )
    return out


def _finish_layer(
    path: Path,
    gdf: gpd.GeoDataFrame,
    layer: str | None,
    used: str | None,
    notes: list[str],
    label: str,
) -> RawLayer:
    """Add ``source_file`` (``label``) and ``source_row`` (1-based feature number)."""
    missing = int((gdf.geometry.isna() | gdf.geometry.is_empty).sum())
    if missing:
        notes.append(
            Note(
                f"{label}: {missing} of {len(gdf)} features have no geometry.",
                "features_without_geometry",
                missing,
            )
        )
    for name in (SOURCE_FILE, SOURCE_ROW):
        if name in gdf.columns:
            notes.append(
                Note(
                    f"{label}: its own {name!r} column was replaced by ours.",
                    "column_replaced",
                    name,
                )
            )
    gdf[SOURCE_FILE] = label
    gdf[SOURCE_ROW] = np.arange(1, len(gdf) + 1, dtype=np.int64)
    return RawLayer(gdf, path, layer, used, notes)


def _ignored_options(path: Path, layer: str | None, encoding: str | None, notes: list[str]) -> None:
    """Notes for options that do not apply to a single-layer, UTF-8 file (GeoParquet)."""
    if layer is not None:
        notes.append(
            Note(
                f"{path.name}: holds one layer; --layer {layer!r} does not apply to it.",
                "option_ignored",
                f"--layer {layer}",
            )
        )
    if encoding is not None:
        notes.append(
            Note(
                f"{path.name}: text is UTF-8 by definition; --encoding {encoding} ignored.",
                "option_ignored",
                f"--encoding {encoding}",
            )
        )


def _candidates(path: Path) -> list[_Candidate]:
    """Every layer of a GDAL file, or of every dataset inside a zip."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        sources = _zip_sources(path)
    elif suffix in _GDAL_SUFFIXES:
        if suffix == ".json" and not _looks_like_geojson(path):
            raise InputError(
                f'{path.name} is JSON but not GeoJSON (no "type": "FeatureCollection"). '
                f"Export the layer as GeoJSON, GeoPackage or Shapefile."
            )
        sources = [_file_source(path)]
    else:
        raise InputError(
            f"{path.name}: unsupported layer type {suffix or '(no extension)'!r}. Pass a .gpkg, "
            f".shp (or a .zip holding one), .geojson, .fgb or .parquet file; in QGIS use "
            f"Export > Save Features As > GeoPackage."
        )
    out: list[_Candidate] = []
    for src in sources:
        for name, geometry_type in _list_layers(src):
            out.append(_Candidate(src, name, geometry_type, name))
    if not out:
        raise InputError(f"{path.name} holds no layers. Pass the file that holds the features.")
    repeated = {n for n, k in Counter(c.name for c in out).items() if k > 1}
    for c in out:
        if c.name in repeated and c.src.zip_member is not None:
            member = c.src.zip_member[1]
            base = member[: -len(c.src.kind)] if c.src.kind == ".shp" else member
            c.name = base if c.src.kind == ".shp" else f"{base}/{c.gdal_layer}"
    return out


def _list_layers(src: _Source) -> list[tuple[str, str | None]]:
    """``(layer name, geometry type or None)`` of every layer GDAL sees in ``src``."""
    try:
        layers = pyogrio.list_layers(src.gdal_path)
    except Exception as exc:
        raise InputError(
            f"{src.label} could not be opened as a {src.kind} layer ({exc}). The file may be "
            f"damaged or incomplete (a shapefile needs its .shx and .dbf); export it again from "
            f"QGIS or ArcGIS, e.g. as GeoPackage."
        ) from exc
    return [(str(n), None if g is None else str(g)) for n, g in layers]


def _layer_listing(candidates: list[_Candidate]) -> str:
    return ", ".join(
        f"{c.name} ({c.geometry_type or 'no geometry'})"
        if c.src.zip_member is None or c.src.kind != ".shp"
        else f"{c.name} ({c.src.zip_member[1]}: {c.geometry_type or 'no geometry'})"
        for c in candidates
    )


def _named_layer(
    path: Path, candidates: list[_Candidate], layer: str, notes: list[str]
) -> _Candidate:
    """The layer called ``layer`` (its name, GDAL's name, or a zip member with or without its
    extension); a file of one layer ignores the name with a note; else :class:`InputError`."""
    for c in candidates:
        member = c.src.zip_member[1] if c.src.zip_member is not None else None
        names = {c.name, c.gdal_layer}
        if member is not None and c.src.kind == ".shp":
            names |= {member, member[: -len(".shp")], Path(member).name}
        if layer in names:
            return c
    if len(candidates) == 1:
        notes.append(
            Note(
                f"{path.name}: holds one layer ({candidates[0].name!r}); --layer {layer!r} does "
                f"not apply to it and was ignored.",
                "option_ignored",
                f"--layer {layer}",
            )
        )
        return candidates[0]
    raise InputError(
        f"{path.name} has no layer {layer!r}. Its layers are: {_layer_listing(candidates)}. "
        f"Pass one of these names with --layer, e.g. --layer {candidates[0].name}."
    )


def _is_polygonal(geometry_type: str | None) -> bool:
    """Polygons, or a layer whose type GDAL does not know until it reads (GeoJSON)."""
    if geometry_type is None:
        return False
    return any(k in geometry_type for k in ("Polygon", "Surface", "Unknown", "Geometry"))


_KEY_COLUMNS = frozenset({"parcel_id", "supervision_no"})


def _canonical_columns(candidate: _Candidate, encoding: str | None) -> frozenset[str] | None:
    """The data-model columns a layer's fields map to (see :func:`landuse.schema.header_lookup`),
    or None when its field names cannot be read."""
    src = candidate.src
    enc = encoding
    if src.kind == ".shp" and enc is None:
        enc = _shapefile_encoding(src, None, [])[0]
    elif src.kind in _UTF8_KINDS:
        enc = None
    try:
        info = pyogrio.read_info(src.gdal_path, layer=candidate.gdal_layer, encoding=enc)
    except (UnicodeDecodeError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return None
    lookup = header_lookup()
    hits = (lookup.get(normalise_header(f)) for f in info["fields"])
    return frozenset(hit[0] for hit in hits if hit is not None)


def _parcel_layers(
    path: Path, candidates: list[_Candidate], encoding: str | None, notes: list[str]
) -> list[_Candidate]:
    """The layers :func:`read_layers` reads without ``--layer`` (see there)."""
    if len(candidates) == 1:
        return candidates
    polygonal = [c for c in candidates if _is_polygonal(c.geometry_type)]
    pool = polygonal or [c for c in candidates if c.geometry_type is not None] or candidates
    columns = {id(c): _canonical_columns(c, encoding) for c in pool} if len(pool) > 1 else {}
    keyed = [c for c in pool if len(pool) == 1 or (columns[id(c)] or frozenset()) & _KEY_COLUMNS]
    if len(keyed) > 1 and len({columns[id(c)] for c in keyed}) > 1:
        listing = "; ".join(
            f"{c.name}: {', '.join(sorted(columns[id(c)] or ())) or 'no known columns'}"
            for c in keyed
        )
        raise InputError(
            f"{path.name} holds {len(keyed)} parcel layers with different columns ({listing}). "
            f"Which one to analyse cannot be guessed: pick one with --layer NAME, e.g. "
            f"--layer {keyed[0].name}, or give the layers the same fields to read them together."
        )
    if not keyed:
        raise InputError(
            f"{path.name} holds {len(candidates)} layers and none has a parcel key column (宗地编号 / "
            f"parcel_id or 电子监管号 / supervision_no): {_layer_listing(candidates)}. Pick the "
            f"parcel layer with --layer NAME, e.g. --layer {pool[0].name}."
        )
    for c in candidates:
        if c in keyed:
            continue
        why = (
            "no geometry"
            if c.geometry_type is None
            else "not polygons"
            if c not in pool
            else "no parcel key column (宗地编号 / 电子监管号)"
        )
        notes.append(
            Note(
                f"{path.name}: layer {c.name!r} not read ({why}); pick it with --layer {c.name} "
                f"if it holds the parcels.",
                "layer_skipped",
                c.name,
            )
        )
    return keyed


def _read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" not in str(exc).lower():
            raise InputError(f"{path.name} could not be read as GeoParquet ({exc}).") from exc
        raise InputError(
            f"{path.name} is a Parquet file without geometry metadata (not GeoParquet). Write it "
            f"with GeoDataFrame.to_parquet(), or export the layer from QGIS as GeoPackage."
        ) from exc
    except Exception as exc:
        raise InputError(
            f"{path.name} could not be read as GeoParquet ({type(exc).__name__}: {exc}). The "
            f"file may be damaged; export it again, or as GeoPackage."
        ) from exc


def _sidecar(shp: Path, ext: str) -> Path | None:
    """The ``.dbf``/``.cpg`` beside a shapefile, in any letter case."""
    exact = shp.with_suffix(ext)
    if exact.exists():
        return exact
    for p in shp.parent.glob(f"{glob.escape(shp.stem)}.*"):
        if p.suffix.lower() == ext:
            return p
    return None


def _read_cpg(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace").strip()


def _file_source(path: Path) -> _Source:
    suffix = path.suffix.lower()
    src = _Source(str(path), suffix, path.name)
    if suffix == ".shp":
        dbf, cpg = _sidecar(path, ".dbf"), _sidecar(path, ".cpg")
        if dbf is None:
            raise InputError(
                f"{path.name}: the .dbf file beside it is missing; a shapefile needs .shp, .shx, "
                f".dbf (and .prj) with the same name. Copy all of them, or zip them together."
            )
        src.dbf = np.memmap(dbf, dtype=np.uint8, mode="r") if dbf.stat().st_size else None
        src.cpg = _read_cpg(cpg.read_bytes()) if cpg is not None else None
    return src


def _zip_sources(path: Path) -> list[_Source]:
    """Every dataset inside a zip (shapefiles with their .dbf and .cpg, GeoPackages ...)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                n for n in zf.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")
            ]
            datasets = [n for n in members if _suffix(n) in _GDAL_SUFFIXES]
            if not datasets:
                raise InputError(
                    f"{path.name} holds no .shp, .gpkg, .geojson or .fgb file. Zip the "
                    f"shapefile's .shp, .shx, .dbf and .prj together (or pass them unzipped)."
                )
            sources = []
            for member in datasets:
                src = _Source(
                    f"/vsizip/{path.resolve().as_posix()}/{member}",
                    _suffix(member),
                    f"{path.name}/{member}",
                    zip_member=(path, member),
                )
                if src.kind == ".shp":
                    base = member[: -len(".shp")].lower()
                    sidecars = {
                        n[len(base) :].lower(): n for n in members if n.lower().startswith(base)
                    }
                    if ".dbf" in sidecars:
                        src.dbf = np.frombuffer(zf.read(sidecars[".dbf"]), dtype=np.uint8)
                    if ".cpg" in sidecars:
                        src.cpg = _read_cpg(zf.read(sidecars[".cpg"]))
                sources.append(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"{path.name} could not be opened as a zip archive ({exc}). It may be damaged or "
            f"another format (e.g. .rar or .7z); make a .zip of the shapefile's files again."
        ) from exc
    return sources


def _suffix(member: str) -> str:
    return Path(member).suffix.lower()


def _dbf_text_sample(dbf: np.ndarray) -> bytes:
    """The bytes of a DBF's field names and of its character fields in records with non-ASCII
    text (up to 20,000 records), one field per line."""
    if len(dbf) < 32:
        return b""
    head = dbf[:32].tobytes()
    nrec = int.from_bytes(head[4:8], "little")
    hlen = int.from_bytes(head[8:10], "little")
    rlen = int.from_bytes(head[10:12], "little")
    names: list[bytes] = []
    fields: list[tuple[int, int]] = []
    pos, offset = 32, 1  # each record starts with a deletion flag
    desc = dbf[: min(hlen, len(dbf))].tobytes()
    while pos + 32 <= len(desc) and desc[pos] != 0x0D:
        names.append(desc[pos : pos + 11].split(b"\0", 1)[0])
        ftype, flen = desc[pos + 11 : pos + 12], desc[pos + 16]
        if ftype == b"C":
            flen |= desc[pos + 17] << 8  # Clipper/FoxPro store long text lengths this way
            if offset + flen <= rlen:
                fields.append((offset, flen))
        offset += flen
        pos += 32
    out = b"\n".join(names)
    if not fields or rlen <= 0 or hlen >= len(dbf):
        return out
    n = min(nrec, (len(dbf) - hlen) // rlen)
    records = np.asarray(dbf[hlen : hlen + n * rlen]).reshape(n, rlen)
    newline = np.full((n, 1), 0x0A, dtype=np.uint8)
    text = np.concatenate([part for o, w in fields for part in (records[:, o : o + w], newline)], 1)
    text = text[(text >= 0x80).any(axis=1)][:_DBF_SAMPLE_RECORDS]
    return out + b"\n" + text.tobytes()


def _shapefile_encoding(
    src: _Source, given: str | None, notes: list[str]
) -> tuple[str | None, str | None]:
    """(encoding to pass to pyogrio, encoding to report) for a shapefile."""
    if given is not None:
        notes.append(
            Note(f"{src.label}: text read as {given} (as given).", "encoding_given", given)
        )
        return given, given
    if src.cpg is not None:
        notes.append(
            Note(
                f"{src.label}: text encoding {src.cpg or '(empty)'} from the .cpg file.",
                "encoding_from_cpg",
                src.cpg or "(empty)",
            )
        )
        return None, src.cpg or None
    sample = _dbf_text_sample(src.dbf) if src.dbf is not None else b""
    if sample.isascii():
        notes.append(
            Note(f"{src.label}: no .cpg file; the text fields are plain ASCII.", "encoding_ascii")
        )
        return None, "ascii"
    guess = detect_text_encoding(sample)
    notes.append(
        Note(
            f"{src.label}: no .cpg file; text encoding detected from the .dbf as "
            f"{guess.encoding} ({guess.reason}).",
            "encoding_detected",
            guess.encoding,
        )
    )
    if not guess.confident:
        notes.append(
            Note(
                f"{src.label}: the encoding is uncertain; if names look garbled, run again with "
                f"--encoding NAME (e.g. gbk or utf-8) or add a .cpg file holding the encoding.",
                "encoding_uncertain",
                guess.encoding,
            )
        )
    return guess.encoding, guess.encoding


# Formats whose text is UTF-8 by definition: a given encoding does not apply to them.
_UTF8_KINDS = frozenset({".gpkg", ".fgb"})


def _read_candidate(
    cand: _Candidate, encoding: str | None, notes: list[str]
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read one layer through pyogrio; return (frame, encoding used)."""
    src, chosen = cand.src, cand.gdal_layer
    if encoding is not None and src.kind in _UTF8_KINDS:
        notes.append(
            Note(
                f"{src.label}: {src.kind} text is UTF-8 by definition; --encoding {encoding} "
                f"ignored.",
                "option_ignored",
                f"--encoding {encoding}",
            )
        )
        encoding = None
    if src.kind == ".shp":
        enc, used = _shapefile_encoding(src, encoding, notes)
    else:
        enc, used = encoding, encoding or "utf-8"
    try:
        gdf = _pyogrio_read(src, chosen, enc)
    except Exception as exc:
        if encoding is not None or not _is_decode_error(exc):
            raise _layer_error(src, enc, exc) from exc
        # A wrong .cpg file, or a GeoJSON file in GBK (text formats are UTF-8 by specification):
        # detect the encoding from the bytes and try again.
        if src.kind == ".shp":
            sample = _dbf_text_sample(src.dbf) if src.dbf is not None else b""
            where = f"the .cpg says {src.cpg}, but the text is not"
        else:
            sample, where = _raw_bytes(src), "the text is not UTF-8"
        guess = detect_text_encoding(sample)
        if guess.encoding == enc or (enc is None and guess.encoding == "utf-8"):
            raise _layer_error(src, enc, exc) from exc
        notes.append(
            Note(
                f"{src.label}: {where}; read as {guess.encoding} ({guess.reason}).",
                "encoding_redetected",
                guess.encoding,
            )
        )
        try:
            gdf = _pyogrio_read(src, chosen, guess.encoding)
        except Exception as exc2:
            raise _layer_error(src, guess.encoding, exc2) from exc2
        used = guess.encoding
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(
            f"{src.label}: layer {chosen!r} has no geometry column (an attribute table). Pass "
            f"the layer with the parcel polygons."
        )
    return gdf, used


def _pyogrio_read(src: _Source, layer: str, encoding: str | None) -> gpd.GeoDataFrame:
    # pyogrio's Arrow path is faster but decodes only UTF-8, except for shapefiles where GDAL
    # itself recodes from the given encoding.
    if encoding is None or src.kind == ".shp":
        try:
            return read_arrow_frame(src.gdal_path, layer=layer, encoding=encoding)
        except Exception as exc:
            if _is_decode_error(exc):
                raise
    return pyogrio.read_dataframe(src.gdal_path, layer=layer, encoding=encoding, use_arrow=False)


def read_arrow_frame(
    path: str, *, layer: str | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame | pd.DataFrame:
    """A layer read through GDAL's Arrow stream as ``pyogrio.read_dataframe(use_arrow=True)``
    reads it (the same columns, dtypes and values; dates as ``datetime64``, date-times parsed
    by pyogrio's own rule), a plain DataFrame when it has no geometry column.

    The WKB is parsed into geometries on a second thread while the attributes are converted
    to pandas: shapely releases the GIL, so on a machine with two cores the geometries cost
    little wall time. Each attribute column keeps its own block (no consolidating copy)."""
    from pyogrio.geopandas import _try_parse_datetime

    meta, table = pyogrio.read_arrow(path, layer=layer, encoding=encoding, datetime_as_string=True)
    geometry_name = meta["geometry_name"] or "wkb_geometry"
    wkb = table.column(geometry_name) if geometry_name in table.column_names else None
    if wkb is not None:
        table = table.drop_columns([geometry_name])
    with ThreadPoolExecutor(max_workers=1) as pool:
        geometries = pool.submit(_from_wkb, wkb) if wkb is not None else None
        del wkb
        frame = table.to_pandas(self_destruct=True, split_blocks=True, date_as_object=False)
        del table
        for dtype, name in zip(meta["dtypes"], meta["fields"], strict=True):
            if dtype is not None and dtype.startswith("datetime") and dtype != "datetime64[D]":
                frame[name] = _try_parse_datetime(frame[name], False, True)
        for subtype, name in zip(meta["ogr_subtypes"], meta["fields"], strict=True):
            if subtype == "OFSTJSON" and pd.api.types.infer_dtype(frame[name]) == "string":
                with contextlib.suppress(Exception):  # pyogrio leaves such text as it is
                    frame[name] = frame[name].map(json.loads, na_action="ignore")
        if geometries is None:
            return frame
        return geo_frame([frame], geometries.result(), meta["crs"])


def _from_wkb(wkb: pa.ChunkedArray) -> np.ndarray:
    """Geometries of a WKB column (nulls stay missing; invalid WKB raises, as in pyogrio)."""
    return shapely.from_wkb(pa.array(wkb).to_numpy(zero_copy_only=False))


def _is_decode_error(exc: BaseException) -> bool:
    """Whether pyogrio failed on undecodable text (pyarrow says "Wrapping <bytes> failed")."""
    text = f"{type(exc).__name__} {exc}"
    return isinstance(exc, UnicodeDecodeError) or "decode" in text.lower() or "Wrapping" in text


def _raw_bytes(src: _Source) -> bytes:
    if src.zip_member is not None:
        archive, member = src.zip_member
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    return Path(src.gdal_path).read_bytes()


def _layer_error(src: _Source, encoding: str | None, exc: Exception) -> InputError:
    if _is_decode_error(exc):
        return InputError(
            f"{src.label}: the attribute text cannot be decoded"
            f"{f' as {encoding}' if encoding else ''} ({exc}). Run again with the right "
            f"--encoding (gbk, cp950 or utf-8), or for a shapefile add a .cpg file holding it. Field names cut "
            f"in the middle of a character (a DBF name holds 10 bytes) also cause this: rename "
            f"the fields in QGIS and save as GeoPackage."
        )
    return InputError(
        f"{src.label} could not be read ({type(exc).__name__}: {exc}). The file may be damaged; "
        f"export it again from QGIS or ArcGIS, e.g. as GeoPackage."
    )
