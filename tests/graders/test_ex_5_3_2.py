"""Wrong answers of exercise 5.3.2 (dropout and Monte Carlo dropout).

Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.
A wrong answer runs only the parts it concerns; the grader's own baselines are cached per seed and
process."""

from __future__ import annotations

import keras
import numpy as np

from coursekit.graders.ex_5_3_2 import EX
from coursekit.grading import assert_fails


def _dropout_net(n_features, mean_target, *, forced=False, after_output=False) -> keras.Model:
    inputs = keras.Input(shape=(n_features,))
    x = keras.layers.Dense(128, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x, training=True) if forced else keras.layers.Dropout(0.3)(x)
    out = keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(mean_target))(x)
    if after_output:
        out = keras.layers.Dropout(0.2)(out)
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def test_5_3_2_rejects_dropout_forced_on_at_inference_and_after_the_output(reference, seed):
    ref = reference("5.3.2")
    forced = ref.replaced(build_dropout_network=lambda n, m: _dropout_net(n, m, forced=True))
    assert_fails(EX.grade(forced, seed, only=["the network"]), "predictions are deterministic at inference",
                 "training=true")
    after = ref.replaced(build_dropout_network=lambda n, m: _dropout_net(n, m, after_output=True))
    assert_fails(EX.grade(after, seed, only=["the network"]), "no Dropout after the output", "after the output")


def _mc_at_inference(model, X, n_samples):
    draws = np.stack([np.asarray(model(X)).ravel() for _ in range(n_samples)])
    return draws.mean(axis=0), draws.std(axis=0)


def _mc_wrong_axis(model, X, n_samples):
    draws = np.stack([np.asarray(model(X, training=True)).ravel() for _ in range(n_samples)])
    return draws.mean(axis=1), draws.std(axis=1)


def test_5_3_2_rejects_monte_carlo_at_inference_and_over_the_wrong_axis(reference, seed):
    ref = reference("5.3.2")
    verdict = EX.grade(ref.replaced(mc_dropout_predict=_mc_at_inference), seed, only=["Monte Carlo dropout"])
    assert_fails(verdict, "mean spread vs the rubric's estimate (relative difference)", "training=true")
    verdict = EX.grade(ref.replaced(mc_dropout_predict=_mc_wrong_axis), seed, only=["Monte Carlo dropout"])
    assert_fails(verdict, "one mean and one spread per row", "samples axis")


def test_5_3_2_without_monte_carlo_sampling_scores_less_than_half(reference, seed):
    """Partial credit that means something: one plain prediction and a zero spread (no sampling at all)
    leaves the checks that grade the spread failed, not dropped, and the exercise under half its points."""
    def no_sampling(model, X, n_samples):
        mean = np.asarray(model.predict(X, verbose=0)).reshape(-1)
        return mean, np.zeros_like(mean)
    verdict = EX.grade(reference("5.3.2").replaced(mc_dropout_predict=no_sampling), seed)
    assert_fails(verdict, "spread out of range / in range", "monte carlo dropout is the heart")
    scored, possible = verdict.points()
    assert possible == 10 and scored < 5, verdict.report()


def _mc_with(passes, *, column=False):
    """Monte Carlo dropout with dropout on, over ``passes(n_samples)`` passes; ``column`` keeps the model's (n, 1)."""
    def mc_dropout_predict(model, X, n_samples):
        draws = np.stack([np.asarray(model(X, training=True)) for _ in range(passes(n_samples))])
        draws = draws if column else draws.reshape(len(draws), len(X))
        return draws.mean(axis=0), draws.std(axis=0)
    return mc_dropout_predict


def test_5_3_2_rejects_a_fixed_number_of_samples_and_one_sample_too_many(reference, seed):
    """An argument silently ignored (always 50 samples: the number the rubric asks on its own network), and an
    off-by-one in the loop."""
    ref = reference("5.3.2")
    only = ["Monte Carlo dropout"]
    verdict = EX.grade(ref.replaced(mc_dropout_predict=_mc_with(lambda n: 50)), seed, only=only)
    assert_fails(verdict, "mc_dropout_predict honours n_samples", "not a fixed number")
    verdict = EX.grade(ref.replaced(mc_dropout_predict=_mc_with(lambda n: n + 1)), seed, only=only)
    assert_fails(verdict, "mc_dropout_predict honours n_samples", "one more")


def test_5_3_2_rejects_means_and_spreads_of_shape_n_by_1(reference, seed):
    """The shape contract: (n,) promised, (n, 1) returned."""
    verdict = EX.grade(reference("5.3.2").replaced(mc_dropout_predict=_mc_with(lambda n: n, column=True)), seed,
                       only=["Monte Carlo dropout"])
    assert_fails(verdict, "one mean and one spread per row", "(len(x), 1)")


def test_5_3_2_rejects_monte_carlo_memoised_by_shape(reference, seed):
    """State between calls: the estimate of the first X of a shape comes back for the next one."""
    memo, right = {}, _mc_with(lambda n: n)

    def mc_dropout_predict(model, X, n_samples):
        if X.shape not in memo:
            memo[X.shape] = right(model, X, n_samples)
        return memo[X.shape]
    verdict = EX.grade(reference("5.3.2").replaced(mc_dropout_predict=mc_dropout_predict), seed, only=["Monte Carlo dropout"])
    assert_fails(verdict, "mc_dropout_predict honours n_samples", "earlier call")


def _network(n_features, mean_target, *, rate=0.3, skip=False, activation="relu"):
    inputs = keras.Input(shape=(n_features,))
    x = keras.layers.Dropout(rate)(keras.layers.Dense(128, activation=activation)(inputs))
    x = keras.layers.Dropout(rate)(keras.layers.Dense(64, activation=activation)(x))
    if skip:
        x = keras.layers.Concatenate()([x, keras.layers.Dense(16, activation="relu")(inputs)])
    model = keras.Model(inputs, keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(mean_target))(x))
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def test_5_3_2_rejects_a_path_around_the_dropout_a_rate_of_zero_and_linear_hidden_layers(reference, seed):
    """The concept missed while the metric is met: a skip branch with no dropout, Dropout layers that drop nothing,
    hidden layers without activation."""
    ref = reference("5.3.2")
    only = ["the network"]
    verdict = EX.grade(ref.replaced(build_dropout_network=lambda n, m: _network(n, m, skip=True)), seed, only=only)
    assert_fails(verdict, "every path from the inputs to the output passes a Dropout layer", "shortcut")
    verdict = EX.grade(ref.replaced(build_dropout_network=lambda n, m: _network(n, m, rate=0.0)), seed, only=only)
    assert_fails(verdict, "every Dropout layer drops units", "rate of 0")
    verdict = EX.grade(ref.replaced(build_dropout_network=lambda n, m: _network(n, m, activation=None)), seed, only=only)
    assert_fails(verdict, "network hidden non-linearities", "linear")
