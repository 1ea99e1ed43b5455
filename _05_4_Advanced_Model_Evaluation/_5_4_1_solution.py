"""Exercise 5.4.1 -- Metrics by hand: confusion counts, precision, recall, F-beta, ROC points, AP.

Goal: write the metrics of a yes/no classifier with NumPy so that they equal scikit-learn's on
inputs you have not seen, including the cases where a metric has nothing to count.
Read first: README.md sections 2 (the confusion matrix), 3 (precision, recall, F-beta, division
by zero) and 4 (ROC curve, average precision, tied scores); demo_churn_report.py

Class 1 (churn) is the positive class. ``y_true`` and ``y_pred`` hold 0/1 labels and decisions;
``scores`` hold real numbers, higher meaning "more likely positive", and may be tied.

- ``confusion_counts``: the four cells of the confusion matrix.
- ``precision_recall_f``: precision, recall and F-beta (recall weighs beta times as much as
  precision); each is 0.0 when what it divides by is 0 (scikit-learn's ``zero_division=0``).
- ``roc_points``: the ROC curve as (fpr, tpr): (0, 0) first, then one point per distinct score
  from the highest down, where the point of score s flags every case scored >= s. A ROC curve
  needs both classes: raise ValueError when ``y_true`` holds only one.
- ``average_precision``: over the same distinct scores, the sum of (the recall gained at that
  score) x (the precision there); 0.0 when there is no positive.

What the rubric does and measures (you do not write any of it): it calls each function on 20
hidden cases -- labels of several sizes, no positive, no negative, nothing or everything flagged,
one case, scores with many ties or one single value; F-beta at the default beta and at others --
each call on fresh copies, the first case asked again at the end (an answer must not depend on an
earlier call), and compares with scikit-learn's ``confusion_matrix``, ``precision_score``,
``recall_score``, ``fbeta_score``, ``roc_curve`` (``drop_intermediate=False``) and
``average_precision_score``, to within 1e-09, in the types promised: Python ints for the counts,
two 1-D float arrays for the ROC points.

Run this file to see what the rubric measures; ``course check 5.4.1`` records the verdict and
``course hint 5.4.1`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np


def confusion_counts(y_true, y_pred) -> dict:
    """{"tn": ..., "fp": ..., "fn": ..., "tp": ...}, each a Python int."""
    # TODO: count each pairing of what was true and what was decided.
    truth = np.asarray(y_true).astype(int).ravel()
    said = np.asarray(y_pred).astype(int).ravel()
    return {"tn": int(np.sum((truth == 0) & (said == 0))), "fp": int(np.sum((truth == 0) & (said == 1))),
            "fn": int(np.sum((truth == 1) & (said == 0))), "tp": int(np.sum((truth == 1) & (said == 1)))}


def precision_recall_f(counts: dict, beta: float = 1.0) -> dict:
    """{"precision": ..., "recall": ..., "f": ...} from the counts; "f" is F-beta."""
    # TODO: the three ratios, with 0.0 where a denominator is 0.
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    flagged, positives = tp + fp, tp + fn
    precision = tp / flagged if flagged else 0.0
    recall = tp / positives if positives else 0.0
    weight = beta**2
    f = (1 + weight) * precision * recall / (weight * precision + recall) if precision + recall else 0.0
    return {"precision": float(precision), "recall": float(recall), "f": float(f)}


def roc_points(y_true, scores) -> tuple:
    """(fpr, tpr): float arrays from (0, 0) to (1, 1), one point per distinct score, highest first."""
    # TODO: sweep the threshold down through the distinct scores; tied cases enter together.
    truth = np.asarray(y_true).astype(int).ravel()
    values = np.asarray(scores, dtype=np.float64).ravel()
    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("a ROC curve needs positive and negative cases")
    order = np.argsort(-values, kind="mergesort")
    values, truth = values[order], truth[order]
    ends = np.r_[np.flatnonzero(np.diff(values)), len(values) - 1]  # last case of each run of equal scores
    tp = np.cumsum(truth)[ends]
    fp = ends + 1 - tp
    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos]


def average_precision(y_true, scores) -> float:
    """Sum over distinct scores, highest first, of (recall gained) x (precision at that score)."""
    # TODO: the same sweep; a step sum, one step per distinct score.
    truth = np.asarray(y_true).astype(int).ravel()
    values = np.asarray(scores, dtype=np.float64).ravel()
    n_pos = int(truth.sum())
    if n_pos == 0:
        return 0.0
    order = np.argsort(-values, kind="mergesort")
    values, truth = values[order], truth[order]
    ends = np.r_[np.flatnonzero(np.diff(values)), len(values) - 1]
    tp = np.cumsum(truth)[ends]
    precision = tp / (ends + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
