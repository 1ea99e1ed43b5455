"""Score raw customer records with a saved churn model (the serving side of lesson 5.5).

    python predict_churn.py MODEL RECORDS.csv

MODEL is a ``.keras`` file or a SavedModel folder written by ``model.export()``; the model must
take raw records (its preprocessing is inside it, as in ``demo_save_reload_serve.py``).
RECORDS.csv holds one customer per row with the 19 raw columns of ``data.churn.FEATURES``
(extra columns such as an id or the churn label are ignored). It prints one churn probability
per customer. A missing column, a damaged model file or an unknown kind of artifact ends with
a one-line error and exit status 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

import coursekit  # noqa: F401  (first: quiet TensorFlow)


class ServingError(Exception):
    """A problem with the model file or the records, explained in one line."""


def load_model_artifact(path: Path):
    """A ``.keras`` file (loaded with safe_mode=True) or a SavedModel folder (wrapped in TFSMLayer)."""
    if not path.exists():
        raise ServingError(f"{path}: no such model file or folder")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ServingError(f"{path}: not a SavedModel folder (no saved_model.pb)")
        import keras  # imported only once the file looks right: a bad file fails in a second, not five

        return keras.layers.TFSMLayer(str(path), call_endpoint="serve")
    if path.suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise ServingError(f"{path}: corrupt or truncated .keras file (not a zip archive)")
        import keras

        return keras.models.load_model(path)  # safe_mode=True by default: no code from the file runs
    raise ServingError(f"{path}: expected a .keras file or a SavedModel folder")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Churn probabilities for raw customer records.")
    parser.add_argument("model", type=Path, help=".keras file or SavedModel folder")
    parser.add_argument("records", type=Path, help="CSV of raw customer records")
    args = parser.parse_args(argv)

    import pandas as pd

    import _lesson55
    import data

    try:
        model = load_model_artifact(args.model)
        if not args.records.is_file():
            raise ServingError(f"{args.records}: no such CSV file")
        records = pd.read_csv(args.records)
        proba = _lesson55.predict_records(model, _lesson55.churn_features(records))
    except (ServingError, data.DataSchemaError) as exc:
        print(f"predict_churn: {exc}", file=sys.stderr)
        return 2
    print("customer,churn_probability")
    for i, p in enumerate(proba):
        print(f"{i},{p:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
