"""Exercise 5.1.2 -- Hidden activations: ReLU vs tanh vs sigmoid on churn.

Goal: train the same two-hidden-layer MLP (32-16) on the Telco churn table three times, changing
only the hidden layers' activation, and compare how fast each learns and how well it ranks
churners on the test split.

Steps:
1. ``build_model(n_features, activation)``: Input -> Dense(32, activation) -> Dense(16, activation)
   -> Dense(1, sigmoid). The OUTPUT stays sigmoid whatever the hidden activation: it must give a
   probability. Compile with Adam (learning rate 1e-3), binary cross-entropy and ``AUC(name="auc")``.
2. ``run()`` (given) trains one model per activation with early stopping on validation AUC and
   reports each model's test AUC, its validation loss after the first epoch and its best epoch.

Targets the grader checks (seeds 0-4):
- test ROC AUC >= 0.825 for each of relu, tanh and sigmoid;
- the hidden layers use the requested activation, the output is Dense(1, sigmoid);
- learning speed: after one epoch the ReLU network's validation loss is below the sigmoid
  network's (sigmoid units saturate and pass small gradients, so they start slowly).

Hints: ``keras.layers.Dense(32, activation=activation)`` takes the activation's name as a string.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import fit_early_stopping, predict

ACTIVATIONS = ["relu", "tanh", "sigmoid"]


def build_model(n_features: int, activation: str) -> keras.Model:
    """Input -> Dense(32, activation) -> Dense(16, activation) -> Dense(1, sigmoid), compiled."""
    # TODO: build the Sequential model above (the hidden layers use `activation`, the output
    # is always Dense(1, activation="sigmoid")), compile it with Adam(1e-3), "binary_crossentropy",
    # metrics=[keras.metrics.AUC(name="auc")] and steps_per_execution=32, and return it.
    raise NotImplementedError(
        "build_model: Input -> Dense(32, activation) -> Dense(16, activation) -> Dense(1, 'sigmoid'), "
        "compiled with Adam(1e-3), binary cross-entropy and AUC(name='auc')"
    )


def run(seed: int = 0) -> dict:
    """One model per hidden activation; returns test AUC, first-epoch validation loss and best epoch."""
    churn = data.prepare_churn()
    result = {}
    for activation in ACTIVATIONS:
        coursekit.set_seed(seed)
        model = build_model(churn.n_features, activation)
        history = fit_early_stopping(
            model, churn.X_train, churn.y_train, churn.X_val, churn.y_val,
            monitor="val_auc", mode="max", patience=6, batch_size=64,
        )
        val_auc = history.history["val_auc"]
        result[f"test_auc_{activation}"] = roc_auc_score(churn.y_test, predict(model, churn.X_test))
        result[f"val_loss_epoch1_{activation}"] = history.history["val_loss"][0]
        result[f"best_epoch_{activation}"] = val_auc.index(max(val_auc)) + 1
        result[f"{activation}_model"] = model
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Hidden activations on churn", run(args.seed), "5.1.2")
