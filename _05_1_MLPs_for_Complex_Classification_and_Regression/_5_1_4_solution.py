"""Exercise 5.1.4 -- Regression: Ames house prices, and the errors a client understands.

Goal: predict the sale price of real Ames, Iowa houses (2006-2010) from 261 preprocessed inputs
with an MLP that learns log prices, and write the error measures that report it in dollars.
Read first: README.md sections 5 (the Keras workflow) and 7 (log targets, the output bias, the
L2 weight penalty); demo_housing_regressor.py

Your decisions: the network (widths, activations, anything that keeps it from memorising 1,755
training sales), its output layer, the loss and the optimizer. ``mean_target`` is the mean log
price of the training sales, yours to use or not.

What the rubric does and measures (you do not write any of it):
- calls ``regression_errors`` on values you have not seen and compares with scikit-learn;
- checks your output layer and loss, trains the network with your optimizer and loss on log
  prices (at most 200 epochs, batch 32, early stopping on the validation loss, best epoch
  restored) and scores the test split itself: RMSE <= $25,000 in dollars and <= 0.15 in log
  price; it prints the MAE and a ridge regression (alpha chosen on validation) beside them.

Run this file to see what the rubric measures; ``course check 5.1.4`` records the verdict and
``course hint 5.1.4`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


def regression_errors(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Mean squared error, mean absolute error and root mean squared error, with NumPy:
    a dict with the keys "mse", "mae" and "rmse"."""
    errors = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    mse = float(np.mean(errors**2))
    return {"mse": mse, "mae": float(np.mean(np.abs(errors))), "rmse": float(np.sqrt(mse))}


def build_price_model(n_features: int, mean_target: float) -> keras.Model:
    """A compiled network that predicts the log sale price from the preprocessed inputs."""
    penalty = keras.regularizers.L2(1e-3)
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(32, activation="relu", kernel_regularizer=penalty),
            keras.layers.Dense(16, activation="relu", kernel_regularizer=penalty),
            keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(mean_target)),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    return model


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
