"""Grader of exercise 5.4.5: calibration -- a reliability curve, the Brier score, and a
recalibration.

The grader owns the harness: it calls ``reliability_curve`` and ``brier_score`` on hidden cases
(probabilities on the bin edges, empty bins, no positive, ..., the number of bins varied, the first case
asked again) and compares with scikit-learn's ``calibration_curve`` and ``brier_score_loss`` through
``agrees_with_reference``; it calls ``fit_recalibration`` on two made-up validation sets whose true
calibration map it knows (each map must come close to it, and the first must not change when the
second is fitted); then on the validation
predictions of a churn network it trained itself with churners weighted 3 times (its probabilities
are inflated on purpose; once per seed and process). The student's functions never receive the test
split: the grader applies the fitted recalibration to the test probabilities on its own and scores
the calibration error, the Brier score and the ROC AUC before and after. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the
wrong answers in ``tests/graders/test_ex_5_4_5.py`` show that the check aimed at each mistake fails
and that its hint names the mistake.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score

from coursekit.grading import agrees_with_reference, Exercise, prepared, rubric_cache, Student, varied
from coursekit.training import predict

from .lesson_5_4 import fit_weighted, frozen

EX = Exercise("5.4.5", ("reliability_curve", "brier_score", "fit_recalibration"),
              targets={"hidden cases": 16, "tolerance": 1e-9, "calibration error": 0.04, "AUC drop": 0.01,
                       "churner weight": 3, "map error": 0.07})


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


@rubric_cache
def _weighted_predictions(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A churn network trained with churners weighted 3 times (15 passes, once per seed and process):
    its probabilities are inflated on purpose. (validation, test)."""
    churn = prepared("churn")
    weights = np.where(churn.y_train == 1, EX.target("churner weight"), 1.0)
    model = fit_weighted(churn.X_train, churn.y_train, weights, seed=seed, hidden=(64, 32), epochs=15)
    return frozen(predict(model, churn.X_val)), frozen(predict(model, churn.X_test))


def _probability_cases() -> list[tuple]:
    """Hidden (label, (y, p), {"n_bins": k}): bin edges, 0 and 1, empty bins, one class, several of a size."""
    rng = np.random.default_rng(5450)
    edges10, edges5, edges4 = np.linspace(0, 1, 11), np.linspace(0, 1, 6), np.linspace(0, 1, 5)
    cases = [
        ("500 uniform probabilities", rng.integers(0, 2, 500), rng.random(500), 10),
        ("probabilities on the 10 bin edges, 0 and 1 included", rng.integers(0, 2, 300), rng.choice(edges10, 300), 10),
        ("probabilities on the 5 bin edges", rng.integers(0, 2, 120), rng.choice(edges5, 120), 5),
        ("probabilities below 0.3 (empty upper bins)", rng.integers(0, 2, 200), 0.3 * rng.random(200), 10),
        ("90 probabilities", rng.integers(0, 2, 90), rng.random(90), 7),
        ("no positive", np.zeros(40, int), rng.random(40), 10),
        ("3 cases", np.array([1, 0, 1]), np.array([0.05, 0.5, 0.95]), 4),
        ("every probability 1", np.array([1, 1, 0, 1]), np.ones(4), 10),
        ("every probability 0", np.array([0, 1, 0, 0]), np.zeros(4), 3),
        ("one case on the middle edge", np.array([1]), np.array([0.5]), 2),
        ("probabilities on the 4 bin edges and between", rng.integers(0, 2, 90), rng.choice(np.r_[edges4, 0.1, 0.6], 90), 4),
    ]
    while len(cases) < EX.target("hidden cases"):  # more random ones, sizes repeated
        n, k = int(rng.choice([40, 90])), int(rng.choice([3, 5, 10, 12, 20]))
        cases.append((f"{n} probabilities, beta-distributed (draw {len(cases) - 10})", (rng.random(n) < 0.4).astype(int),
                      rng.beta(0.7, 1.5, n), k))
    return [(f"{name}, {k} bins", (y, p), {"n_bins": k}) for name, y, p, k in cases]


def _curve(y_true, p, n_bins=10) -> tuple:
    fraction, mean = calibration_curve(y_true, p, n_bins=n_bins, strategy="uniform")
    return np.asarray(fraction, dtype=np.float64), np.asarray(mean, dtype=np.float64)


@EX.part("reliability curve and Brier score", points=3)
def _reliability(student: Student, ctx, v):
    cases = _probability_cases()
    y, p = cases[0][1]
    curve_cases = [cases[0], *varied(cases[0], n_bins=[5, 20, 3]), ("500 uniform probabilities, n_bins left to its default",
                                                                    (y, p)), *cases[1:]]
    tol = EX.target("tolerance")
    agrees_with_reference(v, student, "reliability_curve", _curve, curve_cases, check="reliability_curve", tol=tol,
                          hint="bin k covers (edges[k], edges[k+1]], the first bin also 0: a probability equal to an edge "
                               "belongs to the bin below it and 1 to the last bin (np.searchsorted on the inner edges, or "
                               "np.digitize with right=True; floor(p * n_bins) puts edges one bin too high). Use the n_bins "
                               "given; leave out the empty bins; return two 1-D float arrays, fractions first")
    agrees_with_reference(v, student, "brier_score", lambda y_true, p: float(brier_score_loss(y_true, p)),
                          [(label, args) for label, args, _ in cases], check="brier_score", tol=tol,
                          hint="the mean of the squared differences (p - y)**2, not its square root")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _logit(q):
    return np.log(q / (1 - q))


def _known_maps() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Made-up validation sets whose true map is known: (name, y, p, the true probability on the grid)."""
    rng, out = np.random.default_rng(5451), []
    for a, b, name in [(2.0, -1.0, "too sure"), (0.5, 0.8, "too timid and too low")]:
        p = rng.uniform(0.02, 0.98, 3000)
        y = (rng.random(3000) < _sigmoid(a * _logit(p) + b)).astype(int)
        out.append((f"3,000 made-up cases, probabilities {name}", y, p, _sigmoid(a * _logit(_GRID) + b)))
    return out


_GRID = np.linspace(0.05, 0.95, 19)


def _array(out) -> np.ndarray:
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return np.full(1, np.nan)


def _known(student, v) -> None:
    """fit_recalibration on made-up validation sets whose true map is known, one after the other."""
    sets, maps, outs = _known_maps(), [], []
    for name, y, p, truth in sets:  # each map asked right after its fit
        fitted = student.call("fit_recalibration", y.copy(), p.copy())
        if not v.check("fit_recalibration returns a function (made-up data)", callable(fitted), type(fitted).__name__,
                       "a callable", "return the fitted map as a function of an array of probabilities"):
            return
        maps.append(fitted)
        outs.append(_array(student.invoke("the recalibration function", fitted, _GRID.copy())))
    shapes = [out.shape for out in outs]
    if not v.check("the recalibration keeps the shape", all(shape == _GRID.shape for shape in shapes), shapes,
                   f"{_GRID.shape} for {_GRID.shape}", "one probability per probability given, as a 1-D array: "
                   "(m,), not a column (m, 1)"):
        return
    errors = [float(np.mean(np.abs(out - truth))) for out, (_, _, _, truth) in zip(outs, sets)]
    bad = int(np.argmax(errors))  # the worse set
    # Measured: Platt scaling 0.003 and 0.008, isotonic regression 0.028 and 0.019, 10-bin histogram
    # binning 0.036 and 0.033, 5 bins 0.054; the probabilities unchanged 0.14 and 0.18, scaled to the
    # churn rate 0.15 and 0.16, the first map returned for the second set 0.2.
    same = bool(np.allclose(outs[0], outs[1], atol=1e-9))
    v.metric("made-up data: mean gap to the true probability, each set", [round(e, 4) for e in errors])
    v.at_most("recalibration error on made-up data (the worse set)", errors[bad], EX.target("map error"),
              "the map of the first call came back for the second: keep no state between calls, fit each call on its "
              "own data" if same else "on these made-up cases the true probability of a case scored p is known; a map "
              "fitted on the labels and probabilities given comes close to it, a map fixed in advance, fitted on other "
              "rows or on a single factor does not")
    again = _array(student.invoke("the recalibration function", maps[0], _GRID.copy()))
    kept = again.shape == outs[0].shape and bool(np.allclose(again, outs[0], atol=1e-9))
    v.check("an earlier recalibration unchanged by a later fit", kept, "unchanged" if kept else "changed",
            "the first map gives the same probabilities after the second fit",
            "each call must return a map of its own: a model kept at module level (or on the function) and refitted by "
            "the next call changes every map returned before")


@EX.part("recalibration on validation data", points=7)
def _recalibration(student, ctx, v):
    _known(student, v)
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
