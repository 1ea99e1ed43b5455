"""Shared code of lesson 5.5 (given to students, not an exercise): model builders for the searches,
raw churn records as model inputs, and the deployable churn model of the serving commands.

Files in the lesson folder import it as ``import _lesson55`` (the folder is on ``sys.path`` when a
script runs, and the rubric puts it there too). The name is unique across lessons on purpose:
Python caches modules by name, and all lessons are graded in one process.
"""

from __future__ import annotations

import coursekit  # noqa: F401  (first: quiet TensorFlow)
import numpy as np
import pandas as pd

import data
from data import churn as churn_schema

# Ames log prices are about 12 (e**12 is $163,000). Starting the output unit there, instead of at 0,
# saves the first epochs of every fit a search makes.
LOG_PRICE_START = 12.0

def build_regressor(meta: dict, hidden_layers: int = 1, neurons: int = 32, learning_rate: float = 1e-3):
    """The scikeras ``model=`` function of the housing searches: an MLP for log prices.

    scikeras calls it once per fit with ``meta`` (``n_features_in_`` is the input width after the
    pipeline's preprocessing) and the routed ``model__*`` parameters.
    """
    import keras

    model = keras.Sequential([keras.Input(shape=(meta["n_features_in_"],))])
    for _ in range(int(hidden_layers)):
        model.add(keras.layers.Dense(int(neurons), activation="relu"))
    model.add(keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(LOG_PRICE_START)))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
        loss="mse",
        steps_per_execution=32,
    )
    return model


def housing_pipeline(seed: int = 0, epochs: int = 10, batch_size: int = 128):
    """Pipeline(raw housing columns -> preprocessing -> KerasRegressor) for the scikit-learn searches.

    The preprocessor (impute, scale, one-hot) sits inside the pipeline, so each cross-validation
    fold fits it on that fold's training rows only. Parameters route by step name:
    ``reg__model__learning_rate``, ``reg__model__hidden_layers``, ``reg__model__neurons``,
    ``reg__batch_size``, ``reg__epochs``.
    """
    from sklearn.pipeline import Pipeline

    from coursekit.sk import KerasRegressor

    reg = KerasRegressor(
        model=build_regressor, epochs=epochs, batch_size=batch_size, verbose=0, random_state=seed,
        model__hidden_layers=1, model__neurons=32, model__learning_rate=1e-3,
    )
    return Pipeline([("prep", data.housing_preprocessor()), ("reg", reg)])


def housing_frames():
    """Raw housing train/validation/test features (DataFrames) and log-price targets."""
    split = data.split_housing()
    feats, target = data.housing.FEATURES, data.housing.LOG_TARGET
    return (
        split.train[feats], split.train[target].to_numpy(np.float32),
        split.val[feats], split.val[target].to_numpy(np.float32),
        split.test[feats], split.test[target].to_numpy(np.float32),
    )


# --------------------------------------------------------------------------- churn, raw records


def churn_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The 19 raw feature columns of churn records, checked: a clear error names missing columns."""
    missing = [c for c in churn_schema.FEATURES if c not in frame.columns]
    if missing:
        raise data.DataSchemaError(f"churn records: missing columns {missing}; expected {churn_schema.FEATURES}")
    return frame[churn_schema.FEATURES]


def raw_inputs(frame: pd.DataFrame) -> dict:
    """Raw churn records as the dict of column tensors a raw-input model takes (one input per column).

    Numbers become float32 columns, categories string columns; nothing is scaled or encoded here:
    that happens inside the model.
    """
    import tensorflow as tf

    frame = churn_features(frame)
    inputs = {}
    for col in churn_schema.NUMERIC + churn_schema.BINARY:
        inputs[col] = tf.constant(frame[col].to_numpy(np.float32).reshape(-1, 1))
    for col in churn_schema.CATEGORICAL:
        inputs[col] = tf.constant(frame[col].astype(str).to_numpy().reshape(-1, 1))
    return inputs


def records_dataset(frame: pd.DataFrame, y=None, batch_size: int = 2048, shuffle_seed: int | None = None):
    """A tf.data pipeline of raw records (and targets): Keras will not take NumPy string arrays."""
    import tensorflow as tf

    inputs = raw_inputs(frame)
    ds = tf.data.Dataset.from_tensor_slices(inputs if y is None else (inputs, np.asarray(y, np.float32)))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(frame), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(2)


def predict_records(artifact, frame: pd.DataFrame) -> np.ndarray:
    """Churn probabilities of raw records from a Keras model or a reloaded SavedModel (TFSMLayer)."""
    import keras

    if isinstance(artifact, keras.layers.TFSMLayer):
        out = artifact(raw_inputs(frame))
    else:
        out = artifact.predict(records_dataset(frame), verbose=0)
    return np.asarray(out, dtype=np.float64).ravel()


def build_raw_churn_model(train_frame: pd.DataFrame):
    """A churn model that takes raw records: one named input per column, the preprocessing inside.

    ``Normalization`` learns the numeric columns' means and variances from ``train_frame``
    (``adapt``) and stores them as weights; ``StringLookup`` one-hot encodes each category with the
    fixed vocabulary of ``data.churn.LEVELS`` (an unknown value goes to an out-of-vocabulary slot).
    The saved artifact therefore maps a raw record to a probability with nothing shipped beside it.
    It is the serving command's model; exercise 5.5.5 asks for a model of your own, so the rubric
    refuses it inside an exercise.
    """
    import keras

    from data import guard

    guard.course_answer("_lesson55.build_raw_churn_model, the serving command's model")

    inputs = {c: keras.Input(shape=(1,), name=c, dtype="float32") for c in churn_schema.NUMERIC + churn_schema.BINARY}
    inputs |= {c: keras.Input(shape=(1,), name=c, dtype="string") for c in churn_schema.CATEGORICAL}
    scale = keras.layers.Normalization(name="scale_numeric")
    scale.adapt(train_frame[churn_schema.NUMERIC].to_numpy(np.float32))
    features = [scale(keras.layers.Concatenate()([inputs[c] for c in churn_schema.NUMERIC]))]
    features += [inputs[c] for c in churn_schema.BINARY]
    features += [keras.layers.StringLookup(vocabulary=churn_schema.LEVELS[c], output_mode="one_hot", name=f"onehot_{c}")(inputs[c])
                 for c in churn_schema.CATEGORICAL]
    x = keras.layers.Dense(32, activation="relu")(keras.layers.Concatenate()(features))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x), name="churn_raw")
    model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")],
                  steps_per_execution=32)
    return model


def train_raw_churn_model(split, seed: int = 0, epochs: int = 10):
    """Build and train :func:`build_raw_churn_model` on the training records of ``split``, choosing the
    epoch on the validation records (early stopping on validation AUC, best epoch restored).
    Returns (model, history)."""
    import keras

    model = build_raw_churn_model(split.train)
    y_train = split.train[churn_schema.TARGET].to_numpy(np.float32)
    y_val = split.val[churn_schema.TARGET].to_numpy(np.float32)
    history = model.fit(
        records_dataset(split.train, y_train, batch_size=128, shuffle_seed=seed),
        validation_data=records_dataset(split.val, y_val).cache(),
        epochs=epochs, verbose=0, shuffle=False,
        callbacks=[keras.callbacks.EarlyStopping("val_auc", mode="max", patience=3, restore_best_weights=True)],
    )
    return model, history
