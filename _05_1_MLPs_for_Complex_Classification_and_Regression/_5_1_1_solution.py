"""Exercise 5.1.1 -- Depth vs width on the Telco churn table.

Goal: compare a deep, narrowing MLP (three hidden layers 128-64-32) with a wide, shallow one
(one hidden layer of 100 neurons) on real churn data, at a comparable budget of weights.

Steps:
1. ``build_deep(n_features)``: Input -> Dense(128, relu) -> Dense(64, relu) -> Dense(32, relu)
   -> Dense(1, sigmoid). Compile with Adam, binary cross-entropy and an ``AUC`` metric named "auc".
2. ``build_wide(n_features)``: Input -> Dense(100, relu) -> Dense(1, sigmoid), compiled the same way.
3. ``run()`` (given) trains both with early stopping on the validation split (restoring the best
   epoch) and scores each on the test split once.

Targets the grader checks (seeds 0-4):
- test ROC AUC of each model >= 0.825 (a logistic regression on the same split reaches 0.843);
- the architectures: hidden widths [128, 64, 32] and [100], ReLU hidden layers, one sigmoid output;
- the parameter counts the Keras models report.

Hints: ``keras.Input(shape=(n_features,))`` fixes the input width, which comes from the
preprocessing (40 columns after one-hot encoding). Binary classification ends in ONE sigmoid unit.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import fit_early_stopping, predict


def _compile(model: keras.Model) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
        steps_per_execution=32,  # 32 batches per call into TensorFlow: 2-3x faster on a CPU
    )
    return model


def build_deep(n_features: int) -> keras.Model:
    """Three hidden ReLU layers, 128-64-32 (a pyramid), and one sigmoid output."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="deep",
    )
    return _compile(model)


def build_wide(n_features: int) -> keras.Model:
    """One hidden ReLU layer of 100 neurons and one sigmoid output."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="wide",
    )
    return _compile(model)


def run(seed: int = 0) -> dict:
    """Train both models on churn; return their validation and test AUCs and the models."""
    churn = data.prepare_churn()
    result = {}
    for name, build in [("deep", build_deep), ("wide", build_wide)]:
        coursekit.set_seed(seed)
        model = build(churn.n_features)
        history = fit_early_stopping(
            model, churn.X_train, churn.y_train, churn.X_val, churn.y_val,
            monitor="val_auc", mode="max", patience=6, batch_size=64,
        )
        result[f"val_auc_{name}"] = max(history.history["val_auc"])
        result[f"test_auc_{name}"] = roc_auc_score(churn.y_test, predict(model, churn.X_test))
        result[f"epochs_{name}"] = len(history.epoch)
        result[f"params_{name}"] = model.count_params()
        result[f"{name}_model"] = model
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Depth vs width on churn", run(args.seed), "5.1.1")
