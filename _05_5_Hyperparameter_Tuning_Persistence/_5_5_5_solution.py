"""Exercise 5.5.5 -- Persistence: a deployment-ready churn artifact, saved three ways and reloaded in a fresh process.

Goal: a churn model that takes raw customer records (its preprocessing inside), saved as a
.keras file, a SavedModel and a .weights.h5 file that a new Python process reloads to the same
probabilities, and a loader that says clearly what is wrong with a bad file.
Read first: README.md section 6, demo_save_reload_serve.py

A raw record is one customer as a client sends it: the 19 columns of ``schema.FEATURES``, numbers
as they are (tenure in months, charges in dollars), the 0/1 columns as 0 or 1 and the categories
as strings (``schema.LEVELS``). You write three functions; ``ArtifactError`` is given.

- ``build_raw_model(train_frame)``: a compiled Keras model with one input per raw column, named
  after it (float32 for ``schema.NUMERIC`` and ``schema.BINARY``, string for ``schema.CATEGORICAL``;
  one value per record, a column of shape (n, 1) as ``_lesson55.raw_inputs`` gives), whose layers
  scale the numbers with statistics learnt from ``train_frame`` (the training records' 19 raw
  columns, a DataFrame) and encode the categories, and which outputs one churn probability per
  record. The network and its optimizer are yours to choose. Built-in Keras layers only: the
  fresh process loads your .keras file without your code.
- ``save_artifacts(model, folder)``: save the model into ``folder`` (create it if missing) three
  ways -- a .keras file, an exported TensorFlow SavedModel folder, a .weights.h5 file -- and
  return their paths as ``{"keras": ..., "savedmodel": ..., "weights": ...}``.
- ``load_artifact(path, model=None)``: reload one artifact: a .keras file as a Keras model, a
  SavedModel folder as a ``keras.layers.TFSMLayer`` on its "serve" endpoint, a .weights.h5 file
  into ``model`` (built by ``build_raw_model``), returned. Anything else raises ``ArtifactError``
  whose message names the file and says what is wrong.

What the rubric does and measures (you write none of it):
- calls ``build_raw_model`` with the training records and checks its inputs (the 19 raw columns,
  their dtypes), that it gives a probability for raw records read from a CSV file, and that it
  reloads with ``safe_mode=True``;
- trains it (your optimizer and loss, batches of 128, at most 30 epochs, early stopping on the
  validation loss with patience 4) and scores the test split itself: ROC AUC at least 0.83;
- builds a second model from the training records with the numeric columns in other units (each
  multiplied by a constant), gives it the trained weights and feeds it records in those units:
  with scaling learnt from ``train_frame`` the probabilities agree within 0.0001;
- calls ``save_artifacts`` (nothing may be left outside the folder it is given: not in the working
  folder, not in the temporary folder) and, in a new Python process of its own, reloads the
  three artifacts with ``keras.models.load_model(..., safe_mode=True)``, ``keras.layers.TFSMLayer``
  and ``load_weights`` into a model your ``build_raw_model`` builds there: each must predict the
  trained model's probabilities for raw records read from a CSV file within 1e-05;
- calls ``load_artifact`` on sound artifacts (the saved model's predictions within 1e-05) and on
  14 missing, truncated or wrong files and folders it makes from them: each must raise
  ``ArtifactError`` with the file's name in the message, and a missing file and a damaged one
  must not get the same message; a .keras file holding code (a Lambda layer) must be refused too.

Run this file to see what the rubric measures; ``course check 5.5.5`` records the verdict and
``course hint 5.5.5`` gives a hint.
"""

from pathlib import Path

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np

from data import churn as schema


class ArtifactError(ValueError):
    """A saved model that cannot be loaded: missing, damaged, or not a model artifact at all."""


def build_raw_model(train_frame) -> keras.Model:
    """A compiled churn model on raw records: one named input per column, preprocessing inside."""
    # TODO: inputs per raw column, scaling learnt from the training records, encoded categories, a network.
    inputs = {col: keras.Input(shape=(1,), name=col, dtype="float32") for col in schema.NUMERIC + schema.BINARY}
    inputs |= {col: keras.Input(shape=(1,), name=col, dtype="string") for col in schema.CATEGORICAL}
    numbers = keras.layers.Concatenate(name="numbers")([inputs[col] for col in schema.NUMERIC])
    scale = keras.layers.Normalization(name="scale_numbers")
    scale.adapt(train_frame[schema.NUMERIC].to_numpy(np.float32))
    features = [scale(numbers)] + [inputs[col] for col in schema.BINARY]
    for col in schema.CATEGORICAL:  # a list, not a set: the same order in every process
        onehot = keras.layers.StringLookup(vocabulary=schema.LEVELS[col], output_mode="one_hot", name=f"onehot_{col}")
        features.append(onehot(inputs[col]))
    x = keras.layers.Dense(32, activation="relu")(keras.layers.Concatenate(name="features")(features))
    output = keras.layers.Dense(1, activation="sigmoid", name="churn_probability")(x)
    model = keras.Model(inputs, output, name="churn_artifact")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="binary_crossentropy")
    return model


def save_artifacts(model: keras.Model, folder) -> dict:
    """Save the model as .keras, as an exported SavedModel and as .weights.h5; return the three paths."""
    # TODO: create the folder, write the three artifacts into it, return their paths by kind.
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"keras": folder / "churn.keras", "savedmodel": folder / "churn_savedmodel",
             "weights": folder / "churn.weights.h5"}
    model.save(paths["keras"])
    model.export(str(paths["savedmodel"]), verbose=False)
    model.save_weights(paths["weights"])
    return {kind: str(path) for kind, path in paths.items()}


def load_artifact(path, model: keras.Model | None = None):
    """Reload one artifact; raise ArtifactError naming the file when it is missing, damaged or unknown."""
    # TODO: tell the kinds apart, check that the file is what its kind must be, and wrap what loading raises.
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: does not exist (no such file or folder)")
    try:
        if path.is_dir():
            return _savedmodel(path)
        if path.name.endswith(".keras"):
            return _keras_file(path)
        if path.name.endswith(".weights.h5"):
            return _weights_file(path, model)
    except ArtifactError:
        raise
    except Exception as exc:  # whatever Keras, h5py or TensorFlow raise for a damaged artifact
        raise ArtifactError(f"{path}: damaged artifact ({type(exc).__name__}: {str(exc)[:300]})") from exc
    raise ArtifactError(f"{path}: not a model artifact (expected a .keras file, a .weights.h5 file or a "
                        "SavedModel folder)")


def _keras_file(path: Path) -> keras.Model:
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ArtifactError(f"{path}: not a zip archive -- a truncated .keras file, or not a Keras file at all")
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise ArtifactError(f"{path}: a zip archive without config.json is not a Keras model file")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as exc:
        raise ArtifactError(f"{path}: damaged .keras file ({type(exc).__name__}: {str(exc)[:300]})") from exc


def _weights_file(path: Path, model) -> keras.Model:
    import h5py

    if model is None:
        raise ArtifactError(f"{path}: a weights file holds numbers only; pass model=, built by build_raw_model")
    try:
        h5py.File(path, "r").close()
    except OSError as exc:
        raise ArtifactError(f"{path}: truncated or damaged HDF5 file ({str(exc)[:200]})") from exc
    try:
        model.load_weights(path)
    except Exception as exc:
        raise ArtifactError(f"{path}: these weights do not fit the model (saved from another architecture?): "
                            f"{str(exc)[:300]}") from exc
    return model


def _savedmodel(path: Path):
    if not (path / "saved_model.pb").is_file():
        raise ArtifactError(f"{path}: a folder without saved_model.pb is not a SavedModel")
    try:
        return keras.layers.TFSMLayer(str(path), call_endpoint="serve")
    except Exception as exc:
        raise ArtifactError(f"{path}: damaged SavedModel folder ({type(exc).__name__}: {str(exc)[:300]})") from exc


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
