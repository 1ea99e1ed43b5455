"""Wrong answers to exercise 5.1.4: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_1_4.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_1_4 import EX
from coursekit.graders.lesson_5_1 import mlp
from coursekit.grading import assert_fails


def test_5_1_4_rejects_rmse_without_the_root_and_mae_without_abs(reference, seed):
    ref = reference("5.1.4")

    def no_root(y_true, y_pred):
        err = np.asarray(y_pred, float) - np.asarray(y_true, float)
        return {"mse": np.mean(err**2), "mae": np.mean(np.abs(err)), "rmse": np.mean(err**2)}

    def signed(y_true, y_pred):
        err = np.asarray(y_pred, float) - np.asarray(y_true, float)
        return {"mse": np.mean(err**2), "mae": abs(np.mean(err)), "rmse": np.sqrt(np.mean(err**2))}

    assert_fails(EX.grade(ref.replaced(regression_errors=no_root), seed, only=["error metrics"]), "regression_errors rmse", "square root")
    assert_fails(EX.grade(ref.replaced(regression_errors=signed), seed, only=["error metrics"]), "regression_errors mae", "both signs")


def test_5_1_4_rejects_a_sigmoid_output_and_an_overfitting_network(reference, seed):
    ref = reference("5.1.4")
    sigmoid = ref.replaced(build_price_model=lambda n, m: mlp(n, [32, 16], 1, "sigmoid", loss="mse"))
    assert_fails(EX.grade(sigmoid, seed, only=["price model"]), "price model output layer", "no activation")

    def unpenalised(n, mean_target):  # measured over seeds 0-4: $25,576-31,734
        model = mlp(n, [64, 32], 1, None, loss="mse")
        model.layers[-1].bias.assign([mean_target])
        return model

    assert_fails(EX.grade(ref.replaced(build_price_model=unpenalised), seed, only=["price model"]), "test_rmse_dollars", "memorises")


def test_5_1_4_rejects_errors_memoised_by_length(reference, seed):
    """State between calls: the errors of the first arrays of a length come back for the next ones."""
    import numpy as np

    memo = {}

    def regression_errors(y_true, y_pred):
        d = y_true - y_pred
        return memo.setdefault(len(d), {"mse": np.mean(d**2), "mae": np.mean(abs(d)), "rmse": np.sqrt(np.mean(d**2))})
    wrong = reference("5.1.4").replaced(regression_errors=regression_errors)
    assert_fails(EX.grade(wrong, seed, only=["error metrics"]), "regression_errors mse", "squared")


def test_5_1_4_rejects_errors_that_overwrite_the_predictions(reference, seed):
    """Arguments changed in place: the residuals written into the caller's predictions."""
    import numpy as np

    def regression_errors(y_true, y_pred):
        y_pred -= y_true
        return {"mse": np.mean(y_pred**2), "mae": np.mean(abs(y_pred)), "rmse": np.sqrt(np.mean(y_pred**2))}
    wrong = reference("5.1.4").replaced(regression_errors=regression_errors)
    assert_fails(EX.grade(wrong, seed, only=["error metrics"]), "regression_errors runs", "in place")
