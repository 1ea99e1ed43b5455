"""Exercise 5.1.4 -- Regression: Ames house prices with an MLP, reported as MSE, MAE and RMSE.

Goal: predict the sale price of real Ames, Iowa houses (2006-2010) from 259 preprocessed features,
and report the errors the way a client understands them: in dollars, beside a ridge-regression
baseline fit on the same split.

Steps:
1. ``build_model(n_features, mean_target)``: Input -> Dense(64, relu) -> Dense(32, relu) -> Dense(1)
   with NO activation on the output (a regression output is linear: a price can be any value). Give
   the hidden layers ``kernel_regularizer=keras.regularizers.L2(1e-3)`` (1,755 houses and 261
   features overfit fast; lesson 5.3 explains the penalty) and start the output at the average:
   ``bias_initializer=keras.initializers.Constant(mean_target)``. Compile with Adam (learning rate
   1e-3) and the mean squared error loss. The model learns log prices.
2. ``regression_errors(y_true, y_pred)``: MSE, MAE and RMSE computed with NumPy (not scikit-learn),
   returned as a dict with keys "mse", "mae", "rmse".
3. ``run()`` (given) trains with early stopping on validation loss, converts test predictions back to
   dollars, and reports the errors of the MLP and of the ridge baseline.

Targets the grader checks (seeds 0-4):
- test RMSE in dollars <= 26,000 and test MAE in dollars <= 17,000 (a ridge regression on the same
  split: 20,972 and 14,245);
- RMSE of the log price <= 0.14;
- the output layer is Dense(1) with a linear activation, the hidden layers use ReLU, the loss is MSE;
- ``regression_errors`` equals scikit-learn's ``mean_squared_error``/``mean_absolute_error`` (and
  RMSE is the square root of MSE) on the returned predictions.

Hints: a ReLU or sigmoid output cannot produce every value a price needs. RMSE punishes the few very
expensive houses the model misses more than MAE does, so RMSE >= MAE always.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
from sklearn.linear_model import Ridge

import data
from coursekit.training import fit_early_stopping, predict


def build_model(n_features: int, mean_target: float) -> keras.Model:
    """Input -> Dense(64, relu) -> Dense(32, relu) -> Dense(1) (linear, starting at the mean), compiled with MSE."""
    # TODO: Input(shape=(n_features,)) -> Dense(64, "relu") -> Dense(32, "relu") -> Dense(1)
    # (no activation: linear output). Hidden layers: kernel_regularizer=keras.regularizers.L2(1e-3).
    # Output: bias_initializer=keras.initializers.Constant(mean_target).
    # Compile with Adam(1e-3), loss="mse", steps_per_execution=32.
    raise NotImplementedError(
        "build_model: Input -> Dense(64, relu) -> Dense(32, relu) -> Dense(1) with a linear output, compiled with MSE"
    )


def regression_errors(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Mean squared error, mean absolute error and root mean squared error, with NumPy."""
    # TODO: errors = y_pred - y_true; mse = mean of squares, mae = mean of absolute values,
    # rmse = square root of mse. Return {"mse": ..., "mae": ..., "rmse": ...} as floats.
    raise NotImplementedError("regression_errors: compute mse, mae and rmse with NumPy and return them in a dict")


def run(seed: int = 0) -> dict:
    """Train on Ames log prices; return the MLP's and ridge's test errors in dollars and in logs."""
    coursekit.set_seed(seed)
    houses = data.prepare_housing()
    model = build_model(houses.n_features, float(houses.y_train.mean()))
    history = fit_early_stopping(
        model, houses.X_train, houses.y_train, houses.X_val, houses.y_val,
        monitor="val_loss", mode="min", patience=10, epochs=200, batch_size=32,
    )
    log_pred = predict(model, houses.X_test)
    dollars_true, dollars_pred = data.to_dollars(houses.y_test), data.to_dollars(log_pred)
    mlp = regression_errors(dollars_true, dollars_pred)

    ridge = Ridge(alpha=3.0).fit(houses.X_train, houses.y_train)
    baseline = regression_errors(dollars_true, data.to_dollars(ridge.predict(houses.X_test)))
    return {
        "test_rmse_dollars": mlp["rmse"],
        "test_mae_dollars": mlp["mae"],
        "test_mse_dollars": mlp["mse"],
        "test_rmse_log": regression_errors(houses.y_test, log_pred)["rmse"],
        "ridge_rmse_dollars": baseline["rmse"],
        "ridge_mae_dollars": baseline["mae"],
        "epochs": len(history.epoch),
        "model": model,
        "y_true_dollars": dollars_true,
        "y_pred_dollars": dollars_pred,
    }


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Ames house prices", run(args.seed), "5.1.4")
