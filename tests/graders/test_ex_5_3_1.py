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
