"""Grader of exercise 5.3.3: input scaling and batch normalization (``fit_scaler``,
``build_raw_input_network``, ``batchnorm``).

The grader owns the harness: it hands the student's functions the churn inputs with the numeric
columns back in their units (months, dollars), scales them with the student's ``fit_scaler`` (a row
must be scaled the same alone or with others), and trains its own churn network on them itself
(:func:`coursekit.graders.lesson_5_3.train`, 10 epochs) against the same network on the raw inputs,
trained in the same run (once per seed and process); on hidden tables (a constant column, whole numbers,
one row) the scaler must give finite floats learned from the training rows alone (a change of units of
a table changes nothing). The student's BatchNormalization network, which no path from the inputs may
route around and whose hidden layers must be non-linear, is
trained on the raw inputs the same way, with the optimizer and loss the student compiled. The
hand-written ``batchnorm`` is compared with a NumPy reference (``agrees_with_reference``, every setting
varied) and with a real ``keras.layers.BatchNormalization`` on hidden
batches and layer states (columns of very different means and scales, one with a variance far below
epsilon, several momenta and epsilons), in training and at inference. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the
wrong answers in ``tests/graders/test_ex_5_3_3.py`` show that the check aimed at each mistake fails and
that its hint names the mistake.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.metrics import roc_auc_score

import coursekit
import data
from coursekit.grading import (agrees_with_reference, Exercise, is_compiled, is_model, loss_name, nonlinear_hidden,
                               output_layer, prepared, Student, train, varied, rubric_cache)
from coursekit.training import predict

from .lesson_5_3 import path_around


EX = Exercise("5.3.3", ("fit_scaler", "build_raw_input_network", "batchnorm"),
              targets={"epochs": 10, "batch": 128, "test ROC AUC": 0.82, "scale ratio": 10, "tolerance": 0.0001})


@rubric_cache
def _raw_churn():
    """The churn arrays with the numeric columns back in their units (months, dollars)."""
    churn = prepared("churn")
    scaler = churn.preprocessor.named_transformers_["num"]
    idx = [churn.feature_names.index(c) for c in data.churn.NUMERIC]

    def raw(X):
        out = X.astype(np.float64)
        out[:, idx] = X[:, idx] * scaler.scale_ + scaler.mean_
        return out.astype(np.float32)

    return raw(churn.X_train), raw(churn.X_val), raw(churn.X_test)


def _scaling_network(n_features: int) -> keras.Model:
    """The rubric's churn network for measuring what the inputs' scale does."""
    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def _fit_test_auc(model, X_train, X_val, X_test, seed) -> float:
    churn = prepared("churn")
    train(model, X_train, churn.y_train, X_val, churn.y_val, seed=seed, epochs=EX.target("epochs"),
          batch_size=EX.target("batch"))
    return roc_auc_score(churn.y_test, predict(model, X_test))


@rubric_cache
def _raw_baseline_auc(seed: int) -> float:
    """The rubric's network on the raw inputs (it does not depend on the student's work)."""
    coursekit.set_seed(seed)
    return _fit_test_auc(_scaling_network(prepared("churn").n_features), *_raw_churn(), seed)


def _hidden_tables() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, training rows, rows to scale): columns whose means and spreads differ by up to 10^6, a constant
    column, whole numbers, a single row to scale, a single training row."""
    rng = np.random.default_rng(5333)
    loc = np.array([5e3, -2.0, 0.3, 40.0, 0.0, 7.0])
    spread = np.array([2e3, 1e-3, 0.5, 12.0, 1.0, 0.0])  # the last column is constant
    tables = []
    for rows, label in [(50, "50 training rows of six columns, one of them constant"), (9, "9 training rows")]:
        X = loc + spread * rng.normal(size=(rows, 6))
        tables.append((label, X, loc + spread * rng.normal(size=(12, 6))))
    ints = rng.integers(-50, 500, size=(30, 4)) * np.array([1, 10, 100, 1])
    tables.append(("30 training rows of whole numbers (an integer array)", ints, rng.integers(-50, 500, size=(5, 4))))
    tables.append(("rows scaled one at a time", tables[0][1], tables[0][2][:1]))
    tables.append(("a single training row", tables[0][1][:1], tables[0][2]))
    return tables


def _scaler_on_hidden_tables(student, v) -> bool:
    """Properties every per-column scaler learned from the training rows has, on hidden tables (standardising,
    min-max and robust scaling all have them): the shape and floats kept, finite values, the same answer for a row
    alone, the map learned from the training rows alone (a shift and a change of unit of the training rows and of
    the rows to scale leave the scaled values as they were), the same answer again after other tables."""
    rng = np.random.default_rng(5334)
    tables = _hidden_tables()
    first = None
    for label, X, Z in [*tables, tables[0]]:
        scale = student.call("fit_scaler", X.copy())
        out = np.asarray(student.invoke("scale", scale, Z.copy()))
        problem, hint = "", ""
        if out.shape != Z.shape or out.dtype.kind != "f":
            problem = f"{out.dtype.name} array of shape {out.shape}"
            hint = "scale(X) returns floats (whatever X holds: whole numbers too) in an array of X's shape"
        elif not np.all(np.isfinite(out)):
            problem = "values that are not finite"
            hint = ("a column whose training spread is 0 (a constant column, or a single training row) must not be "
                    "divided by 0: give such a column a spread of 1")
        elif len(X) > 1:  # one training row has no spread to learn: only finite values are asked of it
            a = rng.uniform(0.01, 100.0, size=X.shape[1])
            b = rng.uniform(-1e3, 1e3, size=X.shape[1])
            constant = np.ptp(X, axis=0) == 0
            a[constant], b[constant] = 1.0, 0.0  # kept exactly constant (a moved one could gain a rounding spread)
            moved = np.asarray(student.invoke("scale", student.call("fit_scaler", a * X + b), a * Z + b), dtype=np.float64)
            alone = np.asarray(student.invoke("scale", scale, Z[-1:].copy()), dtype=np.float64)
            if not np.allclose(moved, out, rtol=1e-3, atol=1e-3):
                problem = "other values once the training rows and the rows to scale are moved and rescaled alike"
                hint = ("the statistics must be learned from the training rows given to fit_scaler, each column's "
                        "from its own values (not fixed numbers, not those of another table, not kept from an earlier "
                        "call): then a change of units of the data changes nothing in the scaled values")
            elif not np.allclose(alone, out[-1:], rtol=1e-5, atol=1e-5):
                problem = "another value for the last row scaled alone"
                hint = ("learn the statistics once, from the training rows, inside fit_scaler: a scale computed from the "
                        "rows it is given treats a single new row differently")
            elif first is not None and label == tables[0][0] and not np.allclose(out, first, rtol=1e-6, atol=1e-6):
                problem = "another answer for the first table asked again"
                hint = ("the same training rows must give the same scaler whatever was fitted before: keep no "
                        "statistics between calls (no module-level variable, no class attribute)")
        if problem:
            return v.check("fit_scaler on hidden tables", False, f"{problem}, for {label}", "finite floats of the "
                           "rows' shape, learned from the training rows alone", hint)
        first = out if first is None else first
    return v.check("fit_scaler on hidden tables", True, f"{len(tables)} tables, the first fitted twice",
                   "finite floats of the rows' shape, learned from the training rows alone", "")


@EX.part("input scaling", points=3)
def _input_scaling(student: Student, ctx, v):
    raw_train, raw_val, raw_test = _raw_churn()
    scale = student.call("fit_scaler", raw_train.copy())
    if not v.check("fit_scaler returns a function", callable(scale), type(scale).__name__, "a function scale(X)",
                   "return the function that scales raw rows (it keeps what it learned from the training rows)"):
        return
    scaled = [np.asarray(student.invoke("scale", scale, X.copy()), dtype=np.float32) for X in (raw_train, raw_val, raw_test)]
    ok = all(Z.shape == X.shape and np.all(np.isfinite(Z)) for Z, X in zip(scaled, (raw_train, raw_val, raw_test)))
    if not v.check("scaled arrays keep their shape and are finite", ok, [Z.shape for Z in scaled], f"{raw_train.shape[1]} "
                   "finite columns per row", "scale(X) returns an array of X's shape; a column whose training spread is 0 "
                   "must not be divided by 0"):
        return
    alone = np.asarray(student.invoke("scale", scale, raw_val[:1].copy()), dtype=np.float32)
    few = np.asarray(student.invoke("scale", scale, raw_val[10:17].copy()), dtype=np.float32)
    same = alone.shape == (1, raw_val.shape[1]) and np.allclose(alone, scaled[1][:1], rtol=1e-5, atol=1e-5) and \
        few.shape == (7, raw_val.shape[1]) and np.allclose(few, scaled[1][10:17], rtol=1e-5, atol=1e-5)
    if not v.check("a row is scaled the same alone or with others", same, "the same" if same else "different", "the same",
            "learn the statistics once, from the training rows, inside fit_scaler: a scale computed from the rows it is "
            "given treats every batch (and a single new customer) differently"):
        return  # a model trained on such inputs could not be used on one customer at a time
    _scaler_on_hidden_tables(student, v)
    spreads = scaled[0].std(axis=0)
    ratio = float(spreads.max() / spreads.min()) if spreads.min() > 0 else float("inf")
    # Measured: standardising every column 1.0; raw inputs, and one factor for the whole table, 7,541.
    v.at_most("largest / smallest column spread of the scaled training rows", ratio, EX.target("scale ratio"),
              "scale every column by its own spread: one factor for the whole table leaves the dollar column thousands "
              "of times larger than the 0/1 columns")
    v.metric("raw inputs: test ROC AUC", _raw_baseline_auc(ctx.seed))
    coursekit.set_seed(ctx.seed)
    # Measured over seeds 0-4 (10 epochs): standardised (solution) 0.833-0.841, raw 0.747-0.793, one factor for the
    # whole table 0.760-0.778.
    v.at_least("test_auc, scaled inputs", _fit_test_auc(_scaling_network(raw_train.shape[1]), *scaled, ctx.seed),
               EX.target("test ROC AUC"),
               "on these inputs the rubric's network ranks customers little better than on the raw ones: every column "
               "needs its own scale, learned from the training rows")


@EX.part("BatchNormalization standardises the inputs", points=3)
def _bn_first(student, ctx, v):
    raw_train, raw_val, raw_test = _raw_churn()
    coursekit.set_seed(ctx.seed)
    model = student.call("build_raw_input_network", raw_train.shape[1])
    if not (is_model(v, "network", model) and is_compiled(v, "network", model)):
        return
    kinds = [type(layer).__name__ for layer in model.layers]
    first_dense = next((i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dense)), len(kinds))
    v.check("BatchNormalization before the first Dense layer", "BatchNormalization" in kinds[:first_dense], kinds[:first_dense + 1],
            "a BatchNormalization layer, then Dense", "the raw inputs reach the first Dense layer unscaled: a "
            "BatchNormalization layer in front of it standardises them with each batch's statistics (moving averages at "
            "inference), then applies its learned scale and shift")
    around = path_around(model, lambda layer: "Normalization" in type(layer).__name__)
    v.check("every path from the inputs passes the normalisation", around is None,
            " -> ".join(["input", *around, "output"]) if around else "yes", "no path around it",
            "the raw inputs also reach the output by a path that skips the normalisation layer: that path still sees "
            "dollars next to 0/1 columns. Feed the inputs to the normalisation layer only")
    nonlinear_hidden(v, "network", model)
    output_layer(v, "network", model, 1, "sigmoid", "the output gives a probability of churn: one sigmoid unit")
    v.check("network loss", loss_name(model) == "binarycrossentropy", loss_name(model), "binarycrossentropy",
            "a yes/no target: binary cross-entropy")
    # Measured over seeds 0-4 (solution: BatchNormalization first, 64-32, Adam 1e-3): 0.836-0.842.
    v.at_least("test_auc, raw inputs through your network", _fit_test_auc(model, raw_train, raw_val, raw_test, ctx.seed),
               EX.target("test ROC AUC"),
               "put the BatchNormalization layer before the first Dense layer, where the unscaled inputs arrive")


def _bn_cases():
    """Hidden batches and layer states: columns of very different means and scales, one with a variance far below
    epsilon, several momenta and epsilons."""
    rng = np.random.default_rng(533)
    cases = []
    for rows, momentum, epsilon in [(16, 0.99, 1e-3), (64, 0.9, 1e-5), (8, 0.5, 0.1)]:
        loc = np.array([1000.0, -3.0, 0.5, 0.0, 20.0])
        spread = np.array([300.0, 1.0, 1e-3, 0.1, 5.0])
        x = (loc + spread * rng.normal(size=(rows, 5))).astype(np.float32)
        state = {"gamma": rng.uniform(0.5, 2.0, 5), "beta": rng.normal(size=5), "moving_mean": loc + spread * rng.normal(size=5),
                 "moving_variance": (spread * rng.uniform(0.5, 2.0, 5)) ** 2}
        cases.append((x, {k: a.astype(np.float32) for k, a in state.items()}, momentum, epsilon))
    return cases


def _keras_bn(x, state, training, momentum, epsilon):
    """What a real keras.layers.BatchNormalization does: its output and its four arrays afterwards."""
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build((None, x.shape[1]))
    layer.set_weights([state["gamma"], state["beta"], state["moving_mean"], state["moving_variance"]])
    y = np.asarray(layer(x, training=training), dtype=np.float64)
    after = dict(zip(("gamma", "beta", "moving_mean", "moving_variance"), (np.asarray(w, np.float64) for w in layer.get_weights())))
    return y, after


_BN_HINTS = {
    "training-mode outputs": "in training, the batch's own mean and variance (the biased one: divide by the number of rows) "
                             "normalise it, with epsilon added to the variance inside the square root; then gamma scales "
                             "and beta shifts",
    "moving statistics after a training call": "after a training call each moving statistic becomes momentum x its old "
                                               "value + (1 - momentum) x the batch's: momentum is the weight of the past",
    "inference-mode outputs": "at inference the layer normalises with its moving statistics, not with the batch's own: a "
                              "prediction must not depend on the other rows of its batch",
    "inference leaves the moving statistics unchanged": "at inference nothing is learned: the moving statistics stay as "
                                                        "they were",
}


def _close(got, want, tol) -> bool:
    got = np.asarray(got, dtype=np.float64)
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))))


def _bn_reference(x, state, training, momentum, epsilon):
    """What BatchNormalization computes, in NumPy (float64): the outputs and the four arrays after the call."""
    x = np.asarray(x, dtype=np.float64)
    new = {k: np.asarray(a, dtype=np.float64) for k, a in state.items()}
    if training:
        mean, variance = x.mean(axis=0), x.var(axis=0)
        new["moving_mean"] = momentum * new["moving_mean"] + (1 - momentum) * mean
        new["moving_variance"] = momentum * new["moving_variance"] + (1 - momentum) * variance
    else:
        mean, variance = new["moving_mean"], new["moving_variance"]
    return new["gamma"] * (x - mean) / np.sqrt(variance + epsilon) + new["beta"], new


def _bn_numpy_cases() -> list[tuple]:
    """Hidden batches for the comparison with the NumPy reference: each setting varied alone from a base case, a
    single row in training mode (its variance is 0), a constant column, whole numbers in."""
    x, state, momentum, epsilon = _bn_cases()[0]
    base = ("16 rows", (x, state), {"training": True, "momentum": momentum, "epsilon": epsilon})
    rng = np.random.default_rng(5335)
    const = x.copy()
    const[:, 2] = 4.0
    ints = rng.integers(-20, 20, size=(10, 5))
    return [base, *varied(base, epsilon=[0.5, 1e-5], momentum=[0.5, 0.0], training=[False]),
            ("a single row in training", (x[:1], state), {"training": True, "momentum": 0.9, "epsilon": 1e-3}),
            ("a constant column", (const, state), {"training": True, "momentum": 0.9, "epsilon": 1e-3}),
            ("whole numbers (an integer array)", (ints, state), {"training": True, "momentum": 0.8, "epsilon": 0.01}),
            ("whole numbers at inference", (ints, state), {"training": False, "momentum": 0.8, "epsilon": 0.01})]


@EX.part("BatchNormalization by hand", points=4)
def _bn_by_hand(student, ctx, v):
    tol = EX.target("tolerance")
    agrees_with_reference(v, student, "batchnorm", _bn_reference, _bn_numpy_cases(), check="batchnorm on hidden batches",
                          tol=tol, hint="normalise with the batch's own mean and biased variance in training and with "
                          "the moving statistics at inference, epsilon added to the variance inside the square root, "
                          "then gamma and beta; in training each moving statistic becomes momentum x its old value + "
                          "(1 - momentum) x the batch's. Use every setting as given, return floats, and return new_state "
                          "with the same four keys as state")
    failed = {}
    for x, state, momentum, epsilon in _bn_cases():
        where = f"{len(x)} rows, momentum {momentum:g}, epsilon {epsilon:g}"
        for training in (True, False):
            out = student.call("batchnorm", x.copy(), {k: a.copy() for k, a in state.items()}, training, momentum, epsilon)
            y, after = _keras_bn(x, state, training, momentum, epsilon)
            try:
                got_y, got_state = out
                got_stats = [np.asarray(got_state[k], dtype=np.float64) for k in ("moving_mean", "moving_variance")]
            except (TypeError, ValueError, KeyError, IndexError):
                v.check("batchnorm returns (outputs, new_state)", False, type(out).__name__,
                        'a pair: the outputs and a dict with "gamma", "beta", "moving_mean", "moving_variance"',
                        "return the layer's outputs and its four arrays after the call")
                return
            want_stats = [after["moving_mean"], after["moving_variance"]]
            if training:
                checks = {"training-mode outputs": _close(got_y, y, tol),
                          "moving statistics after a training call": all(_close(g, w, tol) for g, w in zip(got_stats, want_stats))}
            else:
                checks = {"inference-mode outputs": _close(got_y, y, tol),
                          "inference leaves the moving statistics unchanged": all(
                              _close(g, np.asarray(state[k], np.float64), tol) for g, k in zip(got_stats, ("moving_mean", "moving_variance")))}
            for name, ok in checks.items():
                if not ok and name not in failed:
                    failed[name] = where
    for name, hint in _BN_HINTS.items():
        v.check(name, name not in failed, f"different for a batch of {failed[name]}" if name in failed else "as Keras",
                f"keras.layers.BatchNormalization's, within {tol:g} (relative)", hint)
