"""Grader of exercise 5.1.4: regression -- Ames house prices, and the errors a client understands.

The grader owns the harness: it calls ``regression_errors`` on values the student has not seen and
compares with scikit-learn; it builds the student's price model, checks its output layer and loss,
trains it itself on log prices with the optimizer and loss the student compiled
(:func:`coursekit.graders.lesson_5_1.train`, early stopping on the validation loss) and scores the
test split itself, in dollars and in log price, next to a ridge regression whose alpha is chosen on
the validation split (:func:`ridge_baseline`, once per process). The student's functions see
training and validation data only. Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers) with a margin; the wrong answers in
``tests/graders/test_ex_5_1_4.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error

import coursekit
import data
from coursekit.grading import Exercise, is_compiled, is_model, loss_is, nonlinear_hidden, output_layer, prepared
from coursekit.grading import rubric_cache
from coursekit.training import predict

from .lesson_5_1 import train_or_fail

EX = Exercise("5.1.4", ("regression_errors", "build_price_model"),
              targets={"epochs": 200, "test RMSE in dollars": 25_000, "test RMSE in log price": 0.15})
RIDGE_ALPHAS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


@rubric_cache
def ridge_baseline() -> tuple[float, Ridge]:
    """Ridge regression with its alpha chosen on the validation split (the test split is not used)."""
    houses = prepared("housing")
    scores = {a: mean_squared_error(houses.y_val, Ridge(alpha=a).fit(houses.X_train, houses.y_train).predict(houses.X_val))
              for a in RIDGE_ALPHAS}
    alpha = min(scores, key=scores.get)
    return alpha, Ridge(alpha=alpha).fit(houses.X_train, houses.y_train)


@EX.part("error metrics", points=3)
def _errors(student, ctx, v):
    rng = np.random.default_rng(11)
    cases = [(np.array([3.0]), np.array([1.0])), (np.array([1, 2, 3]), np.array([2, 2, 5])),
             (rng.normal(size=40), rng.normal(size=40)), (rng.uniform(5e4, 5e5, 30), rng.uniform(5e4, 5e5, 30)),
             (rng.normal(2, 3, size=40), rng.normal(size=40))]
    for step, (y_true, y_pred) in enumerate([*cases, cases[0]]):  # the first once more: no state between calls
        again = " (asked again after the others: keep no state between calls)" if step == len(cases) else ""
        got = student.call("regression_errors", y_true.copy(), y_pred.copy())
        if not isinstance(got, dict) or not {"mse", "mae", "rmse"} <= set(got):
            v.check("regression_errors keys", False, sorted(got) if isinstance(got, dict) else type(got).__name__,
                    "a dict with mse, mae and rmse", "return the three errors in a dict under those keys")
            return
        mse, mae = mean_squared_error(y_true, y_pred), mean_absolute_error(y_true, y_pred)
        for key, want, hint in [("mse", mse, "the mean of the squared differences"),
                                ("mae", mae, "the mean of the absolute differences: errors of both signs count"),
                                ("rmse", np.sqrt(mse), "the square root of the MSE, back in the target's unit")]:
            try:
                value = float(got[key])
            except (TypeError, ValueError):
                value = float("nan")
            if not np.isclose(value, want, rtol=1e-6, atol=1e-9):
                v.check(f"regression_errors {key}", False, f"{value:.6g} for {len(y_true)} values{again}", f"{want:.6g}",
                        hint + again)
                return
    v.check("regression_errors", True, f"{len(cases)} cases", "scikit-learn's values", "")


@EX.part("price model", points=7)
def _price(student, ctx, v):
    houses = prepared("housing")
    coursekit.set_seed(ctx.seed)
    model = student.call("build_price_model", houses.n_features, float(houses.y_train.mean()))
    if not (is_model(v, "price model", model) and is_compiled(v, "price model", model)):
        return
    nonlinear_hidden(v, "price model", model)
    output_layer(v, "price model", model, 1, "linear", "a regression output has no activation: any real value must be reachable")
    loss_is(v, "price model", model, ("mse", "mae", "huber", "logcosh"), "a regression loss (MSE, MAE, Huber)",
          "a continuous target is fitted with a regression loss; cross-entropies are for class probabilities")
    if not train_or_fail(v, "price model", model, houses.X_train, houses.y_train, houses.X_val, houses.y_val,
                         seed=ctx.seed, epochs=EX.target("epochs"), batch_size=32, patience=10):
        return
    log_pred = predict(model, houses.X_test)
    dollars_true, dollars_pred = data.to_dollars(houses.y_test), data.to_dollars(log_pred)
    alpha, ridge = ridge_baseline()
    v.metric("ridge_alpha", alpha)
    v.metric("ridge_test_rmse_dollars", np.sqrt(mean_squared_error(dollars_true, data.to_dollars(ridge.predict(houses.X_test)))))
    # Measured over seeds 0-4 (solution: 32-16 ReLU with an L2 penalty of 1e-3): RMSE $20,367-21,627, MAE
    # $13,653-14,878, log RMSE 0.116-0.128 (ridge $20,972). A 64-32 network without a penalty: $25,576-29,728.
    v.at_most("test_rmse_dollars", np.sqrt(mean_squared_error(dollars_true, dollars_pred)), EX.target("test RMSE in dollars"),
              "1,755 houses and 261 inputs: a large network memorises the training sales. Watch the validation loss; "
              "a smaller network or a weight penalty generalises better. An output that starts at 0, far from the "
              "mean log price (about 12), has to be dragged there by the weights, which fights a penalty")
    v.at_most("test_rmse_log", np.sqrt(mean_squared_error(houses.y_test, log_pred)), EX.target("test RMSE in log price"),
              "the network learns log prices; its error on that scale is what the loss minimised")
    v.metric("test_mae_dollars", mean_absolute_error(dollars_true, dollars_pred))
