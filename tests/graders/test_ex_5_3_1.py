"""Wrong answers of exercise 5.3.1 (an L1 penalty as feature selection).

Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.
A wrong answer runs only the parts it concerns; the grader's own baselines are cached per seed and
process."""

from __future__ import annotations

import keras
import numpy as np

from coursekit.graders.ex_5_3_1 import EX
from coursekit.grading import assert_fails


def _selector_network(n_features: int, first_penalty) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(n_features,)),
                              keras.layers.Dense(32, activation="relu", kernel_regularizer=first_penalty),
                              keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def test_5_3_1_rejects_l2_instead_of_l1(reference, seed):
    wrong = reference("5.3.1").replaced(build_selector=lambda n: _selector_network(n, keras.regularizers.L2(0.01)))
    verdict = EX.grade(wrong, seed, only=["the selecting network"])
    assert_fails(verdict, "L1 penalty on the first layer's kernel", "l2 only shrinks")


def test_5_3_1_rejects_a_penalty_too_weak(reference, seed):
    wrong = reference("5.3.1").replaced(build_selector=lambda n: _selector_network(n, keras.regularizers.L1(1e-4)))  # 0.77-0.87
    verdict = EX.grade(wrong, seed, only=["the selecting network"])
    assert_fails(verdict, "noise share", "strong enough")
    assert "L1 penalty on the first layer's kernel" not in verdict.failed_names(), verdict.report()


def _importance_of(model) -> np.ndarray:
    first = next(layer for layer in model.layers if isinstance(layer, keras.layers.Dense))
    return np.abs(np.asarray(first.kernel)).mean(axis=1)


def test_5_3_1_rejects_selecting_nonzero_weights_and_a_fixed_number(reference, seed):
    ref = reference("5.3.1")
    nonzero = ref.replaced(selected_inputs=lambda model: np.flatnonzero(_importance_of(model) > 0))
    assert_fails(EX.grade(nonzero, seed, only=["reading the selection"]), "selected_inputs", "exactly 0")
    top_ten = ref.replaced(selected_inputs=lambda model: np.argsort(-_importance_of(model))[:10])
    assert_fails(EX.grade(top_ten, seed, only=["reading the selection"]), "selected_inputs", "fixed number")


def test_5_3_1_rejects_a_penalty_set_after_the_layer_is_built(reference, seed):
    """A configuration the code ignores: the attribute says L1, but Keras never adds it to the loss."""
    def build_selector(n):
        model = _selector_network(n, None)
        model.layers[0].kernel_regularizer = keras.regularizers.L1(0.01)
        return model
    verdict = EX.grade(reference("5.3.1").replaced(build_selector=build_selector), seed, only=["the selecting network"])
    assert_fails(verdict, "L1 penalty on the first layer's kernel", "after it is built")


def test_5_3_1_rejects_a_path_around_the_penalised_layer(reference, seed):
    """A shortcut: the inputs also reach the output through an unpenalised branch."""
    def build_selector(n):
        inputs = keras.Input(shape=(n,))
        kept = keras.layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L1(0.01))(inputs)
        wide = keras.layers.Dense(8, activation="relu")(inputs)
        both = keras.layers.Concatenate()([keras.layers.Dense(16, activation="relu")(kept), wide])
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(both))
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    verdict = EX.grade(reference("5.3.1").replaced(build_selector=build_selector), seed, only=["the selecting network"])
    assert_fails(verdict, "every path from the inputs passes the penalised first layer", "skips the penalised")


def test_5_3_1_rejects_an_absolute_cut_off(reference, seed):
    """A relative rule replaced by a fixed cut-off: right on weights of one scale, wrong on another's."""
    wrong = reference("5.3.1").replaced(selected_inputs=lambda model: np.flatnonzero(_importance_of(model) > 0.05))
    assert_fails(EX.grade(wrong, seed, only=["reading the selection"]), "selected_inputs", "fixed number", "scale")


def test_5_3_1_rejects_the_first_layer_taken_as_model_layers_0_and_float_indices(reference, seed):
    """The kernel read from the first layer whatever it is, and indices returned as floats (the dtype contract)."""
    def first_layer(model):
        return np.flatnonzero(np.abs(np.asarray(model.layers[0].get_weights()[0])).mean(axis=1) >= 0.01)
    verdict = EX.grade(reference("5.3.1").replaced(selected_inputs=first_layer), seed, only=["reading the selection"])
    assert {"selected_inputs", "selected_inputs runs"} & set(verdict.failed_names()), verdict.report()

    def as_floats(model):
        importance = _importance_of(model)
        return np.flatnonzero(importance >= 0.2 * importance.max()).astype(float)
    assert_fails(EX.grade(reference("5.3.1").replaced(selected_inputs=as_floats), seed, only=["reading the selection"]),
                 "selected_inputs", "integers")


def test_5_3_1_rejects_selected_inputs_memoised_by_input_count(reference, seed):
    """State between calls: the selection of the first network of a width comes back for the next one."""
    memo = {}

    def selected_inputs(model):
        importance = _importance_of(model)
        return memo.setdefault(len(importance), np.flatnonzero(importance >= 0.2 * importance.max()))
    verdict = EX.grade(reference("5.3.1").replaced(selected_inputs=selected_inputs), seed, only=["reading the selection"])
    assert_fails(verdict, "selected_inputs", "state")


def test_5_3_1_grades_the_logits_form_as_the_same_classifier(reference, seed):
    """Dense(1) with no activation and BinaryCrossentropy(from_logits=True) passes where a sigmoid is asked."""
    def build_selector(n):
        model = keras.Sequential([keras.Input(shape=(n,)),
                                  keras.layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L1(0.01)),
                                  keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True))
        return model
    verdict = EX.grade(reference("5.3.1").replaced(build_selector=build_selector), seed, only=["the selecting network"])
    assert not verdict.failures, verdict.report()
