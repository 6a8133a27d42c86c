"""The one reader of a CSV / TSV body, which names its columns as the header check does.

Hand-written around :func:`pandas.read_csv`: pandas keeps a header's spaces (``behaviour ``)
while :func:`~lstm_helpers.data.inputs.csv_header` strips them, so a body read by the stripped
names failed with pandas' own "Usecols do not match columns".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lstm_helpers.data.inputs import reading_encoding


def read_delimited(
    path: Path, encoding: str, sep: str, decimal: str = ".", columns: list[str] | None = None, **kwargs: object
) -> pd.DataFrame:
    """A CSV / TSV body with its column names stripped of surrounding spaces, as
    :func:`~lstm_helpers.data.inputs.csv_header` names them, and a UTF-8 byte-order mark dropped
    (:func:`~lstm_helpers.data.inputs.reading_encoding`); ``columns``: only those (stripped
    names), else every column."""
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
