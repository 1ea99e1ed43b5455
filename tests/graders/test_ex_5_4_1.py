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
