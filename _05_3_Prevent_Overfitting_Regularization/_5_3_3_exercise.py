"""Exercise 5.3.3 -- L1 on the first layer selects features: real churn columns vs pure noise.

Goal: append 20 columns of pure standard-normal noise to the 40 churn features and train an MLP
whose FIRST layer carries an L1 penalty (``keras.regularizers.L1(0.01)``). L1 pushes the weights
of inputs that do not pay for themselves to (nearly) zero; the noise columns should end up with
far smaller weights than the real features the network relies on, while the test ROC AUC stays
close to a model without noise.

Steps:
1. ``build_model(n_features, l1=0.01)``: Input -> Dense(32, relu, kernel_regularizer=L1(l1)) ->
   Dense(16, relu, kernel_regularizer=L2(1e-3)) -> Dense(1, sigmoid). (The small L2 on the
   second layer stops the network from shrinking layer 1 and growing layer 2 to dodge the L1.)
   Return ``_compile(model)``.
2. ``input_importance(model)``: one number per input column, the mean absolute weight of the
   first Dense layer's kernel row of that input (the kernel has shape (n_inputs, units)).
3. ``run()`` (given) adds the noise columns, trains with early stopping on the validation AUC,
   scores the test split once and compares the noise columns' importance with the real ones'.

Targets the grader checks (seeds 0-4):
- ``noise_to_signal <= 0.3``: the mean importance of the 20 noise columns divided by the mean
  importance of the 10 strongest real features;
- no noise column among the 10 most important inputs (``noise_in_top10 == 0``);
- test ROC AUC >= 0.825;
- the first Dense layer has an L1 kernel regularizer with a positive factor.

Hints: ``layer.kernel`` (or ``layer.get_weights()[0]``) is the (inputs x units) matrix;
``np.abs(W).mean(axis=1)`` averages over units. Many real columns are one-hot levels that repeat
one another (six services share a "No internet service" level), so L1 keeps one of such a set
and zeroes the rest: compare the noise with the strongest real features, not with all 40.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from _lesson53 import add_noise_columns
from coursekit.training import fit_early_stopping, predict

L1_FACTOR = 0.01
N_NOISE = 20
TOP_K = 10
EPOCHS = 60


def _compile(model: keras.Model) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
        steps_per_execution=32,
    )
    return model


def build_model(n_features: int, l1: float = L1_FACTOR) -> keras.Model:
    """Dense(32, relu) with an L1 kernel penalty, Dense(16, relu) with a small L2, sigmoid output."""
    # TODO: keras.Sequential of keras.Input(shape=(n_features,)),
    # Dense(32, relu, kernel_regularizer=keras.regularizers.L1(l1)),
    # Dense(16, relu, kernel_regularizer=keras.regularizers.L2(1e-3)), Dense(1, sigmoid);
    # return _compile(model).
    raise NotImplementedError(
        "build_model: Input -> Dense(32, relu, kernel_regularizer=L1(l1)) -> Dense(16, relu, L2(1e-3)) "
        "-> Dense(1, sigmoid), then return _compile(model)"
    )


def input_importance(model: keras.Model) -> np.ndarray:
    """Mean absolute first-layer weight of each input column (shape: n_inputs)."""
    # TODO: take the first keras.layers.Dense layer of model.layers, its kernel W (inputs x units),
    # and return np.abs(W).mean(axis=1).
    raise NotImplementedError(
        "input_importance: return np.abs(first Dense layer's kernel).mean(axis=1), one value per input"
    )


def run(seed: int = 0) -> dict:
    """Churn + 20 noise columns, L1 on the first layer; return the importance ratio and test AUC."""
    coursekit.set_seed(seed)
    churn = data.prepare_churn()
    rng = np.random.default_rng(seed)
    X_train, X_val, X_test = (add_noise_columns(X, N_NOISE, rng) for X in (churn.X_train, churn.X_val, churn.X_test))
    names = churn.feature_names + [f"noise_{i}" for i in range(N_NOISE)]

    model = build_model(X_train.shape[1])
    history = fit_early_stopping(
        model, X_train, churn.y_train, X_val, churn.y_val,
        monitor="val_auc", mode="max", patience=10, batch_size=256, epochs=EPOCHS,
    )
    importance = np.asarray(input_importance(model), dtype=float)
    n_real = churn.n_features
    real, noise = importance[:n_real], importance[n_real:]
    top = np.argsort(-importance)[:TOP_K]
    return {
        "test_auc": roc_auc_score(churn.y_test, predict(model, X_test)),
        "noise_to_signal": float(noise.mean() / np.sort(real)[-TOP_K:].mean()),
        "noise_to_all_real": float(noise.mean() / real.mean()),
        "noise_in_top10": int(np.sum(top >= n_real)),
        "epochs": len(history.epoch),
        "top_features": [names[i] for i in top],
        "importance": importance,
        "model": model,
    }


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    result = run(args.seed)
    coursekit.print_metrics("L1 feature selection: churn + 20 noise columns", result, "5.3.3")
    print("\n10 most important inputs:", ", ".join(result["top_features"]))
