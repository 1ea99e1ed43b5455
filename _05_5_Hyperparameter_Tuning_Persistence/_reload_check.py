"""The fresh process of exercise 5.5.4: reload three saved artifacts and predict raw records.

    python _reload_check.py EXERCISE_FILE UNITS MODEL.keras SAVEDMODEL_DIR MODEL.weights.h5 RECORDS.csv OUT.npz

It shares nothing with the process that trained the model but the files: the exercise file gives
``load_artifact`` and ``build_raw_model`` (the code a weights file needs), the CSV holds raw
customer records as a client would send them. Predictions go to OUT.npz for comparison.
"""

import importlib.util
import sys

import coursekit  # noqa: F401  (first: quiet TensorFlow)
import keras
import numpy as np
import pandas as pd

import _lesson55
import data


def main(argv):
    exercise_file, units, keras_path, savedmodel_dir, weights_path, records_csv, out = argv
    spec = importlib.util.spec_from_file_location("exercise_5_5_4", exercise_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)

    records = pd.read_csv(records_csv)
    from_keras = module.load_artifact(keras_path)
    from_savedmodel = module.load_artifact(savedmodel_dir)
    # A weights file holds numbers only: the same code must rebuild the same architecture first.
    rebuilt = module.build_raw_model(data.split_churn().train, units=int(units))
    from_weights = module.load_artifact(weights_path, model=rebuilt)
    safe = keras.models.load_model(keras_path, safe_mode=True)  # loads without running arbitrary code
    np.savez(
        out,
        keras=_lesson55.predict_records(from_keras, records),
        savedmodel=_lesson55.predict_records(from_savedmodel, records),
        weights=_lesson55.predict_records(from_weights, records),
        input_names=np.array(sorted(t.name for t in safe.inputs)),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
