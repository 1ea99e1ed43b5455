"""Grader of exercise 5.3.2: dropout and Monte Carlo dropout (``build_dropout_network``, ``mc_dropout_predict``).

The grader owns the harness: it builds the student's house-price network and checks where its
Dropout layers sit and that predictions are deterministic at inference yet random with
``training=True``, that every path to the output passes a Dropout layer with a rate above 0 and that
the hidden layers are non-linear, then trains it itself (:func:`coursekit.graders.lesson_5_3.train`: the optimizer
and loss the student compiled, ``tf.data`` pipelines, early stopping on the validation loss) and
computes the test RMSE itself. ``mc_dropout_predict`` first runs on a small network that counts the rows it sees in training mode
(3, 12, 40 and 3 samples again: exactly that many passes, shapes (n,)), then on a copy of the grader's own dropout
network (trained once per seed and process) and is compared with the grader's own Monte Carlo
estimate (200 samples); inputs: the validation houses, the same with their numeric columns moved out
of range (times 3), and the quarter of validation houses the network gets most wrong, where the spread
must be larger. Student code never receives the test houses.
Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_3_2.py`` show that the check
aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import keras
import numpy as np

import coursekit
import data
from coursekit.graders.lesson_5_3 import path_around, rmse
from coursekit.grading import (Exercise, is_compiled, is_model, loss_name, nonlinear_hidden, output_layer, prepared,
                               Student, train, rubric_cache)
from coursekit.training import predict


EX = Exercise("5.3.2", ("build_dropout_network", "mc_dropout_predict"),
              targets={"epochs": 100, "batch": 64, "test RMSE in log price": 0.14, "samples": 50,
                       "spread tolerance": 0.1, "out-of-range factor": 3, "spread ratio out of range": 2,
                       "spread ratio, hardest quarter": 1.1})
_REGRESSION_LOSSES = ("mse", "mae", "huber", "logcosh")


def _is_dropout(layer) -> bool:
    return "Dropout" in type(layer).__name__


@EX.part("the network", points=2)
def _dropout_network(student: Student, ctx, v):
    houses = prepared("housing")
    coursekit.set_seed(ctx.seed)
    model = student.call("build_dropout_network", houses.n_features, float(houses.y_train.mean()))
    if not (is_model(v, "network", model) and is_compiled(v, "network", model)):
        return
    layers = list(model.layers)
    dense_at = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    drop_at = [i for i, layer in enumerate(layers) if _is_dropout(layer)]
    last = dense_at[-1] if dense_at else -1
    v.check("Dropout between the hidden layers", any(i < last for i in drop_at), f"{len(drop_at)} Dropout layers",
            "at least one before the output layer", "put Dropout layers after hidden Dense layers: they silence a random "
            "share of those units at every training step")
    v.check("no Dropout after the output", not any(i > last for i in drop_at), "after the output" if any(i > last for i in drop_at)
            else "none", "none", "a Dropout after the output layer zeroes whole predictions during training: dropout "
            "belongs between hidden layers, never after the output")
    rates = [float(getattr(layer, "rate", 0.0) or 0.0) for layer in layers if _is_dropout(layer)]
    v.check("every Dropout layer drops units", bool(rates) and min(rates) > 0, f"rates {rates}", "rates above 0",
            "a Dropout layer with a rate of 0 drops nothing: give each Dropout layer the rate you chose")
    around = path_around(model, lambda layer: _is_dropout(layer) and float(getattr(layer, "rate", 0.0) or 0.0) > 0)
    v.check("every path from the inputs to the output passes a Dropout layer", around is None,
            " -> ".join(["input", *around, "output"]) if around else "yes", "no path around the dropout",
            "a shortcut (a skip connection, a second branch) carries the signal to the output without passing any "
            "Dropout layer: through it the network learns as if there were no dropout, and Monte Carlo samples vary "
            "only on the other path. Put dropout on every path to the output")
    nonlinear_hidden(v, "network", model)
    output_layer(v, "network", model, 1, "linear", "a regression output has no activation: any log price must be reachable")
    v.check("network loss", loss_name(model) in _REGRESSION_LOSSES, loss_name(model), "a regression loss (MSE, MAE, Huber)",
            "a continuous target is fitted with a regression loss")
    X = houses.X_val
    first, second = predict(model, X), predict(model, X)
    calls = [np.asarray(model(X[:256])).ravel() for _ in range(2)]  # a plain call, as a served model is used
    worst = max(float(np.max(np.abs(first - second))), float(np.max(np.abs(calls[0] - calls[1]))))
    v.check("predictions are deterministic at inference", worst == 0.0, f"largest difference {worst:.3g}",
            "identical (predict() twice, model(X) twice)",
            "Keras switches dropout off in predict() and in a plain model(X): a Dropout wired with training=True (the "
            "old Monte Carlo idiom) or a layer that ignores the training flag keeps dropping units at inference and "
            "makes predictions random. Build the network plainly; Monte Carlo dropout asks for training=True at call time")
    in_training = np.asarray(model(X[:256], training=True)).ravel()
    v.check("dropout acts in training mode", float(np.max(np.abs(in_training - first[:256]))) > 1e-6,
            f"largest difference {float(np.max(np.abs(in_training - first[:256]))):.3g}", "> 1e-6",
            "a call with training=True must drop units: a Dropout layer with a rate above 0")
    ctx["model"] = model


@EX.part("it generalises", points=1.5)
def _dropout_generalises(student, ctx, v):
    model = ctx.need("model")
    houses = prepared("housing")
    history = train(model, houses.X_train, houses.y_train, houses.X_val, houses.y_val, seed=ctx.seed,
                    epochs=EX.target("epochs"), batch_size=EX.target("batch"), patience=10)
    v.metric("epochs run", len(history.epoch))
    v.metric("train RMSE (log)", rmse(predict(model, houses.X_train), houses.y_train))
    pred = predict(model, houses.X_test)
    v.metric("test RMSE in dollars", rmse(data.to_dollars(pred), data.to_dollars(houses.y_test)))
    # Measured over seeds 0-4 (solution: 256-128 ReLU, Dropout 0.3 after each, Adam 1e-3): 0.117-0.132. The same
    # network without dropout (which the checks above refuse) 0.130-0.139: this target asks for a working price
    # network, not for dropout to beat one.
    v.at_most("test RMSE (log price)", rmse(pred, houses.y_test), EX.target("test RMSE in log price"),
              "the network predicts prices worse than it should: a dropout rate so high that too few units remain, or "
              "too few units for the rate (each layer keeps only 1 - rate of them at every step)")


def _numeric_columns(X) -> np.ndarray:
    return np.array([len(np.unique(X[:, j])) > 2 for j in range(X.shape[1])])


@rubric_cache
def _mc_network(seed: int):
    """The rubric's own dropout network (trained once per seed and process), its validation inputs moved
    out of range, and its own Monte Carlo estimate (200 samples) on the validation houses. Student code
    receives validation rows only: the test split is the rubric's (the test RMSE above)."""
    houses = prepared("housing")
    coursekit.set_seed(seed)
    model = keras.Sequential([keras.Input(shape=(houses.n_features,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(64, activation="relu"), keras.layers.Dropout(0.2),
                              keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(houses.y_train.mean())))])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    train(model, houses.X_train, houses.y_train, houses.X_val, houses.y_val, seed=seed, epochs=40, batch_size=128)
    far = houses.X_val.copy()
    num = _numeric_columns(houses.X_train)
    far[:, num] *= EX.target("out-of-range factor")
    # 200 samples, drawn 50 at a time in one call on 50 stacked copies of the validation rows (each row of the stack gets
    # its own dropout mask)
    n = len(houses.X_val)
    draws = np.concatenate([np.asarray(model(np.tile(houses.X_val, (50, 1)), training=True)).reshape(50, n) for _ in range(4)])
    return model, far, draws.mean(axis=0), draws.std(axis=0)


def _mc_arrays(out, n: int):
    """(mean, std) as float arrays of shape (n,), or None."""
    try:
        mean, std = out
        mean, std = np.asarray(mean), np.asarray(std)
    except (TypeError, ValueError):
        return None
    if mean.shape != (n,) or std.shape != (n,) or mean.dtype.kind != "f" or std.dtype.kind != "f":
        return None
    return mean.astype(np.float64), std.astype(np.float64)


class _RowCounter(keras.layers.Layer):
    """Passes its inputs on and counts the rows it sees in training mode and at inference (variables, so a
    compiled function counts too): how many forward passes a Monte Carlo estimate made, however they are batched."""

    def build(self, shape):
        self.training_rows = self.add_weight(shape=(), initializer="zeros", trainable=False, name="training_rows")
        self.inference_rows = self.add_weight(shape=(), initializer="zeros", trainable=False, name="inference_rows")

    def call(self, x, training=None):
        rows = keras.ops.cast(keras.ops.shape(x)[0], "float32")
        (self.training_rows if training else self.inference_rows).assign_add(rows)
        return x


def _observed_network():
    """A small dropout network whose forward passes the rubric counts, and three inputs of 20 rows for it."""
    coursekit.set_seed(5302)
    counter = _RowCounter()
    model = keras.Sequential([keras.Input(shape=(5,)), counter, keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    X = np.random.default_rng(5302).normal(size=(3, 20, 5)).astype(np.float32)  # three inputs of one shape
    return model, counter, X


def _honours_n_samples(student, v) -> bool:
    """On the small observed network: for several n_samples, one mean and one spread per row (shape (n,)), and the
    rows seen in training mode those of exactly n_samples passes over X; the first asked again at the end."""
    model, counter, X = _observed_network()
    for step, n_samples in enumerate((3, 12, 40, 3)):
        counter.training_rows.assign(0.0)
        counter.inference_rows.assign(0.0)
        out = student.call("mc_dropout_predict", model, X[step % 3].copy(), n_samples)
        if _mc_arrays(out, X.shape[1]) is None:
            return False  # the shapes are graded on the rubric's own network below
        passes = float(counter.training_rows.numpy()) / X.shape[1]
        if passes != n_samples:
            why = (f"{passes:g} passes over X with dropout active" if passes else "no pass at all after an earlier "
                   "call (an answer kept from an earlier call)" if step else "no prediction was made with dropout active "
                   "(training=True)")
            return v.check("mc_dropout_predict honours n_samples", False, f"{why} for n_samples={n_samples}",
                           f"{n_samples} passes", "make exactly n_samples predictions of every row with dropout active, "
                           "as asked (not a fixed number, not one more or one less), and compute them again on every "
                           "call (keep no answer from an earlier call): a spread from another number of samples is "
                           "another estimate")
    return v.check("mc_dropout_predict honours n_samples", True, "3, 12, 40 and 3 again: as many passes", "n_samples "
                   "passes", "")


@EX.part("Monte Carlo dropout", points=6.5)
def _monte_carlo(student, ctx, v):
    _honours_n_samples(student, v)
    houses = prepared("housing")
    net, far, ref_mean, ref_std = _mc_network(ctx.seed)
    model = keras.models.clone_model(net)  # the student gets a copy: the rubric's own network stays as trained
    model.set_weights(net.get_weights())
    n, samples = len(houses.X_val), EX.target("samples")
    coursekit.set_seed(ctx.seed)
    out = student.call("mc_dropout_predict", model, houses.X_val.copy(), samples)
    got = _mc_arrays(out, n)
    shape = ([f"{np.asarray(x).dtype.name} {np.shape(x)}" for x in out] if isinstance(out, (tuple, list))
             else type(out).__name__)
    if not v.check("one mean and one spread per row", got is not None, shape if got is None else f"2 x ({n},)",
                   f"2 float arrays of shape ({n},)", "return (mean, std), each a float array with exactly one value per "
                   "row of X, of shape (len(X),) and not (len(X), 1): reduce over the samples axis, not over the rows, "
                   "and flatten the model's single output column"):
        return
    mean, std = got
    rel = abs(float(np.mean(std)) / float(np.mean(ref_std)) - 1.0)
    v.metric("your mean spread (log price)", float(np.mean(std)))
    v.metric("rubric's mean spread (log price)", float(np.mean(ref_std)))
    # Measured over seeds 0-4 (solution, 50 samples, against the rubric's 200): 0.011-0.018.
    spread_ok = v.at_most("mean spread vs the rubric's estimate (relative difference)", rel, EX.target("spread tolerance"),
                          "the spread must come from predictions made with dropout active: predict() and a plain model(X) "
                          "run at inference with dropout off, so every sample is the same. Call the model with "
                          "training=True each time")
    # Measured over seeds 0-4 (solution): 0.12-0.13 (the sampling noise of two Monte Carlo means).
    later = ("means vs the rubric's estimate (in spreads)", "spread out of range / in range",
             "spread on the hardest quarter / the rest")
    if not spread_ok:  # no Monte Carlo spread: what follows grades it, so it is shown failed, not dropped
        for name in later:
            v.check(name, False, "not measured: no Monte Carlo spread", "a spread from dropout-active predictions",
                    "Monte Carlo dropout is the heart of this exercise: predict each row many times with dropout "
                    "active (training=True) and take the mean and the spread of those predictions")
        return
    means_ok = v.at_most(later[0], float(np.mean(np.abs(mean - ref_mean)) / np.mean(ref_std)),
                         0.5, "the mean of a row is the average of its predictions over the samples")
    if not means_ok:
        return  # spreads that are not Monte Carlo spreads say nothing about where the network is unsure
    far_out = _mc_arrays(student.call("mc_dropout_predict", model, far.copy(), samples), n)
    if far_out is None:
        return
    error = np.abs(predict(model, houses.X_val) - houses.y_val)
    hardest = error >= np.quantile(error, 0.75)
    # Measured over seeds 0-4 (solution, on the rubric's network, validation houses): out of range 3.40-3.87 times
    # the spread, the hardest quarter 1.25-1.44 times.
    v.at_least("spread out of range / in range", float(np.mean(far_out[1]) / max(np.mean(std), 1e-12)),
               EX.target("spread ratio out of range"),
               "the spread of each row must come from that row's own dropout-active predictions (a spread pooled over "
               "all rows says nothing about any one of them)")
    v.at_least("spread on the hardest quarter / the rest", float(np.mean(std[hardest]) / max(np.mean(std[~hardest]), 1e-12)),
               EX.target("spread ratio, hardest quarter"),
               "the spread of each row must come from that row's own dropout-active predictions")
