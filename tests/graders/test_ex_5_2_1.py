"""Wrong answers to exercise 5.2.1: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_1.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_2_1 import EX
from coursekit.grading import assert_fails


def _range_test_linear(model, train, lr_min, lr_max, steps, batch_size):
    rates = np.linspace(lr_min, lr_max, steps)
    losses = []
    for rate in rates:
        model.optimizer.learning_rate.assign(rate)
        losses.append(float(model.train_on_batch(train.X_train[:batch_size], train.y_train[:batch_size])))
    return rates, np.asarray(losses)


def _range_test_without_training(model, train, lr_min, lr_max, steps, batch_size):
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses = [float(model.evaluate(train.X_train[:batch_size], train.y_train[:batch_size], verbose=0)) for _ in rates]
    return rates, np.asarray(losses)


def test_5_2_1_rejects_a_linear_range_and_a_range_test_that_does_not_train(reference, seed):
    ref = reference("5.2.1")
    assert_fails(EX.grade(ref.replaced(lr_range_test=_range_test_linear), seed, only=["range test"]),
           "rates grow geometrically from lr_min to lr_max", "linear")
    verdict = EX.grade(ref.replaced(lr_range_test=_range_test_without_training), seed, only=["range test"])
    assert_fails(verdict, "the model made one update per step", "trains")
    assert_fails(verdict, "the loss falls, then blows up at the largest rates", "do not reset")


def test_5_2_1_rejects_the_default_rate_and_small_batches(reference, seed):
    ref = reference("5.2.1")
    default = ref.replaced(choose_settings=lambda train: {"learning_rate": 0.01, "batch_size": 256})  # 0.54-0.63
    assert_fails(EX.grade(default, seed, only=["settings under the budget"]), "validation loss", "few updates")
    small = ref.replaced(choose_settings=lambda train: {"learning_rate": 0.1, "batch_size": 32})
    assert_fails(EX.grade(small, seed, only=["settings under the budget"]), "batch size within the budget", "at least 256")


def _range_test_rate_set_after_the_step(model, train, lr_min, lr_max, steps, batch_size):
    """The rate for step i assigned after step i has run: every rate applies one step late."""
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    rng = np.random.default_rng(0)
    losses = []
    for rate in rates:
        rows = rng.choice(len(train.X_train), size=batch_size, replace=False)
        losses.append(float(model.train_on_batch(train.X_train[rows], train.y_train[rows])))
        model.optimizer.learning_rate.assign(rate)
    return rates, np.asarray(losses)


def _range_test_loss_after_the_update(model, train, lr_min, lr_max, steps, batch_size):
    """The loss evaluated on the batch after the update instead of the loss the step computed."""
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses = []
    for i, rate in enumerate(rates):
        X, y = train.X_train[i * batch_size % len(train.X_train):][:batch_size], train.y_train[i * batch_size % len(train.y_train):][:batch_size]
        model.optimizer.learning_rate.assign(rate)
        model.train_on_batch(X, y)
        losses.append(float(model.evaluate(X, y, verbose=0)))
    return rates, np.asarray(losses)


def test_5_2_1_rejects_a_rate_applied_one_step_late(reference, seed):
    verdict = EX.grade(reference("5.2.1").replaced(lr_range_test=_range_test_rate_set_after_the_step), seed, only=["range test"])
    assert_fails(verdict, "range test on a made-up model", "one step late")


def test_5_2_1_rejects_the_loss_evaluated_after_the_update(reference, seed):
    verdict = EX.grade(reference("5.2.1").replaced(lr_range_test=_range_test_loss_after_the_update), seed, only=["range test"])
    assert_fails(verdict, "range test on a made-up model", "not an evaluation after the update")


def test_5_2_1_rejects_ignored_arguments(reference, seed):
    """An argument ignored: the batch size fixed at 32 rows; the number of steps fixed at the first setting's."""
    ref = reference("5.2.1")
    right = ref.module.lr_range_test  # the reference's own range test, called with one argument pinned
    fixed_batch = ref.replaced(lr_range_test=lambda m, t, lo, hi, steps, b: right(m, t, lo, hi, steps, 32))
    assert_fails(EX.grade(fixed_batch, seed, only=["range test"]), "range test on a made-up model", "batch_size")
    fixed_steps = ref.replaced(lr_range_test=lambda m, t, lo, hi, steps, b: right(m, t, lo, hi, 20, b))
    assert_fails(EX.grade(fixed_steps, seed, only=["range test"]), "range test on a made-up model", "steps is ignored")
