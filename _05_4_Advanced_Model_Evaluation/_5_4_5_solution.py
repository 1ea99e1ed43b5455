"""Exercise 5.4.5 -- Class weights when positives are rare.

Goal: make churn rare -- 5% of customers, as fraud or a disease is rare -- and see a plain MLP
learn to predict "no churn" for everyone: 95% accuracy and almost no churner caught. Then weight
the classes so each contributes equally to the loss, and measure what changes: recall at the
default threshold, precision, ROC AUC and average precision (the area under the PR curve).

Steps:
1. ``balanced_class_weights(y)``: ``{0: w0, 1: w1}`` with w_c = n / (2 * n_c) (n samples, n_c of
   class c): scikit-learn's "balanced" weights, as a dict of Python floats Keras accepts.
2. ``minority_metrics(y_true, scores, threshold)``: a dict with "recall", "precision" (of the
   rare class, at ``score >= threshold``), "roc_auc" and "average_precision" (scikit-learn's functions).
3. ``run()`` (given) trains the same small MLP twice on ``_models_5_4.rare_churn(0.05)`` -- without
   and with your weights -- with early stopping on validation AUC, and scores the test split once each.

Targets the grader checks (seeds 0-4):
- the weights equal ``compute_class_weight("balanced", ...)`` on the rare training labels;
- weighted recall at 0.5 >= 0.55 (measured 0.69-0.76; unweighted 0.00-0.04), a gain >= 0.4;
- the ranking holds: weighted ROC AUC >= 0.79 (measured 0.818-0.830) and no more than 0.03
  below the unweighted model's;
- your metrics equal scikit-learn's on the test scores ``run()`` returns.

Hints: class weights multiply each sample's loss; the rare class needs the LARGE weight.
Precision falls as recall rises: more customers are flagged. AUC hardly moves, because weighting
mostly shifts the scores up rather than reordering them -- which is why a threshold moved on
validation data is often an equally good fix.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

from _models_5_4 import rare_churn
from coursekit.training import predict


def _build_model(n_features: int) -> keras.Model:
    model = keras.Sequential(
        [keras.Input(shape=(n_features,)), keras.layers.Dense(32, activation="relu"),
         keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")], steps_per_execution=32)
    return model


def balanced_class_weights(y) -> dict:
    """{class: n / (2 * n_class)} for the classes 0 and 1."""
    y = np.asarray(y).astype(int)
    n = len(y)
    return {c: float(n / (2 * np.sum(y == c))) for c in (0, 1)}


def minority_metrics(y_true, scores, threshold: float = 0.5) -> dict:
    """Recall and precision of the positive class at a threshold, ROC AUC and average precision."""
    y_pred = (np.asarray(scores) >= threshold).astype(int)
    return {
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y_true, scores)),
        "average_precision": float(average_precision_score(y_true, scores)),
    }


def run(seed: int = 0) -> dict:
    """Train without and with balanced class weights on 5% churners; score the test split."""
    rare = rare_churn(0.05)
    weights = balanced_class_weights(rare.y_train)
    result = {
        "train_positive_rate": float(np.mean(rare.y_train)),
        "accuracy_always_no": float(np.mean(rare.y_test == 0)),
        "class_weights": weights,
        "y_test": rare.y_test.astype(int),
    }
    for name, class_weight in [("plain", None), ("weighted", weights)]:
        coursekit.set_seed(seed)
        model = _build_model(rare.n_features)
        stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=8, restore_best_weights=True)
        model.fit(rare.X_train, rare.y_train, validation_data=(rare.X_val, rare.y_val), epochs=60,
                  batch_size=128, class_weight=class_weight, callbacks=[stop], verbose=0)
        scores = predict(model, rare.X_test)
        for key, value in minority_metrics(rare.y_test, scores).items():
            result[f"{key}_{name}"] = value
        result[f"scores_{name}"] = scores
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Class weights on rare positives", run(args.seed), "5.4.5")
