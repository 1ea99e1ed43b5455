"""Wrong answers to exercise 5.4.5: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_5.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_5 import EX
from coursekit.grading import assert_fails


def test_5_4_5_rejects_probabilities_left_as_they_are(reference, seed):
    wrong = reference("5.4.5").replaced(fit_recalibration=lambda y_val, p_val: (lambda p: np.asarray(p, dtype=np.float64)))
    assert_fails(EX.grade(wrong, seed, only=["recalibration on validation data"]), "test calibration error after",
           "threshold changes decisions, not probabilities")


def test_5_4_5_rejects_floor_binning_and_a_root_brier_score(reference, seed):
    ref = reference("5.4.5")

    def floor_bins(y_true, p, n_bins=10):
        y, p = np.asarray(y_true, dtype=np.float64), np.asarray(p, dtype=np.float64)
        bins = np.minimum(np.floor(p * n_bins).astype(int), n_bins - 1)
        kept = [k for k in range(n_bins) if np.any(bins == k)]
        return np.array([y[bins == k].mean() for k in kept]), np.array([p[bins == k].mean() for k in kept])

    root = ref.replaced(reliability_curve=floor_bins,
                        brier_score=lambda y, p: float(np.sqrt(np.mean((np.asarray(p) - np.asarray(y)) ** 2))))
    verdict = EX.grade(root, seed, only=["reliability curve and Brier score"])
    assert_fails(verdict, "reliability_curve", "floor(p * n_bins)")
    assert_fails(verdict, "brier_score", "square root")
