"""Which files of ``data.path`` (or predict's ``--input``) are read as tables, what is said of the
others, and the one reader of a CSV / TSV body.

A folder's tables are its CSV / TSV files -- also compressed as pandas reads them by the suffix
(``.csv.gz``, ``.tsv.bz2``, ``.csv.zip``, ``.csv.xz``) -- and its Parquet files, as
``data.format`` allows. Every other file there that is not hidden is named in one note with why
it was not read (:func:`skipped_files_notes`): a folder's ``animal_12.csv.gz`` or
``animal_12.xlsx`` was left out of training and of predict without a word. Hand-written: no
library lists a folder's table files with the reasons for the rest.

:func:`read_delimited` wraps :func:`pandas.read_csv`: pandas keeps a header's spaces
(``behaviour ``) while :func:`~lstm_helpers.data.inputs.csv_header` strips them, so a body read
by the stripped names failed with pandas' own "Usecols do not match columns".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lstm_helpers.data.inputs import (
    COMPRESSED,
    DELIMITED,
    PARQUET,
    DataError,
    is_delimited,
    missing_path_error,
    reading_encoding,
    table_suffix,
)

TABLES = {"csv": DELIMITED, "parquet": PARQUET, "auto": (*DELIMITED, *PARQUET)}  # by data.format
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
_OTHER_COMPRESSION = (".zst", ".7z", ".rar", ".tar", ".tgz", ".tbz2", ".lz4", ".z")
_SYSTEM = ("thumbs.db", "desktop.ini", "icon\r")  # files an operating system leaves in a folder
_SHOWN = 6  # file names shown per reason


def is_table_file(path: Path, fmt: str) -> bool:
    """A file ``data.format`` ``fmt`` reads: a CSV / TSV (compressed as :data:`COMPRESSED` or not)
    or a Parquet file (never compressed around: Parquet compresses inside)."""
    suffix = Path(path).suffix.lower()
    if suffix in COMPRESSED:
        return is_delimited(path) and table_suffix(path) in TABLES[fmt]
    return suffix in TABLES[fmt]


def _expected(fmt: str) -> str:
    """What ``data.format`` ``fmt`` reads, said as a sentence's end."""
    kinds = " / ".join(TABLES[fmt])
    zipped = f", {' / '.join(DELIMITED)} also compressed ({' / '.join(COMPRESSED)})" if fmt != "parquet" else ""
    return f"{kinds} files{zipped}"


def list_files(path: Path, fmt: str, key: str = "data.path") -> list[Path]:
    """The table files at ``path`` (a file, or a folder's files: :func:`is_table_file`, hidden
    files left out); errors name ``key``."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_table_file(p, fmt) and not _quiet(p))
        if not files:
            n, listed = _skipped(path, fmt, key)
            there = f" ({n} other file(s): {listed})" if n else ""
            raise DataError(
                f"{key} {path} is a folder without table files{there}; the tables read are {_expected(fmt)}"
            )
        return files
    if not path.exists():
        raise missing_path_error(path, key)
    if not is_table_file(path, fmt):
        raise DataError(
            f"{key} {path}: unsupported file type: {_why_skipped(path, fmt, key)}; the tables read are {_expected(fmt)}"
        )
    return [path]


def _quiet(path: Path) -> bool:
    """Hidden files, Office lock files (``~$x.xlsx``) and what an operating system leaves in a
    folder (``Thumbs.db``): left out without a note."""
    return path.name.startswith((".", "~$")) or path.name.lower() in _SYSTEM


def _why_skipped(path: Path, fmt: str, key: str) -> str:
    """Why ``path`` is not read as a table at ``data.format`` ``fmt``, with what would be read."""
    suffix, kind = path.suffix.lower(), table_suffix(path)
    if path.is_dir():
        return "a folder: subfolders are not read"
    if suffix in COMPRESSED and kind in PARQUET:
        return f"a {COMPRESSED[suffix]}-compressed Parquet file: decompress it, Parquet compresses inside"
    if kind in TABLES["auto"] and kind not in TABLES[fmt]:
        if key.startswith("data."):
            return f"data.format is {fmt!r}: set data.format: auto to read it too"
        return f"this run reads data.format {fmt!r}"
    if suffix in _OTHER_COMPRESSION or (suffix in COMPRESSED and kind not in TABLES["auto"]):
        return f"compressed as {suffix}, which is not read"
    if suffix in _SPREADSHEETS:
        return "a spreadsheet: save each sheet as CSV UTF-8 to read it"
    return f"not a table by its suffix {suffix}" if suffix else "no suffix says it is a table"


def _skipped(folder: Path, fmt: str, key: str) -> tuple[int, str]:
    """How many entries of ``folder`` are not read (hidden ones aside: :func:`_quiet`) and their
    names grouped by why (:func:`_why_skipped`)."""
    skipped = sorted(p for p in folder.iterdir() if not _quiet(p) and not (p.is_file() and is_table_file(p, fmt)))
    why: dict[str, list[str]] = {}
    for p in skipped:
        why.setdefault(_why_skipped(p, fmt, key), []).append(p.name)
    parts = [
        f"{', '.join(names[:_SHOWN])}{f' and {len(names) - _SHOWN} more' if len(names) > _SHOWN else ''} ({reason})"
        for reason, names in why.items()
    ]
    return len(skipped), "; ".join(parts)


def skipped_files_notes(path: Path, fmt: str, key: str = "data.path") -> list[str]:
    """One note naming the files of the folder ``path`` that are not read, grouped by why; none
    for a file, or a folder whose files are all read (or hidden: :func:`_quiet`)."""
    if not path.is_dir():
        return []
    n, listed = _skipped(path, fmt, key)
    if not n:
        return []
    return [f"{key} {path.name}: {n} file(s) in the folder not read: {listed}. The tables read are {_expected(fmt)}"]


def read_delimited(
    path: Path, encoding: str, sep: str, decimal: str = ".", columns: list[str] | None = None, **kwargs: object
) -> pd.DataFrame:
    """A CSV / TSV body (compressed or not: pandas infers it from the suffix) with its column
    names stripped of surrounding spaces, as :func:`~lstm_helpers.data.inputs.csv_header` names
    them, and a UTF-8 byte-order mark dropped (:func:`~lstm_helpers.data.inputs.reading_encoding`);
    ``columns``: only those (stripped names), else every column."""
    wanted = None if columns is None else set(columns)
    df = pd.read_csv(
        path,
        usecols=None if wanted is None else (lambda name: str(name).strip() in wanted),
        encoding=reading_encoding(encoding),
        sep=sep,
        decimal=decimal,
        **kwargs,
    )
    df.columns = [str(c).strip() for c in df.columns]
    return df
