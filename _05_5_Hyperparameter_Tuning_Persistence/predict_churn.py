"""Score raw customer records with a saved churn model (the serving side of lesson 5.5).

    python predict_churn.py MODEL RECORDS.csv [--out PREDICTIONS.csv] [--allow-unknown]

MODEL is a ``.keras`` file or a SavedModel folder written by ``train_churn_artifact.py`` (or any
model that takes raw records, its preprocessing inside, as in ``demo_save_reload_serve.py``).
RECORDS.csv holds one customer per line with the 19 raw columns of ``data.churn.FEATURES``, and
optionally ``customer_id`` (echoed in the output) and ``churn`` (ignored). It writes
``customer_id,churn_probability`` lines to the screen or, with ``--out``, to a file.

Every problem -- a missing, unexpected or misspelt column, a non-numeric or missing value (the
message names the lines and columns), a category the model was not trained on, an empty file, a
header without records, a binary file, a missing, truncated or wrong model file -- ends with one
line on stderr and exit status 2: no traceback, no probability computed from a bad value, and no
output file written. A blank ``total_charges`` for a customer with tenure 0 is read as 0.0, as in
training. Unknown categories are refused; ``--allow-unknown`` scores them with the model's
out-of-vocabulary slot (training never used it, so such a probability means little) and says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import coursekit  # noqa: F401  (first: quiet TensorFlow)

PROG = "predict_churn"


class ServingError(Exception):
    """A problem with the model file or the records, explained in one line."""


def check_model_path(path: Path) -> None:
    """Refuse what cannot be a churn artifact before TensorFlow is even imported."""
    if not path.exists():
        raise ServingError(f"{path}: no such model file or folder")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ServingError(f"{path}: not a SavedModel folder (no saved_model.pb)")
        return
    if path.suffix != ".keras":
        raise ServingError(f"{path}: expected a .keras file or a SavedModel folder")
    if not zipfile.is_zipfile(path):
        raise ServingError(f"{path}: corrupt or truncated .keras file (not a zip archive)")


def load_model_artifact(path: Path):
    """A ``.keras`` file (loaded with safe_mode=True: no code from the file runs) or a SavedModel folder
    (wrapped in ``TFSMLayer``)."""
    check_model_path(path)
    import keras

    try:
        if path.is_dir():
            return keras.layers.TFSMLayer(str(path), call_endpoint="serve")
        return keras.models.load_model(path)
    except Exception as exc:  # noqa: BLE001 -- any failure to load is one message
        raise ServingError(f"{path}: cannot load the model ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def score(model, records):
    """Churn probabilities of checked records; refuses a model that does not take raw records."""
    import numpy as np

    import _lesson55

    try:
        proba = _lesson55.predict_records(model, records)
    except Exception as exc:  # noqa: BLE001
        raise ServingError(f"the model does not take raw churn records ({_first_line(exc)})") from None
    if proba.shape != (len(records),) or not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ServingError(f"the model gave {proba.shape} outputs for {len(records)} records, not one probability each")
    return proba


def _write(lines: list[str], out: Path | None) -> None:
    text = "\n".join(lines) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    if not out.parent.is_dir():
        raise ServingError(f"{out.parent}: no such folder for the output file")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)  # written whole, then renamed
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, like every other problem
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    parser = _Parser(prog=PROG, description="Churn probabilities for raw customer records.")
    parser.add_argument("model", type=Path, help=".keras file or SavedModel folder")
    parser.add_argument("records", type=Path, help="CSV of raw customer records")
    parser.add_argument("--out", type=Path, help="write the predictions to this CSV file instead of the screen")
    parser.add_argument("--allow-unknown", action="store_true",
                        help="score categories unseen in training with the out-of-vocabulary slot instead of refusing")
    args = parser.parse_args(argv)

    import data

    try:
        check_model_path(args.model)
        records, notes = data.records.check_records(data.records.read_records_csv(args.records),
                                                    allow_unknown=args.allow_unknown)
        model = load_model_artifact(args.model)
        proba = score(model, records)
        _write(["customer_id,churn_probability"] + [f"{i},{p:.4f}" for i, p in zip(records["customer_id"], proba)],
               args.out)
    except (ServingError, data.DataSchemaError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
