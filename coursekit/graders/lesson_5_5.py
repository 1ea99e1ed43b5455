"""Helpers of lesson 5.5's graders: the Keras Tuner harness of exercise 5.5.4.

What the rubric of 5.5.4 does with a tuner besides grading it: a temporary folder for each tuner's
files, F1 at a threshold (the rubric's own objective, to recompute every trial's score), the space
as a tuner discovers it before its first trial, the oracle's proposals without training (ended with
scores the rubric makes up), and the callback that records which model each trial trained.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
import warnings

import keras
import keras_tuner as kt
import numpy as np

from coursekit.grading import Student, dense_layers

# --------------------------------------------------------------------------- a tuner's folder and F1


@contextlib.contextmanager
def workdir(tag: str):
    """A temporary folder outside the repository for one tuner's files, removed afterwards."""
    path = tempfile.mkdtemp(prefix=f"course_5_5_4_{tag}_")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's GP and Keras' weight loading are chatty
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def f1_curve(y, scores) -> tuple[np.ndarray, np.ndarray]:
    """F1 when flagging every case scored >= t, for each distinct score t (highest first)."""
    y = np.asarray(y).astype(int).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="stable")
    ranked, hits = s[order], y[order]
    last = np.r_[ranked[1:] != ranked[:-1], True]
    tp, flagged = np.cumsum(hits)[last], np.flatnonzero(last) + 1
    return ranked[last], 2 * tp / (flagged + y.sum())


def max_f1(y, scores) -> tuple[float, float]:
    thresholds, f1 = f1_curve(y, scores)
    best = int(np.argmax(f1))
    return float(f1[best]), float(thresholds[best])


def f1_at(y, scores, threshold: float) -> float:
    y = np.asarray(y).astype(int).ravel()
    flagged = np.asarray(scores, dtype=np.float64).ravel() >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    return 2 * tp / (int(flagged.sum()) + int(y.sum())) if flagged.sum() + y.sum() else 0.0


def pair(out) -> tuple[float, float]:
    try:
        f1, threshold = (float(np.asarray(x, dtype=np.float64).reshape(())) for x in out)
    except (TypeError, ValueError):
        return float("nan"), float("nan")
    return f1, threshold


# --------------------------------------------------------------------------- the objective (best_f1) and the hints


def f1_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, scores): continuous, tied, rare positives, one score, logits, none positive, a
    single row, every case a churner, labels and scores as Keras gives them ((n, 1) floats), then random
    cases of every size, share of churners, rounding (ties) and scale of the scores."""
    rng = np.random.default_rng(5541)
    y = (rng.random(400) < 0.27).astype(int)
    p = np.clip(rng.beta(2, 5, 400) + 0.25 * y, 0, 1)
    rare = np.r_[np.ones(3, int), np.zeros(247, int)]
    cases = [
        ("400 cases, continuous scores", y, p),
        ("scores rounded to 0.05 (ties)", y, np.round(p / 0.05) * 0.05),
        ("5 distinct scores", y, np.round(p * 4) / 4),
        ("3 positives of 250", rare, rng.random(250) * 0.6 + 0.3 * rare),
        ("one single score", y[:60], np.full(60, 0.42)),
        ("logits (negative scores)", y, np.log(np.clip(p, 1e-3, 1 - 1e-3) / (1 - np.clip(p, 1e-3, 1 - 1e-3))) - 3),
        ("scores that rank churners last", y, 1 - p),
        ("perfect ranking", np.r_[np.zeros(20, int), np.ones(6, int)], np.linspace(0.01, 0.3, 26)),
        ("no positive", np.zeros(30, int), rng.random(30)),
        ("two cases", np.array([0, 1]), np.array([0.9, 0.1])),
        ("one row, a churner", np.array([1]), np.array([0.3])),
        ("one row, no churner", np.array([0]), np.array([0.8])),
        ("every case a churner", np.ones(12, int), rng.random(12)),
        ("float labels and (n, 1) scores, as Keras predicts", y[:80].astype(np.float32).reshape(-1, 1),
         p[:80].astype(np.float32).reshape(-1, 1)),
        ("scores in the thousands", y[:90], 1000 + 500 * p[:90]),
    ]
    for k in range(8):
        n = int(rng.integers(3, 300))
        labels = (rng.random(n) < rng.uniform(0.05, 0.6)).astype(int)
        scores = rng.normal(labels * rng.uniform(0, 2), 1.0) * rng.choice([0.1, 1.0, 10.0])
        if k % 2:
            scores = np.round(scores, int(rng.integers(0, 2)))  # ties
        cases.append((f"random case {k + 1} ({n} rows)", labels, scores))
    return cases


def objective_hint(cases, answers) -> str:
    if all(abs(f - f1_at(y, s, 0.5)) < 1e-9 for (_, y, s), (f, _) in zip(cases, answers)):
        return ("this is F1 at threshold 0.5 on every case: no threshold was chosen. The objective of lesson 5.4 is "
                "F1 at the threshold that maximises it on the validation data: try every distinct score as threshold")
    return ("F1 = 2 tp / (2 tp + fp + fn) changes only where the threshold passes a score: evaluate it at every distinct "
            "score, flagging the cases scored >= it. A fixed grid of thresholds misses the best between its points, "
            "scores need not lie in [0, 1] and may come as an (n, 1) column; with no positive case F1 is 0 at every "
            "threshold")


MISSING_HINTS = {
    "second_units": "second_units is not in the space the tuner starts from: build asks for it only when second_layer "
                    "is on, and the defaults leave it off, so the tuner does not know it exists until a trial turns the "
                    "layer on (and that trial gets the default width). Declare it in hp.conditional_scope(\"second_layer\", "
                    "[True]) entered on EVERY build (or with parent_name= and parent_values=), and use it only when the "
                    "layer is on",
    "bn_momentum": "bn_momentum is not in the space the tuner starts from: build asks for it only when batch_norm is on, "
                   "and the defaults leave it off. Declare it in hp.conditional_scope(\"batch_norm\", [True]) entered on "
                   "EVERY build (or with parent_name= and parent_values=)",
}



def seed_hint(same0: bool, same_other: bool, differ: bool) -> str:
    if not same0 and same_other:
        return ("seed 0 proposes different hyperparameters each time: Keras Tuner reads its seed as `seed or "
                "random.randint(1, 10000)`, so 0 means no seed at all. Map the seed you receive to one Keras Tuner keeps "
                "(not 0)")
    if not same_other:
        return ("two tuners made with the same seed propose different hyperparameters: pass the seed you receive to the "
                "tuner (seed=...), or the search cannot be replayed")
    return "a tuner made with another seed proposes the same hyperparameters: use the seed you receive, not a constant"


# --------------------------------------------------------------------------- the search space


def discovered_space(student: Student, hm) -> kt.HyperParameters:
    """The space as a tuner knows it before its first trial: Keras Tuner builds the model with the
    defaults, then again with each conditional scope it saw switched on, until none is left unseen."""
    with workdir("space") as d:
        tuner = student.invoke("ChurnHyperModel.build", kt.RandomSearch, hm, objective=kt.Objective("f1", "max"),
                               max_trials=1, directory=d, project_name="space", overwrite=True)
        return tuner.oracle.get_space()


def with_values(space: kt.HyperParameters, **chosen) -> kt.HyperParameters:
    """A copy of the space with every active hyperparameter set: ``chosen`` where given, else its default."""
    hp = space.copy()
    hp.values = {}
    for h in hp.space:
        if hp.is_active(h) and h.name not in hp.values:
            hp.values[h.name] = chosen.get(h.name, h.default)
    return hp


def active(space, name, **values) -> bool:
    return with_values(space, **values).is_active(name)


def bounds(h) -> tuple[float, float]:
    if isinstance(h, kt.engine.hyperparameters.Choice):
        return float(min(h.values)), float(max(h.values))
    return float(h.min_value), float(h.max_value)


def log_spread(h, n: int) -> tuple[float, float]:
    """(decades of the range, share of ``n`` draws below its geometric middle, ties counted half)."""
    low, high = bounds(h)
    if low <= 0 or high <= low:
        return 0.0, 0.0
    middle = 0.5 * (math.log10(low) + math.log10(high))
    logs = np.log10(np.array([float(h.random_sample(seed)) for seed in range(1, n + 1)]))
    share = float(np.mean(logs < middle - 1e-12) + 0.5 * np.mean(np.abs(logs - middle) <= 1e-12))
    return math.log10(high / low), share


def structure(model) -> dict:
    hidden = dense_layers(model)[:-1]
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    regs = []
    for layer in hidden:
        reg = layer.kernel_regularizer
        regs.append(float(getattr(reg, "l2", float("nan"))) if reg is not None else None)
    try:
        lr = float(np.asarray(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        lr = float("nan")
    return {"widths": [layer.units for layer in hidden], "bn": [float(b.momentum) for b in bns], "l2": regs, "lr": lr}


def close(a, b) -> bool:
    return a is not None and b is not None and math.isfinite(a) and abs(a - b) <= 1e-5 * abs(b) + 1e-12


# --------------------------------------------------------------------------- the tuners, without training


def made_up_score(values: dict) -> float:
    """A score the rubric makes up for a proposal, deterministic and smooth."""
    lr, l2 = float(values.get("learning_rate", 1e-2)), float(values.get("l2", 1e-4))
    return (0.6 - 0.02 * (math.log10(max(lr, 1e-12)) + 2.2) ** 2 - 0.005 * (math.log10(max(l2, 1e-12)) + 4) ** 2
            + 0.01 * bool(values.get("second_layer")) + 0.001 * float(values.get("tuner/epochs", 0)))


def oracle_proposals(tuner, scores=None, limit: int = 60) -> list[dict]:
    """The oracle's proposals, each ended with the next of ``scores`` (or a made-up score), until it stops."""
    oracle = tuner.oracle
    oracle.verbose = 0
    name = oracle.objective.name
    out = []
    for i in range(limit):
        trial = oracle.create_trial("rubric")
        if trial.status != "RUNNING":
            break
        values = dict(trial.hyperparameters.values)
        out.append(values)
        score = scores[i] if scores is not None and i < len(scores) else made_up_score(values)
        oracle.update_trial(trial.trial_id, {name: float(score)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return out


class SpaceOnly(kt.HyperModel):
    """The student's space as the rubric discovered it, declared without building a network: the
    tuners' proposals without training need the space only (and building networks costs time)."""

    def __init__(self, space: kt.HyperParameters):
        super().__init__(name="space_only")
        self.space = space

    def build(self, hp):
        hp.merge(self.space.copy())  # every hyperparameter with its conditions, in the order discovered
        return None


def searched(values: dict) -> dict:
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


def proposed_epochs(proposals: list[dict]) -> int:
    return sum(int(p.get("tuner/epochs", 0)) - int(p.get("tuner/initial_epoch", 0)) for p in proposals)


# --------------------------------------------------------------------------- the search, for real


class Recorder(keras.callbacks.Callback):
    """Passed to the search: which model each trial trained, and for how many epochs."""

    def __init__(self, tuner):
        super().__init__()
        self.tuner, self.runs = tuner, {}

    def __deepcopy__(self, memo):  # Keras Tuner copies the search's callbacks for every trial: keep this one
        return self

    def on_train_begin(self, logs=None):
        ongoing = list(self.tuner.oracle.ongoing_trials.values())
        trial_id = ongoing[0].trial_id if ongoing else "?"
        self.runs[trial_id] = {"model": self.model, "epochs": 0}

    def on_epoch_end(self, epoch, logs=None):
        for run in self.runs.values():
            if run["model"] is self.model:
                run["epochs"] += 1


def run_search(tuner, *args, **kwargs):
    """``tuner.search``; when Keras Tuner gives up after failed trials, the error the last trial raised."""
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise RuntimeError(f"{lines[0]} The last trial: {lines[-1].strip()}" if len(lines) > 1 else str(exc)) from None



# --------------------------------------------------------------------------- one trial's fit, on made-up rows


class RowTap(keras.layers.Layer):
    """The first layer of the rubric's made-up model: it passes its input on and, in training steps only,
    records the row numbers it sees (column 0), so the rubric knows which rows a fit trained on."""

    def __init__(self, seen: set, **kwargs):
        super().__init__(**kwargs)
        self.supports_jit = False  # a Python function in the step: no XLA

        def keep(ids):  # a closure: Keras would track a set attribute as a copy of it
            seen.update(int(round(float(i))) for i in np.asarray(ids).ravel())
            return np.int32(0)

        self.keep = keep

    def call(self, x, training=None):
        if not training:
            return x
        import tensorflow as tf

        done = tf.py_function(self.keep, [x[:, 0]], tf.int32)
        with tf.control_dependencies([done]):
            return tf.identity(x)


class EpochCount(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def made_up_fit(student: Student, hm, hp, n_features: int, epochs: int = 2) -> dict:
    """The student's ``fit`` on made-up rows (training rows numbered 0-95, validation rows 1000-1039, in
    column 0) with the rubric's small model: the rows it trained on, its epochs, what it returned, and the
    best F1 of that model's validation predictions."""
    rng = np.random.default_rng(5543)
    x = rng.normal(size=(96, n_features)).astype(np.float32)
    x_val = rng.normal(size=(40, n_features)).astype(np.float32)
    x[:, 0], x_val[:, 0] = np.arange(96), 1000 + np.arange(40)
    y, y_val = (rng.random(96) < 0.4).astype(np.float32), (rng.random(40) < 0.4).astype(np.float32)
    seen, count = set(), EpochCount()
    model = keras.Sequential([keras.Input(shape=(n_features,)), RowTap(seen), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    out = student.invoke("ChurnHyperModel.fit", hm.fit, hp, model, x, y, validation_data=(x_val, y_val),
                         callbacks=[count], epochs=epochs)
    p_val = np.asarray(model(x_val, training=False)).ravel()
    train_ids, val_ids = set(range(96)), set(range(1000, 1040))
    return {"train": seen & train_ids, "val": seen & val_ids, "other": len(seen - train_ids - val_ids),
            "epochs": count.epochs, "returned": out, "best": max_f1(y_val, p_val)[0], "n": 96, "asked": epochs}
