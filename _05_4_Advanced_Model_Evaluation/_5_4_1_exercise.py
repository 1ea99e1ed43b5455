"""Exercise 5.4.1 -- Confusion matrix, precision, recall and F1 by hand.

Goal: compute the four cells of the confusion matrix and the metrics built on them with plain
NumPy, from the predictions of a real churn MLP on the test split, and see that they equal
scikit-learn's. Reading the cells as business outcomes: a true positive is a churner we caught,
a false positive a loyal customer we bothered with an offer, a false negative a customer we lost
without trying, a true negative a loyal customer left in peace.

Steps:
1. ``confusion_counts(y_true, y_pred)``: a dict ``{"tn", "fp", "fn", "tp"}`` of Python ints
   (1 = churn is the positive class).
2. ``precision(counts)``: of the customers we flagged, the share who churn, tp / (tp + fp).
   ``recall(counts)``: of the customers who churn, the share we flagged, tp / (tp + fn).
   Both return 0.0 when their denominator is 0 (scikit-learn's ``zero_division`` behaviour).
3. ``f_beta(p, r, beta)``: (1 + beta^2) p r / (beta^2 p + r), 0.0 when p = r = 0. beta = 1 is F1;
   beta = 2 weighs recall more (a missed churner costs more than a false alarm).
4. ``run()`` (given) takes the lesson's churn MLP (``_models_5_4.train_churn_mlp``), predicts
   "churn" when the probability is >= 0.5, and reports your numbers.

Targets the grader checks (seeds 0-4):
- tn, fp, fn, tp equal ``sklearn.metrics.confusion_matrix(y_true, y_pred).ravel()``;
- precision, recall, F1, F2 and accuracy equal scikit-learn's within 1e-12;
- the predictions are the real model's: the test labels, ``y_pred == (scores >= 0.5)``, and the
  scores' test ROC AUC >= 0.82 (measured 0.839-0.843).

Hints: ``np.sum((y_true == 1) & (y_pred == 1))`` counts true positives. Precision looks along the
predicted-positive column of the matrix, recall along the actual-positive row; swapping them is
the classic mistake (and the grader catches it).
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import numpy as np  # noqa: F401  (your code needs it)
from sklearn.metrics import roc_auc_score

from _models_5_4 import train_churn_mlp


def confusion_counts(y_true, y_pred) -> dict:
    """The four cells of the binary confusion matrix as ints: tn, fp, fn, tp."""
    # TODO: count the four cells with boolean masks, e.g. tp = np.sum((y_true == 1) & (y_pred == 1));
    # return them as Python ints in a dict with the keys tn, fp, fn, tp.
    raise NotImplementedError(
        'confusion_counts: count tn, fp, fn, tp with NumPy masks on y_true and y_pred and return them in a dict of ints'
    )


def precision(counts: dict) -> float:
    """tp / (tp + fp): how many of the flagged customers really churn (0.0 if none is flagged)."""
    # TODO: tp / (tp + fp), and 0.0 when nothing was flagged.
    raise NotImplementedError(
        "precision: return counts['tp'] / (counts['tp'] + counts['fp']) (0.0 when the denominator is 0)"
    )


def recall(counts: dict) -> float:
    """tp / (tp + fn): how many of the churners we flagged (0.0 if there is no churner)."""
    # TODO: tp / (tp + fn), and 0.0 when there is no churner.
    raise NotImplementedError(
        "recall: return counts['tp'] / (counts['tp'] + counts['fn']) (0.0 when the denominator is 0)"
    )


def f_beta(p: float, r: float, beta: float = 1.0) -> float:
    """The weighted harmonic mean of precision and recall; beta > 1 favours recall."""
    # TODO: (1 + beta**2) * p * r / (beta**2 * p + r), and 0.0 when the denominator is 0.
    raise NotImplementedError(
        'f_beta: return (1 + beta**2) * p * r / (beta**2 * p + r), 0.0 when p and r are both 0'
    )


def run(seed: int = 0) -> dict:
    """Evaluate the churn MLP's test predictions at threshold 0.5 with your functions."""
    trained = train_churn_mlp(seed)
    y_true = trained.churn.y_test.astype(int)
    scores = trained.p_test
    y_pred = (scores >= 0.5).astype(int)
    counts = confusion_counts(y_true, y_pred)
    p, r = precision(counts), recall(counts)
    return {
        **counts,
        "precision": p,
        "recall": r,
        "f1": f_beta(p, r, 1.0),
        "f2": f_beta(p, r, 2.0),
        "accuracy": (counts["tp"] + counts["tn"]) / sum(counts.values()),
        "test_auc": roc_auc_score(y_true, scores),
        "y_true": y_true,
        "y_pred": y_pred,
        "scores": scores,
    }


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Confusion matrix and precision/recall/F1 by hand", run(args.seed), "5.4.1")
