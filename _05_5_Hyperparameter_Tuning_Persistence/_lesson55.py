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


# --------------------------------------------------------------------------- studies shared by worker processes

HEARTBEAT_SECONDS, GRACE_SECONDS = 1, 5


def study_storage(where: str, heartbeat: bool = True):
    """The Optuna storage a worker opens: a database URL or a journal file.

    - a URL (``postgresql+psycopg://user@host:port/db``, ``sqlite:///file.db``): an ``RDBStorage`` whose
      workers record a heartbeat every ``HEARTBEAT_SECONDS`` while a trial runs. A trial whose heartbeat
      is older than ``GRACE_SECONDS`` (its worker died) is marked FAIL by the next worker that asks for a
      trial, and ``RetryHeartbeatStaleTrialCallback`` queues a copy of it (same parameters, state WAITING)
      that the next free worker runs. (Optuna 4.9 renamed ``failed_trial_callback`` and
      ``RetryFailedTrialCallback`` to these names; the old ones are deprecated aliases.)
    - a path: a ``JournalStorage`` on that file, which workers on a shared disk (NFS) append to under a
      file lock: no server. It has no heartbeat: a trial whose worker died stays RUNNING.
    """
    import warnings

    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeat, retry: experimental
    if "://" in where and not heartbeat:  # for ask-and-tell loops, which send no heartbeat
        return optuna.storages.RDBStorage(where)
    if "://" in where:
        return optuna.storages.RDBStorage(
            where, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2))
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(where)))


# --------------------------------------------------------------------------- the churn hypermodel of Keras Tuner

COST_MISS, COST_OFFER = 5.0, 1.0  # a churner missed costs 5, an offer wasted on a loyal customer 1


def lowest_cost(y, p) -> float:
    """Validation cost per customer at the cheapest threshold on ``p``: every distinct score is a candidate
    (the ROC curve lists them), cost = (5 x missed churners + 1 x wasted offers) / customers."""
    from sklearn.metrics import roc_curve

    y = np.asarray(y)
    fpr, tpr, _ = roc_curve(y, p)
    positives, negatives = y.sum(), len(y) - y.sum()
    return float(np.min(COST_MISS * (1 - tpr) * positives + COST_OFFER * fpr * negatives) / len(y))


def churn_cost_hypermodel(n_features: int):
    """The hypermodel of ``demo_keras_tuner.py`` as a class of this module (a worker process imports it):
    the width, an optional dropout layer whose rate exists only when the layer does, Adam's learning rate;
    its ``fit`` returns the validation cost per customer (``lowest_cost``), which the tuner minimises."""
    import keras
    import keras_tuner as kt

    class ChurnCost(kt.HyperModel):
        def build(self, hp):
            units = hp.Int("units", 8, 64, sampling="log")
            dropout = hp.Boolean("dropout")
            with hp.conditional_scope("dropout", [True]):  # entered on every build: the tuner knows the rate
                rate = hp.Float("dropout_rate", 0.1, 0.5)
            model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(units, activation="relu")])
            if dropout:
                model.add(keras.layers.Dropout(rate))
            model.add(keras.layers.Dense(1, activation="sigmoid"))
            model.compile(keras.optimizers.Adam(hp.Float("learning_rate", 3e-4, 3e-2, sampling="log")),
                          "binary_crossentropy", steps_per_execution=32)
            return model

        def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=5, **kwargs):
            model.fit(x, y, batch_size=256, epochs=epochs, initial_epoch=kwargs.get("initial_epoch", 0),
                      callbacks=callbacks, verbose=0)
            X_val, y_val = validation_data
            return {"cost": lowest_cost(y_val, np.asarray(model(X_val, training=False)).ravel())}

    return ChurnCost()


# --------------------------------------------------------------------------- worker processes, and their trials drawn


def start_optuna_workers(folder, storage: str, study: str, n: int = 3, trials: int = 12, epochs: int = 6,
                         seed: int = 0, kill: tuple[int, int] | None = None) -> list:
    """Start ``n`` processes of ``optuna_worker.py`` (in the lesson ``folder``) on a study, worker k with the
    sampler seed ``1000 * seed + k``. ``kill=(k, m)``: worker k is killed (SIGKILL) half a second after it
    prints that its m-th trial starts -- mid-trial (the trial is RUNNING in the storage, its model
    training), with its heartbeat running. Returns the workers
    (``coursekit.distributed.Worker``: the lines each printed, when, and when it was killed)."""
    import threading
    from pathlib import Path

    from coursekit import distributed

    started: dict[str, int] = {}

    def watch(worker, line):
        if kill and worker.name == f"worker {kill[0]}" and " starts: " in line:
            started[worker.name] = started.get(worker.name, 0) + 1
            if started[worker.name] == kill[1]:
                threading.Timer(0.5, worker.kill).start()

    script = str(Path(folder) / "optuna_worker.py")
    return [distributed.start_worker(f"worker {k}", [script, "--storage", storage, "--study", study,
                                                     "--trials", str(trials), "--epochs", str(epochs),
                                                     "--name", f"worker {k}", "--seed", str(1000 * seed + k)],
                                     on_line=watch, cwd=folder)
            for k in range(1, n + 1)]


def trial_spans(workers, t0: float) -> list[dict]:
    """The trials the workers ran, from the lines they printed ("... trial T starts: ...", "... trial T ends:
    ..."): worker, trial, start and end in seconds after ``t0``, and how it ended ("ends", "killed" or
    "retry" -- a retry that ended)."""
    import re

    spans = []
    for worker in workers:
        open_trials = {}
        for when, line in zip(worker.times, worker.lines):
            m = re.search(r"trial (\S+) (starts|ends)", line)
            if not m:
                continue
            if m.group(2) == "starts":
                open_trials[m.group(1)] = (when - t0, "retry" if "a retry of" in line else "ends")
            elif m.group(1) in open_trials:
                start, kind = open_trials.pop(m.group(1))
                spans.append(dict(worker=worker.name, trial=m.group(1), start=start, end=when - t0, kind=kind))
        for trial, (start, _) in open_trials.items():  # started, never ended: its worker was killed
            end = (worker.killed_at or worker.times[-1]) - t0
            spans.append(dict(worker=worker.name, trial=trial, start=start, end=end, kind="killed"))
    return spans


def plot_trials(ax, spans: list[dict], names: list[str], title: str) -> None:
    """One row per worker, one bar per trial (labelled with its number), coloured by how it ended."""
    colours = {"ends": "tab:blue", "retry": "tab:green", "killed": "tab:red"}
    labels = {"ends": "trial completed", "retry": "retry of the killed trial", "killed": "worker killed mid-trial"}
    shown = set()
    for row, name in enumerate(names):  # from its start to its first trial: Python, TensorFlow, the data
        first = min((s["start"] for s in spans if s["worker"] == name), default=None)
        if first is not None:
            ax.barh(row, first, left=0, height=0.6, color="lightgrey", edgecolor="white",
                    label="start-up (Python, TensorFlow, data)" if row == 0 else None)
    for span in spans:
        row = names.index(span["worker"])
        label = labels[span["kind"]] if span["kind"] not in shown else None
        shown.add(span["kind"])
        ax.barh(row, span["end"] - span["start"], left=span["start"], height=0.6, color=colours[span["kind"]],
                edgecolor="white", label=label)
        ax.text((span["start"] + span["end"]) / 2, row, span["trial"], ha="center", va="center", color="white",
                fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds after the workers were started")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, fontsize=8, frameon=False)
