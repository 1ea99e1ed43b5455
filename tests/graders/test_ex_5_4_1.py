"""Wrong answers to exercise 5.4.1: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_1.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_1 import EX
from coursekit.grading import assert_fails


def _sorted_cases(y_true, scores):
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return np.asarray(y_true).astype(int)[order]


def test_5_4_1_rejects_swapped_precision_and_recall_and_an_unsquared_beta(reference, seed):
    ref = reference("5.4.1")
    right = ref.module.precision_recall_f

    def swapped(counts, beta=1.0):
        out = right(counts, beta)
        return {"precision": out["recall"], "recall": out["precision"], "f": out["f"]}

    def unsquared(counts, beta=1.0):
        out = right(counts, beta)
        p, r = out["precision"], out["recall"]
        return {**out, "f": (1 + beta) * p * r / (beta * p + r) if p + r else 0.0}

    verdict = EX.grade(ref.replaced(precision_recall_f=swapped), seed, only=["precision, recall and F-beta"])
    assert_fails(verdict, "precision", "swapping it with recall")
    assert_fails(verdict, "recall", "the share flagged")
    assert "F-beta" not in verdict.failed_names(), verdict.report()
    assert_fails(EX.grade(ref.replaced(precision_recall_f=unsquared), seed, only=["precision, recall and F-beta"]),
           "F-beta", "beta squared")


def test_5_4_1_rejects_a_roc_curve_that_ignores_ties_and_a_trapezoid_average_precision(reference, seed):
    ref = reference("5.4.1")

    def one_point_per_case(y_true, scores):  # a staircase whose shape depends on how the sort broke ties
        y = _sorted_cases(y_true, scores)
        if y.min() == y.max():
            raise ValueError("one class")
        tp, fp = np.cumsum(y), np.cumsum(1 - y)
        return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]]

    def trapezoid(y_true, scores):
        if np.sum(y_true) == 0:
            return 0.0
        from sklearn.metrics import auc, precision_recall_curve
        precision, recall, _ = precision_recall_curve(y_true, scores)
        return float(auc(recall, precision))

    assert_fails(EX.grade(ref.replaced(roc_points=one_point_per_case), seed, only=["ROC points"]), "roc_points", "together")
    assert_fails(EX.grade(ref.replaced(average_precision=trapezoid), seed, only=["average precision"]), "average_precision",
           "trapezoid")


def test_5_4_1_rejects_counts_memoised_by_length_and_numpy_counts(reference, seed):
    """State between calls (the counts of the first label array of a length come back for the next one of
    that length) and the type contract (NumPy integers where Python ints are promised)."""
    ref = reference("5.4.1")
    right, memo = ref.module.confusion_counts, {}

    def by_length(y_true, y_pred):
        return memo.setdefault(len(y_true), right(y_true, y_pred))

    def numpy_counts(y_true, y_pred):
        y, d = np.asarray(y_true), np.asarray(y_pred)
        return {"tn": np.sum((y == 0) & (d == 0)), "fp": np.sum((y == 0) & (d == 1)),
                "fn": np.sum((y == 1) & (d == 0)), "tp": np.sum((y == 1) & (d == 1))}

    assert_fails(EX.grade(ref.replaced(confusion_counts=by_length), seed, only=["confusion counts"]), "confusion_counts",
                 "no state between calls")
    assert_fails(EX.grade(ref.replaced(confusion_counts=numpy_counts), seed, only=["confusion counts"]), "confusion_counts",
                 "python ints")


def test_5_4_1_rejects_an_f_beta_that_ignores_beta(reference, seed):
    """An argument ignored: F1 whatever beta is asked (the precision and the recall are right)."""
    ref = reference("5.4.1")
    right = ref.module.precision_recall_f

    def always_f1(counts, beta=1.0):
        return right(counts)

    verdict = EX.grade(ref.replaced(precision_recall_f=always_f1), seed, only=["precision, recall and F-beta"])
    assert_fails(verdict, "F-beta", "argument beta is ignored", "with the beta given")
    assert {"precision", "recall"}.isdisjoint(verdict.failed_names()), verdict.report()


def test_5_4_1_rejects_roc_points_as_columns_or_lists(reference, seed):
    """The shape contract: (k,) float arrays, not (k, 1) columns nor lists."""
    ref = reference("5.4.1")
    right = ref.module.roc_points

    def columns(y_true, scores):
        fpr, tpr = right(y_true, scores)
        return fpr[:, None], tpr[:, None]

    def lists(y_true, scores):
        return tuple(list(a) for a in right(y_true, scores))

    for wrong in (columns, lists):
        assert_fails(EX.grade(ref.replaced(roc_points=wrong), seed, only=["ROC points"]), "roc_points", "shape (k,)")


def test_5_4_1_rejects_an_average_precision_memoised_by_length(reference, seed):
    ref = reference("5.4.1")
    right, memo = ref.module.average_precision, {}

    def by_length(y_true, scores):
        return memo.setdefault(len(y_true), right(y_true, scores))

    assert_fails(EX.grade(ref.replaced(average_precision=by_length), seed, only=["average precision"]), "average_precision",
                 "no state between calls")


def test_5_4_1_rejects_roc_points_that_sort_the_callers_arrays(reference, seed):
    """Arguments changed in place: the caller's labels and scores come back sorted by score."""
    ref = reference("5.4.1")
    right = ref.module.roc_points

    def sorts_in_place(y_true, scores):
        order = np.argsort(-scores, kind="stable")
        y_true[:], scores[:] = y_true[order], scores[order]
        return right(y_true, scores)

    assert_fails(EX.grade(ref.replaced(roc_points=sorts_in_place), seed, only=["ROC points"]), "roc_points runs", "in place")
