"""Checks on input files before their bodies are read: does the path exist (and what was
probably meant when it does not), what kind of file is it, is its text valid in the
configured encoding, and is its CSV header usable. A CSV / TSV compressed as pandas reads it
(``.gz``, ``.bz2``, ``.zip``, ``.xz``: ``compression="infer"`` goes by the suffix) is checked
on its decompressed text (:func:`open_bytes`, with :mod:`gzip`, :mod:`bz2`, :mod:`lzma`,
:mod:`zipfile`).

Every check raises :class:`DataError` with one message naming the file and what it is; a
hostile or careless file (0 bytes, binary, wrong encoding, a 2 MB header of duplicated
names) costs at most one pass over its bytes. Hand-written: no library reports these in
one line that names the file; the CSV header itself is parsed by :mod:`csv`.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import contextvars
import csv
import datetime
import difflib
import gzip
import io
import lzma
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lstm_helpers.config import Config


class DataError(ValueError):
    """The input data cannot be used; the message says where and what would be valid."""


# leading bytes of file kinds a user may point data.path at by mistake
_MAGIC = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a zip archive (an .npz, .xlsx or .zip)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x93NUMPY", "a single .npy array"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable"),
    (b"\x80", "a Python pickle"),
)
_CHUNK = 1 << 20
_SHOW = 200  # characters of a value shown in a message
_NUL_BYTES = "a binary file (it holds NUL bytes)"
# encodings whose text holds NUL bytes (an ASCII character's other bytes): decoded, not refused as binary
_WIDE = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


def row_text(row: int, source: object = None) -> str:
    """A table's data row (``row`` counts from 0, the header not counted) as a spreadsheet numbers
    it, the header being row 1: messages said "row 5" of what a spreadsheet shows as row 7. A
    Parquet ``source`` (by its suffix) has no header row: its rows are counted from 1 and named by
    pandas' position too."""
    if str(source).lower().endswith(PARQUET):
        return f"row {row + 1} (counting the table's rows from 1; position {row} in pandas)"
    return f"row {row + 2} (the header is row 1)"


_DECIMAL = {  # a number written with this decimal mark, and the mark's name
    ",": (re.compile(r"\s*[-+]?(\d+,\d*|,\d+)([eE][-+]?\d+)?\s*"), "comma", "commas"),
    ".": (re.compile(r"\s*[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?\s*"), "point", "points"),
}


_THOUSANDS = re.compile(  # unambiguous only: both marks (7.020,07 / 1,234.5) or two groups or more (1.234.567)
    r"\s*[-+]?\d{1,3}((\.\d{3})+,\d*|(,\d{3})+\.\d*|(\.\d{3}){2,}|(,\d{3}){2,})\s*"
)


def _decimal_advice(value: object, decimal: str, settable: bool) -> str | None:
    """The way out for ``value`` written with the other decimal mark than ``data.decimal``
    (``settable``: the user can set it; predict reads at its run's setting), or with
    thousands separators (``7.020,07``, which pandas cannot read either way); None otherwise."""
    if isinstance(value, str) and _THOUSANDS.fullmatch(value):
        return "it is written with thousands separators: save the numbers without them"
    other = "," if decimal == "." else "."
    pattern, name, _ = _DECIMAL[other]
    if not (isinstance(value, str) and pattern.fullmatch(value)):
        return None
    if not settable:
        return (
            f"it is written with a decimal {name}, but this run reads decimal {_DECIMAL[decimal][2]} "
            f"(data.decimal {decimal!r}): save the file with decimal {_DECIMAL[decimal][2]}"
        )
    if other == ",":
        return "it is written with a decimal comma: set data.decimal: ','"
    return "it is written with a decimal point, but data.decimal is ',': use one decimal mark in every file"


_DATE_LIKE = re.compile(r".*(\d{1,4}[-/]\d{1,2}[-/]\d{1,4}|\d{1,2}:\d{2}).*")  # 2024-05-01, 01/05/2024, 10:00


def _time_advice(value: object, col: str, what: str) -> str:
    """What a column of ``what`` must hold; for a time column holding date-times or clock times
    (``2024-05-01 10:00:00.02``), that it must be seconds and how pandas converts them."""
    if what != "time column":
        return f"{what}s must hold numbers"
    dated = isinstance(value, (pd.Timestamp, np.datetime64, datetime.date))  # datetime is a date too
    if not dated and isinstance(value, str) and _DATE_LIKE.fullmatch(value.strip()):
        dated = pd.to_datetime(value, errors="coerce") is not pd.NaT
    seconds = "the time column must hold seconds as numbers (e.g. seconds since the recording's start)"
    if not dated:
        return seconds
    return (
        f"{seconds}, not dates or clock times: convert column {col!r} first, e.g. in pandas "
        f"t = pd.to_datetime(df[{col!r}]); df[{col!r}] = (t - t.iloc[0]).dt.total_seconds()"
    )


def check_numeric(
    df: pd.DataFrame, columns: list[str], source: object, what: str = "column", settable: bool = True,
    decimal: str = ".",
) -> None:  # fmt: skip
    """Refuse the first column of ``columns`` holding a value that is not a number, naming
    the source, the column, the value and its row (before numpy would fail on it). A value
    written with the other decimal mark than ``decimal`` (``0,25`` read at points, ``0.25`` at
    commas) is named as such, with the way out (:func:`_decimal_advice`)."""
    for col in columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            bad = pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()
            row = int(np.argmax(bad.to_numpy()))
            value = df[col].iloc[row]
            advice = _decimal_advice(value, decimal, settable) or _time_advice(value, col, what)
            raise DataError(
                f"{source}: {what} {col!r} is not numeric (value {short(value, 60)} at {row_text(row, source)}); "
                f"{advice}"
            )


def short(value: object, limit: int = _SHOW) -> str:
    """``repr(value)`` cut to ``limit`` characters (messages never echo a whole value)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def closest_existing(path: Path) -> Path | None:
    """The existing entry whose name is closest to ``path``'s (difflib), in the nearest
    existing parent folder; None when nothing there is close."""
    parent = path.parent
    while not parent.is_dir() and parent != parent.parent:
        parent = parent.parent
    try:
        names = sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))
    except OSError:
        return None
    target = path.name if path.parent == parent else path.relative_to(parent).parts[0]
    match = difflib.get_close_matches(target, names, n=1, cutoff=0.5)
    return parent / match[0] if match else None


def missing_path_error(path: str | Path, key: str = "data.path") -> DataError:
    """``key`` names a path that does not exist: say which, what is closest, and where we are.

    A relative path is looked for (as :func:`lstm_helpers.config.resolve_path` does) under the
    current directory and the project root; the closest existing name in either is suggested.
    """
    from lstm_helpers.config import PROJECT_ROOT

    path = Path(path).expanduser()
    bases = [path] if path.is_absolute() else [Path.cwd() / path, PROJECT_ROOT / path]
    near = next((n for n in map(closest_existing, bases) if n is not None), None)
    hint = f"; the closest existing name is {_rel(near)}" if near is not None else ""
    where = "" if path.is_absolute() else " (looked under the current directory and the project root)"
    return DataError(
        f"{key} {str(path)[:300]} does not exist{where}{hint}; current directory: {Path.cwd()}; nothing was created"
    )


def anchored(cfg: Config) -> Config:
    """``cfg`` with a ``data.path`` that exists relative to the current directory made
    absolute. The stages run in a kernel whose current directory is the run directory, where
    that relative path means nothing (:func:`lstm_helpers.config.resolve_path` would look
    under the project root instead), so the CLI, sweeps and searches anchor it where the user
    typed it. A path that names the same place from the project root stays relative: the
    demo's ``data/raw/demo`` reads the same in every report and fingerprint."""
    from lstm_helpers.config import PROJECT_ROOT

    path = Path(cfg.data.path).expanduser()
    if path.is_absolute() or not path.exists() or (PROJECT_ROOT / path).resolve() == path.resolve():
        return cfg
    out = cfg.model_copy(deep=True)
    out.data.path = str(path.resolve())
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def describe(path: Path) -> str:
    """What a file is, from its first bytes (decompressed: :func:`open_bytes`): ``empty``, a known
    binary kind, ``binary`` or ``text``."""
    with open_bytes(path) as fh:
        head = fh.read(8192)
    if not head:
        return "empty (0 bytes)"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head:
        return _NUL_BYTES
    return "text"


# what a user sets for another encoding: the config key, or predict's option (a finished run's
# settings are fixed; the new file's encoding is its own)
ENCODING_KEY: contextvars.ContextVar[str] = contextvars.ContextVar("encoding_key", default="data.encoding")


def _set_encoding(name: str) -> str:
    key = ENCODING_KEY.get()
    return f"set {key}: {name}" if key.startswith("data.") else f"pass {key} {name}"


def check_encoding(path: Path, encoding: str, key: str | None = None) -> None:
    """Decode the whole file incrementally; refuse it naming the first bad byte's offset."""
    key = key or ENCODING_KEY.get()
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open_bytes(path) as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = chunk[exc.start : exc.start + 1]
                raise DataError(
                    f"{path} is not valid {encoding} text: byte 0x{bad.hex()} at byte offset "
                    f"{offset + exc.start} cannot be decoded; convert the file to UTF-8 or set {key} "
                    f"to its encoding (e.g. latin-1, cp1252)"
                ) from None
            except UnicodeError as exc:  # utf-16 / utf-32 without a byte-order mark: no byte to name
                raise DataError(
                    f"{path} is not valid {encoding} text ({exc}); convert the file to UTF-8 or set {key} "
                    f"to its encoding (e.g. utf-8, utf-16-le, latin-1)"
                ) from None
            offset += len(chunk)
        pending = len(decoder.getstate()[0])  # bytes of an unfinished character at the end
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DataError(
                f"{path} is not valid {encoding} text: it ends inside a multi-byte character "
                f"at byte offset {offset - pending} (truncated?); convert the file to UTF-8 or "
                f"set {key} to its encoding"
            ) from None


def _wide_text_hint(path: Path) -> str:
    """Advice for NUL bytes that look like UTF-16 / UTF-32 text (a byte-order mark, or a NUL in
    every other byte, or in 3 of every 4): the encoding to set; "" otherwise."""
    with open_bytes(path) as fh:
        head = fh.read(8192)
    pairs, quads = head[: len(head) // 2 * 2], head[: len(head) // 4 * 4]
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        name, how = "utf-32", "a UTF-32 byte-order mark"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name, how = "utf-16", "a UTF-16 byte-order mark"
    elif len(quads) >= 8 and any(quads) and not any(quads[1::4]) and not any(quads[2::4]):
        name, how = ("utf-32-le" if any(quads[0::4]) else "utf-32-be"), "NUL in 3 of every 4 bytes"
    elif len(pairs) >= 4 and any(pairs[0::2]) != any(pairs[1::2]):  # one half all NUL, the other not
        name, how = ("utf-16-le" if any(pairs[0::2]) else "utf-16-be"), "NUL in every other byte"
    else:
        return ""
    return f"; it looks like {name.upper()} text ({how}): {_set_encoding(name)}"


def check_text_file(path: Path, encoding: str, what: str) -> None:
    """Refuse a file that is empty, binary or not valid text in ``encoding``. NUL bytes are
    text in UTF-16 / UTF-32 (``data.encoding`` set so); in any other encoding they are refused,
    with the encoding to set where the bytes look like UTF-16 / UTF-32."""
    try:
        kind = describe(path)
        if kind == _NUL_BYTES and codecs.lookup(encoding).name in _WIDE:
            kind = "text"  # check_encoding decodes it
        if kind != "text":
            raise DataError(f"{path} is {kind}, not {what}{_wide_text_hint(path) if kind == _NUL_BYTES else ''}")
        check_encoding(path, encoding)
    except _BROKEN as exc:
        if Path(path).suffix.lower() not in COMPRESSED:
            raise
        raise DataError(
            f"{path} is not a readable {COMPRESSED[Path(path).suffix.lower()]}-compressed file (corrupt or truncated: "
            f"{short(str(exc), 120)}); compress it again, or give it uncompressed"
        ) from None


DELIMITED = (".csv", ".tsv")  # delimited text tables, read at data.sep (a .tsv at commas is named tab-separated)
PARQUET = (".parquet", ".pq")
# what pandas' read_csv decompresses by the suffix (compression="infer"), and its name
COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz"}
# what reading a broken compressed file raises (gzip: OSError / EOFError / zlib.error)
_BROKEN = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}  # data.sep's choices, named


def table_suffix(path: Path) -> str:
    """The suffix that says what table a file is, past a compression suffix (``a.csv.gz``:
    ``.csv``), lower case."""
    path = Path(path)
    if path.suffix.lower() in COMPRESSED:
        return Path(path.stem).suffix.lower()
    return path.suffix.lower()


def is_delimited(path: Path) -> bool:
    """A CSV / TSV file, compressed (as pandas reads it: :data:`COMPRESSED`) or not."""
    return table_suffix(path) in DELIMITED


def reading_encoding(encoding: str) -> str:
    """The codec to read text at ``encoding`` with: UTF-8 as ``utf-8-sig``, which drops a leading
    byte-order mark (Excel's "CSV UTF-8" writes one; as the text reader removes it) -- read as
    plain UTF-8 it was part of the first column's name."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


@contextlib.contextmanager
def open_bytes(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes, decompressed where its suffix says so as pandas reads
    it (:data:`COMPRESSED`; a zip must hold exactly one file, as pandas requires)."""
    kind = COMPRESSED.get(Path(path).suffix.lower())
    if kind is None:
        with open(path, "rb") as fh:
            yield fh
    elif kind == "zip":
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if len(names) != 1:
                raise DataError(
                    f"{path} is a zip archive of {len(names)} entries ({short(names[:5], 200)}); a zip "
                    "must hold exactly one file (one table or text): zip each file on its own, or unpack them into the folder"
                )
            with zf.open(names[0]) as fh:
                yield fh
    else:
        with {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind](path, "rb") as fh:
            yield fh


def csv_header(path: Path, encoding: str, sep: str = ",") -> list[str]:
    """Column names from a CSV's first line only (the body is not read), split at ``sep``, each
    stripped of surrounding spaces (as :func:`~lstm_helpers.data.files.read_delimited` reads them)
    and of a UTF-8 byte-order mark (:func:`reading_encoding`).

    Refuses an empty or binary file, text that is not valid in ``encoding`` and duplicated
    names -- in time linear in the header's length.
    """
    check_text_file(path, encoding, "a CSV table")
    with open_bytes(path) as raw, io.TextIOWrapper(raw, encoding=reading_encoding(encoding), newline="") as fh:
        names = next(csv.reader(fh, delimiter=sep), [])
    names = [n.strip() for n in names]
    if not any(names):
        raise DataError(f"{path}: the first line is blank; a CSV needs a header line naming its columns")
    dup = Counter(names)
    repeated = [(n, c) for n, c in dup.most_common(3) if c > 1]
    if repeated:
        what = ", ".join(f"{short(n, 40)} x {c}" for n, c in repeated)
        raise DataError(
            f"{path}: the header names {sum(c - 1 for c in dup.values() if c > 1)} duplicated "
            f"column(s) ({what}); every column needs a unique name"
        )
    return names


def check_finite(
    values: np.ndarray,
    where: str,
    columns: list[str],
    rows: np.ndarray | None = None,
    nan_policy_key: str | None = "data.nan_policy",
    table: bool = True,
) -> None:
    """Refuse infinite values and values beyond float32's range (they become inf when stored).

    ``values`` is (N, C) float64 as read; NaN is left to ``data.nan_policy``. The message
    names ``where`` (file), the column and the row of the first bad value, and the knob that
    handles blanked values (``nan_policy_key``; None where blanks are not an option). ``table``: the
    values are a table's rows, named as a spreadsheet numbers them (:func:`row_text`); else an
    array's (from 0)."""
    limit = float(np.finfo(np.float32).max)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (np.abs(values) > limit)
    if not bad.any():
        return
    flat = int(np.argmax(bad.reshape(len(values), -1).any(axis=1)))
    col = int(np.argmax(bad[flat])) if bad.ndim > 1 else 0
    row = int(rows[flat]) if rows is not None else flat
    value = values[flat, col] if values.ndim > 1 else values[flat]
    blank = (
        f", or blank them (empty cells) and set {nan_policy_key} to 'interpolate' or 'drop'" if nan_policy_key else ""
    )
    raise DataError(
        f"{where}: {int(bad.sum())} value(s) are infinite or beyond float32's range (+-{limit:.3g}); "
        f"first: column {columns[col]!r}, {row_text(row, where) if table else f'row {row}'}, value {float(value)!r}. Fix them at the source{blank}"
    )


# set while the data are read only to be checked (:func:`checking_only`); per thread, as sweep workers check too
_CHECKING_ONLY = contextvars.ContextVar("lstm_helpers_checking_only", default=False)


@contextlib.contextmanager
def checking_only() -> Iterator[None]:
    """Data read only to be checked, before a run directory exists (the command line, sweeps),
    or read by a caller that says the notes itself (predict, from the readers' ``notes``): what
    reading them notes is not warned of here -- it reached the terminal as a raw Python warning
    with this package's file and source line, or twice -- since stage 01 reads them again and
    says it where its other notes go (its notebook, prepare.json, the report)."""
    token = _CHECKING_ONLY.set(True)
    try:
        yield
    finally:
        _CHECKING_ONLY.reset(token)


def say_note(note: str, stacklevel: int = 2) -> None:
    """A note of reading the data as a UserWarning (stage 01's notebook shows it plainly), unless
    the data are read only to be checked (:func:`checking_only`)."""
    if not _CHECKING_ONLY.get():
        warnings.warn(note, UserWarning, stacklevel=stacklevel + 1)


def separator_hint(names: list[str], sep: str, settable: bool = True) -> str:
    """Advice when a CSV header read at ``sep`` is one column whose name holds another separator
    (a semicolon-separated file read at commas); "" otherwise. ``settable``: data.sep can be set
    (run, prepare); predict reads at its run's data.sep."""
    if len(names) != 1:
        return ""
    other = next((c for c in SEPARATORS if c != sep and c in names[0]), None)
    if other is None:
        return ""
    way = f", or set data.sep: {other!r}" if settable else f" (this run reads data.sep {sep!r})"
    return (
        f"; it looks {SEPARATORS[other]}-separated (one column whose name holds {other!r}): "
        f"save it {SEPARATORS[sep]}-separated{way}"
    )


def time_unit_hint(measured_hz: float, expected_hz: float, column: str) -> str:
    """Advice when the time column's rate is about 1000x off the expected one (the time column must
    be in seconds: milliseconds read as seconds make 25 Hz look like 0.025 Hz); "" otherwise.
    Stage 01 (data.sample_rate_hz) and predict (the run's rate) give the same advice."""
    ratio = measured_hz / expected_hz
    if abs(ratio * 1000 - 1) <= 0.05:
        return (
            f"the times in column {column!r} look like milliseconds (read as milliseconds they step at "
            f"{measured_hz * 1000:.4g} Hz): the time column must be in seconds; divide it by 1000"
        )
    if abs(ratio / 1000 - 1) <= 0.05:
        return (
            f"column {column!r} steps 1000 times faster than {expected_hz:g} Hz: the time column must be in "
            "seconds (not thousands of seconds), and the rate in Hz (not kHz)"
        )
    return ""
