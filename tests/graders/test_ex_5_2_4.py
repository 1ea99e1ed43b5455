"""Wrong answers to exercise 5.2.4: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_4.py``)."""

from __future__ import annotations

import keras
import numpy as np

from coursekit.graders.ex_5_2_4 import EX, _given_regressor
from coursekit.grading import assert_fails


def test_5_2_4_rejects_the_given_setup_and_clipping_without_scaling(reference, seed):
    ref = reference("5.2.4")
    identity = lambda y: (lambda a: np.asarray(a, dtype=float), lambda z: np.asarray(z, dtype=float))  # noqa: E731
    given = ref.replaced(target_scaling=identity, build_regressor=lambda n: _given_regressor(n))
    assert_fails(EX.grade(given, seed), "every epoch's training loss is finite", "scale the target")
    clipped = ref.replaced(target_scaling=identity,  # measured: $28,253-29,153 (seeds 0-1), losses finite
                           build_regressor=lambda n: _given_regressor(n, keras.optimizers.SGD(0.01, clipnorm=1.0)))
    assert_fails(EX.grade(clipped, seed), "test_rmse_dollars", "clipping alone")


def test_5_2_4_rejects_an_inverse_that_does_not_undo_forward(reference, seed):
    def no_way_back(y_train):
        mean, std = float(np.mean(y_train)), float(np.std(y_train))
        return (lambda y: (np.asarray(y, dtype=float) - mean) / std), (lambda z: np.asarray(z, dtype=float) * std)

    assert_fails(EX.grade(reference("5.2.4").replaced(target_scaling=no_way_back), seed, only=["the target's scale"]),
           "inverse(forward(y)) == y", "undo")


SCALE = ["the target's scale"]


def _standardise_what_you_get(y_train):
    """Statistics recomputed from whatever forward is given: the validation and test prices leak into the scale."""
    mean, std = float(np.mean(y_train)), float(np.std(y_train))
    return ((lambda y: (np.asarray(y, dtype=float) - np.mean(y)) / np.std(y)),
            (lambda z: np.asarray(z, dtype=float) * std + mean))


def test_5_2_4_rejects_statistics_taken_from_the_prices_forward_is_given(reference, seed):
    verdict = EX.grade(reference("5.2.4").replaced(target_scaling=_standardise_what_you_get), seed, only=SCALE)
    assert_fails(verdict, "forward and inverse are fitted on the training prices only", "training prices")


_STATS = {}


def _module_level_statistics(y_train):
    """The statistics in a module-level dict: a second call changes the first pair's functions."""
    _STATS.update(mean=float(np.mean(y_train)), std=float(np.std(y_train)) or 1.0)
    return ((lambda y: (np.asarray(y, dtype=float) - _STATS["mean"]) / _STATS["std"]),
            (lambda z: np.asarray(z, dtype=float) * _STATS["std"] + _STATS["mean"]))


def test_5_2_4_rejects_statistics_kept_between_calls(reference, seed):
    verdict = EX.grade(reference("5.2.4").replaced(target_scaling=_module_level_statistics), seed, only=SCALE)
    assert_fails(verdict, "two scalings keep their own statistics", "state")


def test_5_2_4_rejects_a_scale_divided_by_a_zero_spread(reference, seed):
    """An edge case: every training price the same."""
    def unguarded(y_train):
        mean, std = float(np.mean(y_train)), float(np.std(y_train))
        return (lambda y: (np.asarray(y, dtype=float) - mean) / std), (lambda z: np.asarray(z, dtype=float) * std + mean)
    verdict = EX.grade(reference("5.2.4").replaced(target_scaling=unguarded), seed, only=SCALE)
    assert_fails(verdict, "a constant training target", "spread is 0")
    assert verdict.failed_names() == ["a constant training target"], verdict.report()


def test_5_2_4_rejects_an_inverse_that_breaks_on_column_predictions(reference, seed):
    """Shapes: predictions come as (n, 1); an inverse written for (n,) only must still give n prices."""
    def by_price(y_train):
        prices = np.sort(np.asarray(y_train, dtype=float))
        ranks = np.linspace(-1, 1, len(prices))
        return ((lambda y: np.interp(np.asarray(y, dtype=float), prices, ranks, left=-1, right=1)),
                (lambda z: np.interp(np.asarray(z, dtype=float), ranks, prices)))
    # np.interp flattens nothing: on (n, 1) it still works, but prices outside the training range are clipped
    verdict = EX.grade(reference("5.2.4").replaced(target_scaling=by_price), seed, only=SCALE)
    assert_fails(verdict, "inverse(forward(y)) == y", "any prices")

    def column_only(y_train):
        mean, std = float(np.mean(y_train)), float(np.std(y_train)) or 1.0
        return ((lambda y: (np.asarray(y, dtype=float) - mean) / std),
                (lambda z: (np.asarray(z, dtype=float) * std + mean) + 0 * np.asarray(z).reshape(1, -1)))
    verdict = EX.grade(reference("5.2.4").replaced(target_scaling=column_only), seed, only=SCALE)
    assert_fails(verdict, "inverse(forward(y)) == y", "(n, 1)")


def test_5_2_4_rejects_an_output_with_an_activation(reference, seed):
    """Regression needs a linear output: a relu unit (or a relu after Dense(1)) cannot predict every price."""
    def relu_after(n):
        return _compiled(keras.Sequential([*_given_regressor(n).layers, keras.layers.Activation("relu")]))

    def relu_unit(n):
        hidden = [keras.layers.Dense(64, activation="relu") for _ in range(4)]
        return _compiled(keras.Sequential([keras.Input(shape=(n,)), *hidden, keras.layers.Dense(1, activation="relu")]))
    ref = reference("5.2.4")
    for build in (relu_after, relu_unit):
        verdict = EX.grade(ref.replaced(build_regressor=build), seed, only=["the target's scale", "it trains"])
        assert_fails(verdict, "a linear output for regression", "no activation")


def _compiled(model):
    model.compile(keras.optimizers.Adam(1e-3, clipnorm=1.0), "mse")
    return model
