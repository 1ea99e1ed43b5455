"""Raw churn records to be scored by a deployed model: read a CSV and check every value.

The serving side must refuse what the model was not trained on, and say precisely what and where,
instead of printing a probability computed from a NaN or a misspelt column. Every problem raises
``DataSchemaError`` with a one-line message that names the rows (as line numbers of the CSV file,
the header being line 1) and the columns. Nothing here imports TensorFlow: a bad file is refused in
well under a second.

The rules are the training loader's (``data.churn``): the 19 columns of ``churn.FEATURES``; numbers
in ``churn.NUMERIC``; 0/1 in ``churn.BINARY``; the known levels in ``churn.LEVELS``; a blank
``total_charges`` is 0.0 for a customer with tenure 0 (first month, nothing charged yet) and a
missing value anywhere else. Two extra columns are allowed: ``customer_id`` (echoed in the output)
and ``churn`` (a label, ignored). An unknown category is refused unless the caller allows it; a
model whose one-hot encoding has an out-of-vocabulary slot then scores it with that slot, which
training never activated, so the probability of such a record means little.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import churn
from .errors import DataSchemaError

ID_COLUMN = "customer_id"
OPTIONAL = (ID_COLUMN, churn.TARGET)
_SHOWN = 5  # how many rows an error lists before "and N more"


def _lines(index) -> str:
    """Row positions (0-based, in file order) as CSV line numbers: '2, 5 and 3 more'."""
    rows = [int(i) + 2 for i in index]
    text = ", ".join(str(r) for r in rows[:_SHOWN])
    return text + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def read_records_csv(path: str | Path) -> pd.DataFrame:
    """The CSV file as a frame of strings (nothing converted yet), or one clear error."""
    path = Path(path)
    if not path.is_file():
        raise DataSchemaError(f"{path}: no such file")
    head = path.read_bytes()[:65536]
    if not head.strip():
        raise DataSchemaError(f"{path}: the file is empty (expected a header line and one record per line)")
    if b"\x00" in head:
        raise DataSchemaError(f"{path}: not a text CSV file (it contains NUL bytes)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise DataSchemaError(f"{path}: not UTF-8 text (undecodable byte at offset {exc.start})") from None
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except UnicodeDecodeError as exc:
        raise DataSchemaError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise DataSchemaError(f"{path}: not a well-formed CSV file ({' '.join(str(exc).split())})") from None
    except pd.errors.EmptyDataError:
        raise DataSchemaError(f"{path}: the file is empty (expected a header line and one record per line)") from None
    if len(frame) == 0:
        raise DataSchemaError(f"{path}: the file has a header but no records")
    return frame


def check_records(frame: pd.DataFrame, *, allow_unknown: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """The records converted to the model's raw input types, and notes to show the user.

    Raises ``DataSchemaError`` for missing or unexpected columns, non-numeric values in numeric
    columns, values other than 0/1 in binary columns, missing values, and (unless
    ``allow_unknown``) categories the model was not trained on.
    """
    if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
        raise DataSchemaError("churn records: no records to score")
    columns = [str(c).strip() for c in frame.columns]
    frame = frame.set_axis(columns, axis=1).reset_index(drop=True)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataSchemaError(f"churn records: columns {duplicated} appear more than once")
    missing = [c for c in churn.FEATURES if c not in frame.columns]
    if missing:
        raise DataSchemaError(f"churn records: missing columns {missing}")
    extra = [c for c in frame.columns if c not in churn.FEATURES and c not in OPTIONAL]
    if extra:
        raise DataSchemaError(f"churn records: unexpected columns {extra} (allowed besides the 19 features: "
                              f"{list(OPTIONAL)})")
    text = frame[churn.FEATURES].astype(str).apply(lambda col: col.str.strip())
    out = pd.DataFrame(index=frame.index)
    notes: list[str] = []

    blank = text == ""
    numbers = {}
    for col in churn.NUMERIC + churn.BINARY:
        values = pd.to_numeric(text[col].where(~blank[col]), errors="coerce")
        bad = values.isna() & ~blank[col]
        if bad.any():
            sample = text.loc[bad, col].iloc[0]
            raise DataSchemaError(f"churn records: column '{col}' must be numeric; line(s) {_lines(bad[bad].index)} "
                                  f"hold {sample!r}")
        infinite = ~np.isfinite(values.fillna(0.0))
        if infinite.any():
            raise DataSchemaError(f"churn records: column '{col}' has infinite values on line(s) "
                                  f"{_lines(infinite[infinite].index)}")
        numbers[col] = values

    first_month = blank["total_charges"] & (numbers["tenure"] == 0)
    if first_month.any():
        numbers["total_charges"] = numbers["total_charges"].where(~first_month, 0.0)
        blank.loc[first_month, "total_charges"] = False
        notes.append(f"blank total_charges read as 0.0 for {int(first_month.sum())} first-month customer(s) "
                     "(tenure 0), as in training")
    if blank.any().any():
        rows = blank.any(axis=1)
        cols = [c for c in churn.FEATURES if blank[c].any()]
        raise DataSchemaError(f"churn records: missing values on line(s) {_lines(rows[rows].index)}, in columns {cols}")

    for col in churn.BINARY:
        bad = ~numbers[col].isin([0, 1])
        if bad.any():
            raise DataSchemaError(f"churn records: column '{col}' must be 0 or 1; line(s) {_lines(bad[bad].index)} "
                                  f"hold {numbers[col][bad].iloc[0]:g}")
    negative = [c for c in churn.NUMERIC if (numbers[c] < 0).any()]
    if negative:
        col = negative[0]
        rows = numbers[col] < 0
        raise DataSchemaError(f"churn records: column '{col}' cannot be negative; line(s) {_lines(rows[rows].index)}")

    for col in churn.BINARY + churn.NUMERIC:
        out[col] = numbers[col].astype(np.int64 if col in churn.BINARY else np.float64)
    for col, levels in churn.LEVELS.items():
        unknown = ~text[col].isin(levels)
        if unknown.any():
            values = sorted(set(text.loc[unknown, col]))
            where = f"column '{col}' has unknown values {values[:3]} on line(s) {_lines(unknown[unknown].index)}"
            if not allow_unknown:
                raise DataSchemaError(f"churn records: {where}; expected one of {levels} (allow unknown values "
                                      "to score them with the out-of-vocabulary slot)")
            notes.append(f"{where}: scored with the out-of-vocabulary slot, which training never used")
        out[col] = text[col]
    ids = frame[ID_COLUMN].astype(str).tolist() if ID_COLUMN in frame.columns else [str(i) for i in range(len(frame))]
    out.insert(0, ID_COLUMN, ids)
    return out[[ID_COLUMN] + churn.FEATURES], notes
