"""Grader of exercise 5.4.5: calibration -- a reliability curve, the Brier score, and a
recalibration.

The grader owns the harness: it calls ``reliability_curve`` and ``brier_score`` on hidden cases
(probabilities on the bin edges, empty bins, no positive, ...) and compares with scikit-learn's
``calibration_curve`` and ``brier_score_loss``; it calls ``fit_recalibration`` on the validation
predictions of a churn network it trained itself with churners weighted 3 times (its probabilities
are inflated on purpose; once per seed and process). The student's functions never receive the test
split: the grader applies the fitted recalibration to the test probabilities on its own and scores
the calibration error, the Brier score and the ROC AUC before and after. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the
wrong answers in ``tests/graders/test_ex_5_4_5.py`` show that the check aimed at each mistake fails
and that its hint names the mistake.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score

from coursekit.grading import as_float, Exercise, prepared, Student
from coursekit.training import predict

from .lesson_5_4 import fit_weighted, frozen

EX = Exercise("5.4.5", ("reliability_curve", "brier_score", "fit_recalibration"),
              targets={"hidden cases": 8, "tolerance": 1e-9, "calibration error": 0.04, "AUC drop": 0.01,
                       "churner weight": 3})


def _ece(y, p, n_bins: int = 10) -> float:
    """The rubric's expected calibration error: over 10 equal bins, the share of cases in each bin
    times the gap between its mean probability and its fraction of positives."""
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    bins = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], p)
    total = 0.0
    for k in np.unique(bins):
        inside = bins == k
        total += inside.mean() * abs(p[inside].mean() - y[inside].mean())
    return float(total)


@functools.lru_cache(maxsize=None)
def _weighted_predictions(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A churn network trained with churners weighted 3 times (15 passes, once per seed and process):
    its probabilities are inflated on purpose. (validation, test)."""
    churn = prepared("churn")
    weights = np.where(churn.y_train == 1, EX.target("churner weight"), 1.0)
    model = fit_weighted(churn.X_train, churn.y_train, weights, seed=seed, hidden=(64, 32), epochs=15)
    return frozen(predict(model, churn.X_val)), frozen(predict(model, churn.X_test))


def _probability_cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(5450)
    edges10, edges5 = np.linspace(0, 1, 11), np.linspace(0, 1, 6)
    return [
        ("500 uniform probabilities, 10 bins", rng.integers(0, 2, 500), rng.random(500), 10),
        ("probabilities on the 10 bin edges, 0 and 1 included", rng.integers(0, 2, 300), rng.choice(edges10, 300), 10),
        ("probabilities on the 5 bin edges", rng.integers(0, 2, 120), rng.choice(edges5, 120), 5),
        ("probabilities below 0.3 (empty upper bins)", rng.integers(0, 2, 200), 0.3 * rng.random(200), 10),
        ("7 bins", rng.integers(0, 2, 90), rng.random(90), 7),
        ("no positive", np.zeros(40, int), rng.random(40), 10),
        ("3 cases", np.array([1, 0, 1]), np.array([0.05, 0.5, 0.95]), 4),
        ("every probability 1", np.array([1, 1, 0, 1]), np.ones(4), 10),
    ]


@EX.part("reliability curve and Brier score", points=3)
def _reliability(student: Student, ctx, v):
    cases = _probability_cases()
    tol = EX.target("tolerance")
    curve_bad = brier_bad = None
    for name, y, p, n_bins in cases:
        if curve_bad is None:
            got = student.call("reliability_curve", y.copy(), p.copy(), n_bins)
            fraction, mean = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
            try:
                mine = [np.asarray(a, dtype=np.float64).ravel() for a in got]
            except (TypeError, ValueError):
                mine = []
            if len(mine) != 2 or not (mine[0].shape == fraction.shape and np.allclose(mine[0], fraction, rtol=0, atol=tol)
                                      and mine[1].shape == mean.shape and np.allclose(mine[1], mean, rtol=0, atol=tol)):
                curve_bad = (f"{[np.round(a, 3).tolist() for a in mine][:2]} for {name}",
                             f"{[np.round(fraction, 3).tolist(), np.round(mean, 3).tolist()]}")
        if brier_bad is None:
            mine_b, want_b = as_float(student.call("brier_score", y.copy(), p.copy())), brier_score_loss(y, p)
            if not abs(mine_b - want_b) <= tol:
                brier_bad = (f"{mine_b:.6g} for {name}", f"{want_b:.6g}")
    v.check("reliability_curve", curve_bad is None, curve_bad[0] if curve_bad else f"{len(cases)} hidden cases",
            curve_bad[1] if curve_bad else "calibration_curve(strategy='uniform')",
            "bin k covers (edges[k], edges[k+1]], the first bin also 0: a probability equal to an edge belongs to the "
            "bin below it and 1 to the last bin (np.searchsorted on the inner edges, or np.digitize with right=True; "
            "floor(p * n_bins) puts edges one bin too high). Leave out the empty bins; fractions first")
    v.check("brier_score", brier_bad is None, brier_bad[0] if brier_bad else f"{len(cases)} hidden cases",
            brier_bad[1] if brier_bad else "brier_score_loss",
            "the mean of the squared differences (p - y)**2, not its square root")


@EX.part("recalibration on validation data", points=7)
def _recalibration(student, ctx, v):
    churn = prepared("churn")
    p_val, p_test = _weighted_predictions(ctx.seed)
    calibrate = student.call("fit_recalibration", churn.y_val.astype(int), p_val.copy())
    if not v.check("fit_recalibration returns a function", callable(calibrate), type(calibrate).__name__, "a callable",
                   "return the fitted map as a function of an array of probabilities"):
        return
    out = np.asarray(student.invoke("the recalibration function", calibrate, p_test.copy()), dtype=np.float64).ravel()
    if not v.check("recalibrated probabilities", out.shape == p_test.shape and bool(np.all((out >= 0) & (out <= 1))),
                   f"shape {out.shape}, {np.nanmin(out) if out.size else 'nothing'} to {np.nanmax(out) if out.size else ''}",
                   f"shape {p_test.shape}, all in [0, 1]", "one probability in [0, 1] per probability given"):
        return
    y_test = churn.y_test.astype(int)
    before, after = _ece(y_test, p_test), _ece(y_test, out)
    v.metric("test calibration error before", before)
    v.metric("test mean probability before", float(p_test.mean()))
    v.metric("test mean probability after", float(out.mean()))
    v.metric("test churn rate", float(y_test.mean()))
    unchanged = bool(np.allclose(out, p_test, atol=1e-9))
    # Measured over seeds 0-4: before 0.148-0.173; the solution (Platt scaling) 0.015-0.025, isotonic
    # regression 0.017-0.031; scaling the probabilities so that their mean is the churn rate 0.042-0.050.
    v.at_most("test calibration error after", after, EX.target("calibration error"),
              "the probabilities are unchanged: moving a decision threshold changes decisions, not probabilities. Fit a "
              "map from the validation probabilities to the observed outcomes (Platt scaling or isotonic regression)"
              if unchanged else "fit a map from a validation probability to the observed churn rate of cases like it: a "
              "logistic regression on the logit of the probability (Platt) or an isotonic regression; a single factor "
              "fixes the mean but not the shape")
    brier_before, brier_after = brier_score_loss(y_test, p_test), brier_score_loss(y_test, out)
    v.metric("test Brier score before", brier_before)
    # Measured over seeds 0-4: 0.168-0.177 before, 0.137-0.139 after (the solution).
    v.check("the test Brier score falls", brier_after < brier_before, round(brier_after, 4), f"< {brier_before:.4f}",
            "calibrated probabilities have a lower Brier score: fit the map on the validation data")
    # Measured over seeds 0-4: Platt scaling keeps the order (change 0); isotonic regression's ties -0.0043 to
    # -0.0001.
    v.at_least("test ROC AUC change", roc_auc_score(y_test, out) - roc_auc_score(y_test, p_test), -EX.target("AUC drop"),
               "a recalibration maps probabilities through an increasing function, so the ranking stays: the map must "
               "not reorder the cases")
