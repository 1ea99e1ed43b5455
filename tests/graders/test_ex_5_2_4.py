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
