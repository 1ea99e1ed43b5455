"""Grader of exercise 5.2.1 (lesson 5.2, training networks): learning rate and batch size.

The student writes ``lr_range_test`` and ``choose_settings``. The grader owns the harness: it calls the
student's functions with training and validation data only, trains every graded network itself
(``coursekit.training.fast_fit``: ``tf.data`` pipelines, validation every epoch) with the settings or the
optimizer the student chose, and computes every graded number itself.

- "range test": first on a made-up model whose losses are known exactly (``_made_up_model``: one weight,
  loss w^2, so SGD at rate r multiplies w by 1 - 2 r), with two settings, the second changing every argument:
  the rates, each step's loss, the rows trained on and the updates must be the rubric's
  (``_made_up_answer``). Then the grader builds the churn network (32-16 ReLU, its own copy) at the seed, compiles it with
  SGD and runs the student's range test on it with hidden settings (``RANGE``: rates 1e-4 to 10 in 60 steps
  of 256 rows); it checks that the rates grow geometrically, that the model made one update per step, that
  the first losses are the untrained network's and that the loss falls, then blows up.
- "settings under the budget": the grader trains the churn network with plain SGD at the chosen rate and
  batch size (at least 256 rows) for 4 epochs and grades the best validation loss.

Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_2_1.py`` show that the check aimed at
each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import math

import keras
import numpy as np

import coursekit
import data
from coursekit.graders.lesson_5_2 import as_number, churn_net
from coursekit.grading import Exercise, prepared, Student
from coursekit.training import fast_fit, predict


def _fit(model, optimizer, *, seed, epochs, batch_size, loss="binary_crossentropy", X=None):
    """Compile ``model`` with ``optimizer`` and train it on churn the rubric's way; the History."""
    churn = prepared("churn")
    model.compile(optimizer=optimizer, loss=loss, steps_per_execution=32)
    return fast_fit(model, churn.X_train, churn.y_train, churn.X_val, churn.y_val, epochs=epochs, batch_size=batch_size,
                    seed=seed)


EX = Exercise("5.2.1", ("lr_range_test", "choose_settings"),
              targets={"epochs": 4, "batch rows": 256, "validation loss": 0.45, "range steps": 60})
RANGE = dict(lr_min=1e-4, lr_max=10.0, steps=60, batch_size=256)


def _initial_loss(model) -> float:
    churn = prepared("churn")
    p = np.clip(predict(model, churn.X_train), 1e-7, 1 - 1e-7)
    y = churn.y_train
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# The made-up model of the range test: one weight w (1 at the start), the input 1 and the target 0 on every
# row, a mean squared error: each step's loss is w^2 and plain SGD at rate r turns w into w (1 - 2 r), so the
# losses of a range test are known exactly, whichever rows a batch takes. Two settings; the second changes
# every argument.
_MADE_UP_RANGES = [dict(lr_min=0.01, lr_max=1.2, steps=20, batch_size=16), dict(lr_min=0.02, lr_max=0.9, steps=13, batch_size=8)]


class _RowCounter(keras.layers.Layer):
    """Passes its input on; counts the rows it sees in training (the batch size the range test used)."""

    def build(self, shape):
        self.rows = self.add_weight(shape=(), initializer="zeros", trainable=False, name="rows")

    def call(self, x, training=False):
        if training:
            self.rows.assign_add(keras.ops.cast(keras.ops.shape(x)[0], "float32"))
        return x


def _made_up_model() -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(1,)), _RowCounter(),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    return model


def _made_up_answer(lr_min, lr_max, steps, batch_size) -> dict:
    """The rubric's own range test on the made-up model, in closed form."""
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses, w = [], 1.0
    for rate in rates:
        losses.append(w * w)
        w *= 1 - 2 * rate
    return {"rates": rates, "losses": np.array(losses), "rows": steps * batch_size, "updates": steps}


def _same_run(mine, want) -> str:
    """What differs between two range tests on the made-up model ("" if nothing does)."""
    for key in ("rates", "losses"):
        a, b = np.asarray(mine[key], dtype=float).ravel(), want[key]
        if a.shape != b.shape or not np.allclose(a, b, rtol=2e-3, atol=1e-7):
            return key
    return next((key for key in ("rows", "updates") if mine[key] != want[key]), "")


_MADE_UP_HINTS = {
    "rates": "the rates grow geometrically from lr_min (the first step) to lr_max (the last), one per step",
    "losses": "each step's loss is the loss of its batch as the step computes it, with that step's rate already "
              "in force: set the rate before the step (a rate set after it applies one step late) and record what "
              "the step returns (not an evaluation after the update)",
    "rows": "each step trains on one batch of batch_size training rows",
    "updates": "one optimizer update per step, steps of them",
}


def _made_up_ranges(student, v) -> None:
    X, y = np.ones((64, 1), dtype="float32"), np.zeros(64, dtype="float32")
    train = data.TrainVal(X, y, X[:8].copy(), y[:8].copy(), ["one"])
    answers = []
    for settings in _MADE_UP_RANGES:
        model = _made_up_model()
        model.compile(keras.optimizers.SGD(settings["lr_min"]), "mse")
        out = student.call("lr_range_test", model, train, *settings.values())
        try:
            rates, losses = (np.asarray(x, dtype=float).ravel() for x in out)
        except (TypeError, ValueError):
            rates = losses = np.zeros(0)
        answers.append({"rates": rates, "losses": losses, "rows": int(model.layers[0].rows.numpy()),
                        "updates": int(model.optimizer.iterations.numpy())})
    for i, (settings, mine) in enumerate(zip(_MADE_UP_RANGES, answers)):
        wrong = _same_run(mine, _made_up_answer(**settings))
        if not wrong:
            continue
        lead = ""
        if i > 0:  # the second setting changes every argument: one left at the first's value is ignored
            ignored = [key for key in settings if not _same_run(mine, _made_up_answer(**{**settings, key: _MADE_UP_RANGES[0][key]}))]
            if ignored:
                lead = (f"the argument {ignored[0]} is ignored (the answer is the one for {ignored[0]}="
                        f"{_MADE_UP_RANGES[0][ignored[0]]}): every argument must be used as given; ")
        shown = {"rates": np.round(mine["rates"][:4], 4).tolist(), "losses": np.round(mine["losses"][:4], 5).tolist(),
                 "rows": mine["rows"], "updates": mine["updates"]}[wrong]
        want = _made_up_answer(**settings)
        expected = {"rates": np.round(want["rates"][:4], 4).tolist(), "losses": np.round(want["losses"][:4], 5).tolist(),
                    "rows": want["rows"], "updates": want["updates"]}[wrong]
        v.check("range test on a made-up model", False, f"{wrong} {shown} for {settings}", f"{wrong} {expected}",
                lead + _MADE_UP_HINTS[wrong])
        return
    v.check("range test on a made-up model", True, f"{len(_MADE_UP_RANGES)} settings", "the known losses", "")


@EX.part("range test", points=4)
def _range_test(student: Student, ctx, v):
    _made_up_ranges(student, v)
    churn = prepared("churn")
    coursekit.set_seed(ctx.seed)
    model = churn_net(churn.n_features)
    model.compile(keras.optimizers.SGD(RANGE["lr_min"]), "binary_crossentropy")
    start = _initial_loss(model)
    out = student.call("lr_range_test", model, churn.train_val(), RANGE["lr_min"], RANGE["lr_max"], RANGE["steps"],
                       RANGE["batch_size"])
    if not v.check("returns rates and losses", isinstance(out, (tuple, list)) and len(out) == 2, type(out).__name__,
                   "(rates, losses)", "return the two sequences, rates first"):
        return
    rates, losses = (np.asarray(x, dtype=float).ravel() for x in out)
    n = RANGE["steps"]
    if not v.check("one rate and one loss per step", len(rates) == n and len(losses) == n, f"{len(rates)} rates, {len(losses)} losses",
                   f"{n} of each", "one training step per rate: as many rates and losses as steps"):
        return
    ratios = rates[1:] / rates[:-1] if np.all(rates > 0) else np.array([np.nan])
    geometric = bool(np.allclose(ratios, ratios[0], rtol=1e-4)) and math.isclose(rates[0], RANGE["lr_min"], rel_tol=1e-4) \
        and math.isclose(rates[-1], RANGE["lr_max"], rel_tol=1e-4)
    v.check("rates grow geometrically from lr_min to lr_max", geometric,
            f"{rates[0]:.3g} ... {rates[-1]:.3g}, step ratios {np.nanmin(ratios):.4g}-{np.nanmax(ratios):.4g}",
            f"{RANGE['lr_min']:g} ... {RANGE['lr_max']:g}, one constant ratio",
            "each rate is the previous one times the same factor, so that every order of magnitude gets as many "
            "steps: the first is lr_min and the last is lr_max (a linear spacing spends almost every step near lr_max)")
    updates = int(model.optimizer.iterations.numpy())
    v.check("the model made one update per step", updates == n, updates, n,
            "the range test trains the model it is given: one optimizer step per rate, on one batch each")
    first = float(np.median(losses[:5]))
    v.metric("untrained_loss", start)
    # Measured over seeds 0-4: the median of the first five losses is within 1% of the untrained network's
    # loss on the training split (the tolerance, 10%, allows for batch noise).
    v.close("first losses are the untrained network's", first, start, 0.1 * start,
            "record the loss of each step's batch as the step computes it, starting from the untrained model")
    low = float(np.nanmin(losses[: n - 5])) if np.isfinite(losses[: n - 5]).any() else float("nan")
    end = losses[-5:]
    # Measured over seeds 0-9 (the solution): the largest of the last five losses is 1.45 (seed 7) to 15 times
    # the lowest loss before them; SGD at rates of 4-10 on this network does not always produce nan.
    blew_up = bool(np.any(~np.isfinite(end)) or np.nanmax(end) > 1.25 * low)
    v.check("the loss falls, then blows up at the largest rates", low < start - 0.1 and blew_up,
            f"min {low:.3f}, last {np.nanmax(end) if np.isfinite(end).any() else float('nan'):.3g}",
            f"min < {start - 0.1:.3f}, last > 1.25 x min or nan",
            "train at each rate in turn (do not reset the weights between steps) and return the losses the steps "
            "computed: they fall while the rate is useful and explode once it is too large")
    if np.isfinite(losses).any():
        v.metric("rate_at_lowest_loss", float(rates[int(np.nanargmin(losses))]))


@EX.part("settings under the budget", points=6)
def _settings(student, ctx, v):
    churn = prepared("churn")
    chosen = student.call("choose_settings", churn.train_val())
    ok = isinstance(chosen, dict) and {"learning_rate", "batch_size"} <= set(chosen)
    if not v.check("settings", ok, sorted(chosen) if isinstance(chosen, dict) else type(chosen).__name__,
                   'a dict with "learning_rate" and "batch_size"', "return the two settings in a dict under those keys"):
        return
    rate, batch = as_number(chosen["learning_rate"]), as_number(chosen["batch_size"])
    if not v.check("learning_rate is a positive number", rate > 0 and math.isfinite(rate), chosen["learning_rate"], "> 0",
                   "a learning rate is a positive number"):
        return
    min_batch = EX.target("batch rows")
    if not v.check("batch size within the budget", batch >= min_batch and batch == int(batch) and batch <= len(churn.X_train),
                   chosen["batch_size"], f"an integer from {min_batch} to {len(churn.X_train)}",
                   f"the budget asks for batches of at least {min_batch} rows; fewer rows per batch would buy more "
                   "updates, which the budget does not allow"):
        return
    v.metric("learning_rate", rate)
    v.metric("batch_size", int(batch))
    coursekit.set_seed(ctx.seed)
    history = _fit(churn_net(churn.n_features), keras.optimizers.SGD(rate), seed=ctx.seed,
                   epochs=EX.target("epochs"), batch_size=int(batch))
    losses = np.asarray(history.history["val_loss"], dtype=float)
    best = float(np.nanmin(losses)) if np.isfinite(losses).any() else float("inf")
    updates = EX.target("epochs") * math.ceil(len(churn.X_train) / int(batch))
    v.metric("updates", updates)
    # Measured over seeds 0-4 (solution: rate 0.3, batch 256): best validation loss 0.429-0.436. SGD's default
    # rate 0.01 at batch 256: 0.54-0.63; rate 0.1 at batch 512 (too few updates for that rate): 0.46-0.50.
    v.at_most("validation loss", best, EX.target("validation loss"),
              "with large batches SGD makes few updates in 4 epochs, so each must be large: a rate that suits "
              "small batches barely moves the loss. The range test shows the rates where the loss falls fastest; "
              "try rates near them with a few trial fits and keep the best on validation")
