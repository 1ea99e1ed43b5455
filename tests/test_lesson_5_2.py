"""Rubric of lesson 5.2: training networks -- epochs, batch size, optimizers, gradients, callbacks.

Each ``grade_5_2_K`` holds that exercise's targets. Each target comes from the solution's
measured spread over seeds 0-4 (the comment above it gives the numbers) with a margin, and the
wrong answers at the bottom show that the rubric rejects them. No check asserts a speed: timings
are checked for being real (positive, one per epoch, consistent with the whole fit), not fast.
"""

from __future__ import annotations

import math
import numbers

import keras
import numpy as np
import pytest

from rubric import Verdict, exercise_params

def _log10(x) -> float:
    """log10 of a non-negative number (0 counts as 1e-300); NaN for anything else, which fails the check."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not float(x) >= 0:
        return float("nan")
    return math.log10(max(float(x), 1e-300))


# --------------------------------------------------------------------------- 5.2.1


def grade_5_2_1(r) -> Verdict:
    v = Verdict("5.2.1")
    keys = ["callback", "history", "epochs_run", "best_epoch", "max_epochs", "patience",
            "val_loss_too_few", "val_loss_too_many", "val_loss_early", "test_auc_early"]
    if not v.has_keys(r, keys):
        return v
    stop = r["callback"]
    is_es = isinstance(stop, keras.callbacks.EarlyStopping)
    v.check("callback is EarlyStopping", is_es, type(stop).__name__, "keras.callbacks.EarlyStopping",
            "return keras.callbacks.EarlyStopping(...) from make_early_stopping")
    if is_es:
        v.equal("monitor", stop.monitor, "val_loss", "watch the validation loss: monitor='val_loss'")
        v.equal("restore_best_weights", bool(stop.restore_best_weights), True,
                "without restore_best_weights=True the model keeps the last epoch's (worse) weights")
        v.equal("patience", stop.patience, r["patience"], "pass the patience argument through")
    val_losses = list(r["history"].history.get("val_loss", []))
    if not v.check("history has val_loss", len(val_losses) > 0, len(val_losses), "one value per epoch",
                   "run() fits with validation_data"):
        return v
    true_best = int(np.argmin(val_losses)) + 1
    v.equal("best_epoch", r["best_epoch"], true_best, "1-based index of the smallest history['val_loss']")
    # Measured over seeds 0-4: 7-11 epochs run of 30, best epochs 2-6.
    v.check("stopped before the limit", r["epochs_run"] < r["max_epochs"], r["epochs_run"],
            f"< {r['max_epochs']}", "EarlyStopping must end the run once val_loss stops improving")
    v.equal("epochs after the best", r["epochs_run"] - true_best, r["patience"],
            "it should stop exactly `patience` epochs after the best one")
    # Restored weights: the evaluated loss equals the best epoch's (within 1e-4 on seeds 0-4; without
    # restoring, the model keeps the weights of 5 epochs past the best, whose loss is higher).
    v.close("val_loss_early vs best epoch", r["val_loss_early"], min(val_losses), 1e-4,
            "restore_best_weights=True puts the best epoch's weights back at the end")
    # Measured over seeds 0-4: early 0.427-0.433; 1 epoch 0.436-0.442; 30 epochs 0.468-0.504
    # (early is 0.038-0.072 below 30 epochs and 0.006-0.011 below 1 epoch).
    v.at_most("val_loss_early - val_loss_too_few", r["val_loss_early"] - r["val_loss_too_few"], 1e-4,
              "the best epoch is never worse than epoch 1: restore the best weights")
    v.at_least("val_loss_too_many - val_loss_early", r["val_loss_too_many"] - r["val_loss_early"], 0.02,
               "early stopping should avoid the over-fitting of 30 epochs")
    # Measured over seeds 0-4: test AUC 0.839-0.844 (logistic regression 0.843).
    v.at_least("test_auc_early", r["test_auc_early"], 0.83, "stop on val_loss and restore the best weights")
    return v


# --------------------------------------------------------------------------- 5.2.2


def _check_timing(v: Verdict, r, name: str) -> None:
    secs = r[f"epoch_seconds_{name}"]
    history = r[f"history_{name}"]
    n_epochs = len(history.epoch)
    ok_list = isinstance(secs, (list, tuple, np.ndarray)) and len(secs) == n_epochs
    if not v.check(f"{name}: one time per epoch", ok_list, len(secs) if ok_list or hasattr(secs, "__len__") else secs,
                   f"{n_epochs} (epochs in the history)", "append one duration in on_epoch_end; reset in on_train_begin"):
        return
    secs = [float(s) for s in secs]
    v.check(f"{name}: epoch times positive", all(s > 0 and math.isfinite(s) for s in secs), min(secs), "> 0",
            "each entry is perf_counter() at on_epoch_end minus perf_counter() at on_epoch_begin")
    total, fit = sum(secs), float(r[f"fit_seconds_{name}"])
    # Measured over seeds 0-4 (2 shared cores): the epoch times sum to 0.95-0.99 of the fit call;
    # a timer of the time since training began sums to about (epochs + 1) / 2 times it.
    v.between(f"{name}: sum of epoch times / fit time", total / fit if fit > 0 else float("nan"), 0.5, 1.0,
              "durations of the epochs must add up to (most of) the fit call's wall time: time each epoch, not the run")
    spe = r[f"seconds_per_epoch_{name}"]
    v.close(f"{name}: seconds_per_epoch is the median epoch", spe, float(np.median(secs[1:])), 1e-9,
            "median of the epoch times without the first one")
    sps = r[f"samples_per_second_{name}"]
    v.close(f"{name}: samples_per_second", sps, r["n_train"] / float(np.median(secs[1:])), 1e-6 * max(1.0, abs(sps)),
            "n_samples / median(epoch_seconds[1:])")
    expected_updates = n_epochs * math.ceil(r["n_train"] / r[f"batch_size_{name}"])
    v.equal(f"{name}: optimizer updates", r[f"updates_{name}"], expected_updates,
            "epochs x ceil(n_train / batch_size) steps")


def grade_5_2_2(r) -> Verdict:
    v = Verdict("5.2.2")
    keys = ["n_train"] + [f"{k}_{n}" for n in ("small", "large") for k in (
        "batch_size", "val_auc", "test_auc", "fit_seconds", "epoch_seconds", "seconds_per_epoch",
        "samples_per_second", "updates", "history")]
    if not v.has_keys(r, keys):
        return v
    v.equal("batch sizes", (r["batch_size_small"], r["batch_size_large"]), (32, 1024), "compare batch 32 with batch 1024")
    # Measured over seeds 0-4: val AUC small 0.824-0.833, large 0.824-0.831;
    # test AUC small 0.838-0.841, large 0.826-0.831. A model that learned nothing scores 0.5.
    for name in ("small", "large"):
        v.at_least(f"val_auc_{name}", r[f"val_auc_{name}"], 0.81, "train for the full epoch budget with Adam")
        v.at_least(f"test_auc_{name}", r[f"test_auc_{name}"], 0.81, "train for the full epoch budget with Adam")
    for name in ("small", "large"):
        _check_timing(v, r, name)
    return v


# --------------------------------------------------------------------------- 5.2.3


def _check_optimizer(v: Verdict, opt, name: str, cls, lr: float, momentum: float | None) -> None:
    ok = type(opt) is cls
    v.check(f"{name}: optimizer class", ok, type(opt).__name__, cls.__name__, f"'{name}' uses keras.optimizers.{cls.__name__}")
    if not ok:
        return
    v.close(f"{name}: learning rate", float(np.asarray(opt.learning_rate)), lr, lr * 1e-4, f"learning_rate={lr}")
    if momentum is not None:
        v.close(f"{name}: momentum", float(opt.momentum), momentum, 1e-6, f"momentum={momentum}")


def grade_5_2_3(r) -> Verdict:
    v = Verdict("5.2.3")
    names = ("sgd", "momentum", "adam")
    keys = ["epochs"] + [f"{k}_{n}" for n in names for k in ("val_loss", "epochs", "optimizer")]
    if not v.has_keys(r, keys):
        return v
    _check_optimizer(v, r["optimizer_sgd"], "sgd", keras.optimizers.SGD, 0.01, 0.0)
    _check_optimizer(v, r["optimizer_momentum"], "momentum", keras.optimizers.SGD, 0.01, 0.9)
    _check_optimizer(v, r["optimizer_adam"], "adam", keras.optimizers.Adam, 0.001, None)
    v.equal("same epoch budget", [r[f"epochs_{n}"] for n in names], [r["epochs"]] * 3,
            "train every optimizer for the same number of epochs")
    # Measured over seeds 0-4: val loss SGD 0.450-0.489, momentum 0.427-0.434, Adam 0.430-0.433;
    # SGD minus momentum 0.022-0.058, SGD minus Adam 0.018-0.056. Constant churn rate: 0.578.
    v.at_least("val_loss_sgd - val_loss_momentum", r["val_loss_sgd"] - r["val_loss_momentum"], 0.008,
               "momentum=0.9 accumulates velocity: it should get further than plain SGD in 10 epochs")
    v.at_least("val_loss_sgd - val_loss_adam", r["val_loss_sgd"] - r["val_loss_adam"], 0.008,
               "Adam with learning_rate=0.001 should get further than plain SGD in 10 epochs")
    for n in names:
        v.at_most(f"val_loss_{n}", r[f"val_loss_{n}"], 0.55, "every optimizer should learn something in 10 epochs")
    return v


# --------------------------------------------------------------------------- 5.2.4


def _grader_norms(model, X, y, loss_fn) -> list[float]:
    """The grader's own per-kernel gradient norms (independent of the student's code)."""
    import tensorflow as tf

    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=False))
    return [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]


def grade_5_2_4(r) -> Verdict:
    v = Verdict("5.2.4")
    keys = ["epochs", "X_probe", "y_probe", "loss_fn"] + [f"{k}_{n}" for n in ("sigmoid", "relu")
                                                          for k in ("norms", "model", "first_over_last")]
    if not v.has_keys(r, keys):
        return v
    for name in ("sigmoid", "relu"):
        norms = np.asarray(r[f"norms_{name}"], dtype=float)
        model = r[f"model_{name}"]
        n_layers = sum(1 for layer in model.layers if hasattr(layer, "kernel"))
        shape_ok = norms.shape == (r["epochs"] + 1, n_layers)
        if not v.check(f"{name}: norms shape", shape_ok, norms.shape, f"({r['epochs'] + 1}, {n_layers})",
                       "one row on_train_begin and one per epoch, one norm per layer with a kernel"):
            continue
        v.check(f"{name}: norms positive", bool(np.all(np.isfinite(norms)) and np.all(norms > 0)), norms.min(), "> 0",
                "record the L2 norm of each kernel's gradient")
        mine = np.asarray(_grader_norms(model, r["X_probe"], r["y_probe"], r["loss_fn"]))
        rel = float(np.max(np.abs(norms[-1] - mine) / mine))
        v.at_most(f"{name}: last row vs grader's gradient norms (max rel. diff)", rel, 1e-3,
                  "compute d loss / d kernel with tf.GradientTape on the probe batch at each epoch end")
    # Measured over seeds 0-4: sigmoid first/last 9.4e-7 to 1.3e-5; ReLU+He 0.39-1.72.
    # (checked as log10, so the report shows the orders of magnitude: sigmoid -6.0 to -4.9, ReLU -0.4 to 0.2)
    for name, target, at_most, hint in [
        ("sigmoid", -2.0, True, "in a deep sigmoid stack the first layer's gradient should be orders of magnitude below the last's"),
        ("relu", -1.0, False, "ReLU with He initialization keeps gradient norms of the same order through the depth"),
    ]:
        ratio = r[f"first_over_last_{name}"]
        value = _log10(ratio)
        (v.at_most if at_most else v.at_least)(f"log10 first_over_last_{name}", value, target, hint)
    return v


# --------------------------------------------------------------------------- 5.2.5


def grade_5_2_5(r) -> Verdict:
    v = Verdict("5.2.5")
    keys = ["n_weights", "loss_evaluations", "rel_error_correct", "rel_error_broken", "weights_unchanged",
            "numeric_gradient", "variable_shapes", "model", "X", "y"]
    if not v.has_keys(r, keys):
        return v
    shapes = [tuple(np.shape(g)) for g in r["numeric_gradient"]]
    v.equal("numerical gradient shapes", shapes, r["variable_shapes"], "one array per variable, shaped like it")
    v.equal("loss evaluations", r["loss_evaluations"], 2 * r["n_weights"],
            "central differences evaluate the loss twice per weight (w + eps and w - eps)")
    v.equal("weights unchanged", bool(r["weights_unchanged"]), True, "assign every weight its original value back")
    # Measured over seeds 0-4: correct 2.7e-10 to 5.7e-10 (log10 -9.6 to -9.2); broken backward pass 0.969 on every seed
    # (a backward pass n = 64 times too large gives (64 - 1) / (64 + 1) = 0.969).
    v.at_most("log10 rel_error_correct", _log10(r["rel_error_correct"]), -7.0,
              "use central differences (f(w+eps) - f(w-eps)) / (2 eps) with eps around 1e-6 in float64")
    v.at_least("rel_error_broken", r["rel_error_broken"], 0.5,
               "the numerical gradient must come from loss values only, never from the tape")
    return v


GRADERS = {"5.2.1": grade_5_2_1, "5.2.2": grade_5_2_2, "5.2.3": grade_5_2_3, "5.2.4": grade_5_2_4, "5.2.5": grade_5_2_5}


@pytest.mark.parametrize("ex_id", exercise_params(GRADERS))
def test_exercise(ex_id, exercise_run, record_verdict):
    record_verdict(GRADERS[ex_id](exercise_run(ex_id))).assert_passed()


# --------------------------------------------------------------------------- wrong answers


def test_rubric_rejects_early_stopping_without_restore(wrong_run):
    """EarlyStopping that keeps the last epoch's weights: the evaluated model is not the best epoch's."""

    def no_restore(patience):
        return keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience)

    def patch(module):
        module.make_early_stopping = no_restore
        module.MAX_EPOCHS = 15  # best epochs are 2-6, so it still stops early; half the cost of 30

    verdict = grade_5_2_1(wrong_run("5.2.1", patch=patch))
    assert {"restore_best_weights", "val_loss_early vs best epoch"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_a_timer_that_times_the_whole_run(wrong_run):
    """A timer that stores seconds since the start of training, not per epoch: the times add up to too much."""
    import time

    def patch(module):
        class CumulativeTimer(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.epoch_seconds, self._start = [], time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.epoch_seconds.append(time.perf_counter() - self._start)

        module.EpochTimer = CumulativeTimer
        module.EPOCHS = 4  # enough to show the sum running over the fit time, at a third of the cost

    verdict = grade_5_2_2(wrong_run("5.2.2", patch=patch))
    assert "small: sum of epoch times / fit time" in verdict.failed_names(), verdict.report()
    assert "large: sum of epoch times / fit time" in verdict.failed_names(), verdict.report()


def test_rubric_rejects_sgd_everywhere(wrong_run):
    """'momentum' and 'adam' that are plain SGD: the optimizer checks and the margins fail."""
    import keras as k

    def patch(module):
        module.make_optimizer = lambda name: k.optimizers.SGD(learning_rate=0.01)
        module.EPOCHS = 3  # three identical runs differ by nothing at any budget; keep the wrong run cheap

    verdict = grade_5_2_3(wrong_run("5.2.3", patch=patch))
    failed = set(verdict.failed_names())
    assert {"momentum: momentum", "adam: optimizer class", "val_loss_sgd - val_loss_momentum",
            "val_loss_sgd - val_loss_adam"} <= failed, verdict.report()


def test_rubric_rejects_weight_norms_instead_of_gradient_norms(wrong_run):
    """A logger that records the kernels' own norms: they match no gradient and show no vanishing."""

    def weight_norms(model, X, y, loss_fn):
        return [float(np.linalg.norm(layer.kernel.numpy())) for layer in model.layers if hasattr(layer, "kernel")]

    verdict = grade_5_2_4(wrong_run("5.2.4", kernel_gradient_norms=weight_norms))
    failed = set(verdict.failed_names())
    assert "sigmoid: last row vs grader's gradient norms (max rel. diff)" in failed, verdict.report()
    assert "log10 first_over_last_sigmoid" in failed, verdict.report()


def test_rubric_rejects_forward_differences(wrong_run):
    """One-sided differences with a large step: too inaccurate, and half the loss evaluations expected."""

    def forward(loss_fn, variables, eps=1e-3):
        grads = []
        base = float(loss_fn())
        for var in variables:
            original = var.numpy()
            grad = np.zeros(original.size)
            for i in range(original.size):
                flat = original.ravel().copy()
                flat[i] += eps
                var.assign(flat.reshape(original.shape))
                grad[i] = (float(loss_fn()) - base) / eps
            var.assign(original)
            grads.append(grad.reshape(original.shape))
        return grads

    verdict = grade_5_2_5(wrong_run("5.2.5", numerical_gradient=forward))
    assert {"log10 rel_error_correct", "loss evaluations"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_a_numerical_gradient_taken_from_the_tape(wrong_run):
    """A 'numerical' gradient that calls tf.GradientTape: it cannot catch the broken backward pass."""

    def from_tape(loss_fn, variables, eps=1e-6):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        return [g.numpy() for g in tape.gradient(loss, variables)]

    verdict = grade_5_2_5(wrong_run("5.2.5", numerical_gradient=from_tape))
    assert {"rel_error_broken", "loss evaluations"} <= set(verdict.failed_names()), verdict.report()
