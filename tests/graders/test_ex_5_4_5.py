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


def test_5_4_5_rejects_a_curve_that_ignores_n_bins_or_is_memoised_by_length(reference, seed):
    """An argument ignored (ten bins whatever n_bins says) and state between calls (a memo by size)."""
    ref = reference("5.4.5")
    right, memo = ref.module.reliability_curve, {}
    part = ["reliability curve and Brier score"]
    ten = ref.replaced(reliability_curve=lambda y_true, p, n_bins=10: right(y_true, p, 10))
    assert_fails(EX.grade(ten, seed, only=part), "reliability_curve", "argument n_bins is ignored")
    by_length = ref.replaced(reliability_curve=lambda y_true, p, n_bins=10:
                             memo.setdefault((len(p), n_bins), right(y_true, p, n_bins)))
    assert_fails(EX.grade(by_length, seed, only=part), "reliability_curve", "no state between calls")


def _platt(y_val, p_val):
    from sklearn.linear_model import LogisticRegression

    def logit(q):
        q = np.clip(np.asarray(q, dtype=np.float64).ravel(), 1e-6, 1 - 1e-6)
        return np.log(q / (1 - q))[:, None]

    return LogisticRegression().fit(logit(p_val), np.asarray(y_val).astype(int)), logit


def test_5_4_5_rejects_a_recalibration_kept_from_the_first_fit_or_shared_between_fits(reference, seed):
    """State between calls: the first fit's map returned for every later call; one model at module level
    refitted by every call (the maps returned before change); and a map that returns a column."""
    ref = reference("5.4.5")
    part = ["recalibration on validation data"]
    first = []

    def first_fit(y_val, p_val):
        if not first:
            model, logit = _platt(y_val, p_val)
            first.append(lambda q: model.predict_proba(logit(q))[:, 1])
        return first[0]

    assert_fails(EX.grade(ref.replaced(fit_recalibration=first_fit), seed, only=part),
                 "recalibration error on made-up data (the worse set)", "no state between calls")
    shared = {}

    def refitted(y_val, p_val):
        shared["model"], logit = _platt(y_val, p_val)
        return lambda q: shared["model"].predict_proba(logit(q))[:, 1]

    assert_fails(EX.grade(ref.replaced(fit_recalibration=refitted), seed, only=part),
                 "an earlier recalibration unchanged by a later fit", "module level")

    def column(y_val, p_val):
        model, logit = _platt(y_val, p_val)
        return lambda q: model.predict_proba(logit(q))[:, 1:]

    assert_fails(EX.grade(ref.replaced(fit_recalibration=column), seed, only=part), "the recalibration keeps the shape",
                 "(m, 1)")


def test_5_4_5_grades_isotonic_regression_as_a_recalibration(reference, seed):
    """A right answer other than the solution's Platt scaling passes: isotonic regression, clipped."""
    from sklearn.isotonic import IsotonicRegression

    def isotonic(y_val, p_val):
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(np.asarray(p_val), np.asarray(y_val))
        return lambda q: model.predict(np.asarray(q, dtype=np.float64))

    verdict = EX.grade(reference("5.4.5").replaced(fit_recalibration=isotonic), seed, only=["recalibration on validation data"])
    assert not verdict.failures, verdict.report()
