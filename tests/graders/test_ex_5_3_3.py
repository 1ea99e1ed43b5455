"""Wrong answers of exercise 5.3.3 (input scaling and batch normalization).

Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.
A wrong answer runs only the parts it concerns; the grader's own baselines are cached per seed and
process."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_3_3 import EX
from coursekit.grading import assert_fails


def _scale_by_own_rows(X_train):
    def scale(X):
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(all="ignore"):
            return ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    return scale


def test_5_3_3_rejects_scaling_by_the_rows_given_and_one_factor_for_all(reference, seed):
    ref = reference("5.3.3")
    verdict = EX.grade(ref.replaced(fit_scaler=_scale_by_own_rows), seed, only=["input scaling"])
    assert_fails(verdict, "a row is scaled the same alone or with others", "rows it is given")
    one_factor = ref.replaced(fit_scaler=lambda X_train: (lambda X, s=float(np.std(X_train)): np.asarray(X) / s))
    verdict = EX.grade(one_factor, seed, only=["input scaling"])
    assert_fails(verdict, "largest / smallest column spread of the scaled training rows", "one factor")
    assert_fails(verdict, "test_auc, scaled inputs", "its own scale")


def _bn_variant(*, batch_stats_at_inference=False, momentum_reversed=False, epsilon_outside=False):
    def batchnorm(x, state, training, momentum, epsilon):
        new_state = dict(state)
        if training or batch_stats_at_inference:
            mean, variance = x.mean(axis=0), x.var(axis=0)
        else:
            mean, variance = state["moving_mean"], state["moving_variance"]
        if training:
            keep = 1 - momentum if momentum_reversed else momentum
            new_state["moving_mean"] = keep * state["moving_mean"] + (1 - keep) * mean
            new_state["moving_variance"] = keep * state["moving_variance"] + (1 - keep) * variance
        scale = np.sqrt(variance) + epsilon if epsilon_outside else np.sqrt(variance + epsilon)
        return state["gamma"] * (x - mean) / scale + state["beta"], new_state
    return batchnorm


def test_5_3_3_rejects_batch_statistics_at_inference_a_reversed_momentum_and_epsilon_outside_the_root(reference, seed):
    ref = reference("5.3.3")
    only = ["BatchNormalization by hand"]
    verdict = EX.grade(ref.replaced(batchnorm=_bn_variant(batch_stats_at_inference=True)), seed, only=only)
    assert_fails(verdict, "inference-mode outputs", "moving statistics")
    assert not {"training-mode outputs", "moving statistics after a training call"} & set(verdict.failed_names()), verdict.report()
    verdict = EX.grade(ref.replaced(batchnorm=_bn_variant(momentum_reversed=True)), seed, only=only)
    assert_fails(verdict, "moving statistics after a training call", "weight of the past")
    verdict = EX.grade(ref.replaced(batchnorm=_bn_variant(epsilon_outside=True)), seed, only=only)
    assert_fails(verdict, "training-mode outputs", "inside the square root")


def test_5_3_3_rejects_batchnorm_that_updates_the_state_it_is_given(reference, seed):
    """Arguments changed in place: the caller's state dict gets the new moving statistics."""
    ref = reference("5.3.3")
    right = ref.module.batchnorm

    def batchnorm(x, state, training, momentum, epsilon):
        y, new = right(x, state, training, momentum, epsilon)
        state.update(new)
        return y, state
    verdict = EX.grade(ref.replaced(batchnorm=batchnorm), seed, only=["BatchNormalization by hand"])
    assert_fails(verdict, "batchnorm runs", "in place")


def test_5_3_3_rejects_batchnorm_that_ignores_the_epsilon_it_is_given(reference, seed):
    """An argument silently ignored: Keras's default epsilon whatever the caller passes."""
    ref = reference("5.3.3")
    right = ref.module.batchnorm
    verdict = EX.grade(ref.replaced(batchnorm=lambda x, state, training, momentum, epsilon: right(
        x, state, training, momentum, 1e-3)), seed, only=["BatchNormalization by hand"])
    assert_fails(verdict, "training-mode outputs", "epsilon")


def test_5_3_3_rejects_a_scaler_that_divides_a_constant_column_by_zero(reference, seed):
    """An edge case never asked on the churn table: a column with no spread in the training rows."""
    def fit_scaler(X_train):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        return lambda X: ((np.asarray(X, dtype=np.float64) - mean) / std).astype(np.float32)
    with np.errstate(all="ignore"):
        verdict = EX.grade(reference("5.3.3").replaced(fit_scaler=fit_scaler), seed, only=["input scaling"])
    assert_fails(verdict, "fit_scaler on hidden tables", "divided by 0")


def test_5_3_3_rejects_a_scaler_that_keeps_integers(reference, seed):
    """The dtype contract: the scaled values written back into an array like the input, integers truncated."""
    def fit_scaler(X_train):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)

        def scale(X):
            out = np.empty_like(X)
            out[...] = (X - mean) / std
            return out
        return scale
    verdict = EX.grade(reference("5.3.3").replaced(fit_scaler=fit_scaler), seed, only=["input scaling"])
    assert_fails(verdict, "fit_scaler on hidden tables", "floats")


def test_5_3_3_rejects_statistics_kept_from_the_first_fit(reference, seed):
    """State between calls: the statistics of the first table of a width are kept in a module-level dict."""
    fitted = {}

    def fit_scaler(X_train):
        std = X_train.std(axis=0)
        mean, std = fitted.setdefault(X_train.shape[1], (X_train.mean(axis=0), np.where(std > 0, std, 1.0)))
        return lambda X: ((np.asarray(X, dtype=np.float64) - mean) / std).astype(np.float32)
    verdict = EX.grade(reference("5.3.3").replaced(fit_scaler=fit_scaler), seed, only=["input scaling"])
    assert_fails(verdict, "fit_scaler on hidden tables", "learned from the training rows given")


def test_5_3_3_rejects_batchnorm_that_ignores_its_momentum_and_the_unbiased_variance(reference, seed):
    """An argument silently replaced by Keras's default, and a formula off by n / (n - 1)."""
    ref = reference("5.3.3")
    right = ref.module.batchnorm
    only = ["BatchNormalization by hand"]
    fixed = ref.replaced(batchnorm=lambda x, state, training, momentum, epsilon: right(x, state, training, 0.99, epsilon))
    assert_fails(EX.grade(fixed, seed, only=only), "batchnorm on hidden batches", "momentum is ignored")

    def unbiased(x, state, training, momentum, epsilon):
        if not training:
            return right(x, state, training, momentum, epsilon)
        ddof = x.var(axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
        new = dict(state)
        new["moving_mean"] = momentum * state["moving_mean"] + (1 - momentum) * x.mean(axis=0)
        new["moving_variance"] = momentum * state["moving_variance"] + (1 - momentum) * ddof
        return state["gamma"] * (x - x.mean(axis=0)) / np.sqrt(ddof + epsilon) + state["beta"], new
    assert_fails(EX.grade(ref.replaced(batchnorm=unbiased), seed, only=only), "batchnorm on hidden batches", "biased")


def test_5_3_3_rejects_a_raw_path_around_the_normalisation_and_linear_hidden_layers(reference, seed):
    """A shortcut that lets the raw inputs bypass BatchNormalization, and hidden layers without activation."""
    import keras

    def bypass(n):
        inputs = keras.Input(shape=(n,))
        normed = keras.layers.Dense(64, activation="relu")(keras.layers.BatchNormalization()(inputs))
        both = keras.layers.Concatenate()([normed, keras.layers.Dense(8, activation="relu")(inputs)])
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dense(32, activation="relu")(both)))
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model

    def linear(n):
        model = keras.Sequential([keras.Input(shape=(n,)), keras.layers.BatchNormalization(), keras.layers.Dense(64),
                                  keras.layers.Dense(32), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    ref = reference("5.3.3")
    only = ["BatchNormalization standardises the inputs"]
    assert_fails(EX.grade(ref.replaced(build_raw_input_network=bypass), seed, only=only),
                 "every path from the inputs passes the normalisation", "skips the normalisation")
    assert_fails(EX.grade(ref.replaced(build_raw_input_network=linear), seed, only=only),
                 "network hidden non-linearities", "linear")


def test_5_3_3_grades_the_logits_form_as_the_same_classifier(reference, seed):
    """Dense(1) with no activation and BinaryCrossentropy(from_logits=True) passes where a sigmoid is asked."""
    import keras

    def logits(n):
        model = keras.Sequential([keras.Input(shape=(n,)), keras.layers.BatchNormalization(),
                                  keras.layers.Dense(64, activation="relu"), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True))
        return model
    verdict = EX.grade(reference("5.3.3").replaced(build_raw_input_network=logits), seed,
                       only=["BatchNormalization standardises the inputs"])
    assert not verdict.failures, verdict.report()


def test_5_3_3_takes_min_max_scaling_as_a_scaler_learned_from_the_training_rows(reference, seed):
    """Another right answer: each column mapped to [0, 1] by its training minimum and range."""
    def fit_scaler(X_train):
        low, span = X_train.min(axis=0), np.ptp(X_train, axis=0)
        span = np.where(span > 0, span, 1.0)
        return lambda X: ((np.asarray(X, dtype=np.float64) - low) / span).astype(np.float32)
    verdict = EX.grade(reference("5.3.3").replaced(fit_scaler=fit_scaler), seed, only=["input scaling"])
    assert "fit_scaler on hidden tables" not in verdict.failed_names(), verdict.report()
