"""Grader of exercise 5.4.1: metrics by hand -- confusion counts, precision, recall, F-beta, ROC
points and average precision.

The grader owns the harness: it calls the student's functions on hidden cases it chose (random labels
and decisions, and the edge cases where a metric has nothing to count: no positive, no negative,
nothing flagged, everything flagged, one case; scores that are continuous, tied, a single value or
negative logits) and compares with scikit-learn's own ``confusion_matrix``, ``precision_score``,
``recall_score``, ``fbeta_score``, ``roc_curve(drop_intermediate=False)`` and
``average_precision_score`` to the tolerance target. The wrong answers in
``tests/graders/test_ex_5_4_1.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import (average_precision_score, confusion_matrix, fbeta_score, precision_score, recall_score,
                             roc_curve)

from coursekit.grading import as_float, Exercise, Student


EX = Exercise("5.4.1", ("confusion_counts", "precision_recall_f", "roc_points", "average_precision"),
              targets={"tolerance": 1e-9})


def _label_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, decisions), the edge cases included."""
    rng = np.random.default_rng(5401)
    cases = [(f"{n} random cases", rng.integers(0, 2, n), rng.integers(0, 2, n)) for n in (9, 60, 411)]
    rare = (rng.random(300) < 0.03).astype(int)
    cases += [
        ("no positive", np.zeros(20, int), rng.integers(0, 2, 20)),
        ("no negative", np.ones(15, int), rng.integers(0, 2, 15)),
        ("nothing flagged", rng.integers(0, 2, 40), np.zeros(40, int)),
        ("everything flagged", rng.integers(0, 2, 40), np.ones(40, int)),
        ("nothing flagged and no positive", np.zeros(12, int), np.zeros(12, int)),
        ("one case", np.array([1]), np.array([0])),
        ("3% positives", rare, (rng.random(300) < 0.1).astype(int)),
    ]
    return cases


def _score_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, scores) with both classes: continuous, tied, a single value, logits."""
    rng = np.random.default_rng(5402)
    y = rng.integers(0, 2, 250)
    tree = rng.integers(0, 16, 600)
    return [
        ("250 distinct scores", y, rng.random(250) + 0.4 * y),
        ("5 distinct scores", y, rng.integers(0, 5, 250) / 4),
        ("16 distinct scores, 600 cases", (rng.random(600) < tree / 20).astype(int), tree / 15),
        ("one single score", rng.integers(0, 2, 30) | np.r_[1, np.zeros(29, int)], np.full(30, 0.3)),
        ("4 positives of 200", np.r_[np.ones(4, int), np.zeros(196, int)], rng.normal(size=200)),
        ("negative logits with ties", y, np.round(rng.normal(-2, 1, 250), 1)),
        ("perfect ranking", np.r_[np.zeros(10, int), np.ones(5, int)], np.arange(15.0)),
    ]


def _counts(y, pred) -> dict:
    tn, fp, fn, tp = (int(c) for c in confusion_matrix(y, pred, labels=[0, 1]).ravel())
    return {"tn": tn, "fp": fp, "fn": fn, "tp": tp}


@EX.part("confusion counts", points=2)
def _confusion(student: Student, ctx, v):
    cases = _label_cases()
    for name, y, pred in cases:
        got, want = student.call("confusion_counts", y.copy(), pred.copy()), _counts(y, pred)
        mine = {k: got.get(k) for k in want} if isinstance(got, dict) else got
        if mine != want or not all(type(x) is int for x in mine.values()):
            v.check("confusion_counts", False, f"{mine} for {name}", f"{want} (Python ints)",
                    "tn: truth 0 and decision 0; fp: truth 0, decision 1 (a false alarm); fn: truth 1, decision 0 "
                    "(a miss); tp: both 1. Return Python ints (int(...)), not NumPy numbers")
            return
    v.check("confusion_counts", True, f"{len(cases)} hidden cases", "scikit-learn's confusion_matrix", "")


_RATIO_HINTS = {
    "precision": "precision = tp / (tp + fp): of the cases flagged, the share that are positive (the predicted-positive "
                 "column); 0.0 when nothing is flagged. Swapping it with recall is the classic mistake",
    "recall": "recall = tp / (tp + fn): of the positive cases, the share flagged (the actual-positive row); 0.0 when "
              "there is no positive",
    "f": "F-beta = (1 + beta**2) p r / (beta**2 p + r): beta squared, so that recall weighs beta times as much as "
         "precision; 0.0 when p and r are both 0",
}


@EX.part("precision, recall and F-beta", points=3)
def _ratios(student, ctx, v):
    failed = {}
    cases = _label_cases()
    for name, y, pred in cases:
        counts = _counts(y, pred)
        for beta in (1.0, 2.0, 0.5):
            got = student.call("precision_recall_f", dict(counts), beta)
            want = {"precision": precision_score(y, pred, zero_division=0), "recall": recall_score(y, pred, zero_division=0),
                    "f": fbeta_score(y, pred, beta=beta, zero_division=0)}
            for key, value in want.items():
                mine = as_float(got.get(key)) if isinstance(got, dict) else float("nan")
                if key not in failed and not abs(mine - value) <= EX.target("tolerance"):
                    failed[key] = (f"{mine:.6g} for {name}, beta {beta:g} ({counts})", f"{value:.6g}")
    for key, hint in _RATIO_HINTS.items():
        measured, expected = failed.get(key, (f"{len(cases)} hidden cases x 3 betas", "scikit-learn's"))
        v.check(key if key != "f" else "F-beta", key not in failed, measured, expected, hint)


def _close_arrays(a, b) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=EX.target("tolerance")))


@EX.part("ROC points", points=3)
def _roc(student, ctx, v):
    cases = _score_cases()
    for name, y, scores in cases:
        got = student.call("roc_points", y.copy(), scores.copy())
        fpr, tpr, _ = roc_curve(y, scores, drop_intermediate=False)
        try:
            mine = [np.asarray(a, dtype=np.float64).ravel() for a in got]
        except (TypeError, ValueError):
            mine = []
        if len(mine) != 2 or not (_close_arrays(mine[0], fpr) and _close_arrays(mine[1], tpr)):
            v.check("roc_points", False, f"{len(mine[0]) if len(mine) == 2 else type(got).__name__} points for {name}",
                    f"{len(fpr)} points: (0, 0), then one per distinct score from the highest, equal to roc_curve's",
                    "sweep the threshold down through the DISTINCT scores: cases with the same score are flagged "
                    "together and enter the curve as one (diagonal) step; one point per case would depend on how "
                    "the sort broke the ties")
            return
    v.check("roc_points", True, f"{len(cases)} hidden cases", "roc_curve(drop_intermediate=False)", "")
    rng = np.random.default_rng(5403)
    ok, out = student.attempt("roc_points", np.zeros(25, int), rng.random(25))
    v.check("roc_points refuses labels of one class", not ok and str(out).startswith("raised ValueError"),
            out if not ok else "returned a curve", "raised ValueError",
            "with no positive (or no negative) case the true (or false) positive rate divides by 0: a ROC curve is "
            "undefined, so raise ValueError as roc_auc_score does instead of returning nan")


@EX.part("average precision", points=2)
def _average_precision(student, ctx, v):
    rng = np.random.default_rng(5404)
    cases = _score_cases() + [("no positive", np.zeros(30, int), rng.random(30)), ("no negative", np.ones(30, int), rng.random(30))]
    for name, y, scores in cases:
        mine = as_float(student.call("average_precision", y.copy(), scores.copy()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns when there is no positive
            want = average_precision_score(y, scores)
        if not abs(mine - want) <= EX.target("tolerance"):
            v.check("average_precision", False, f"{mine:.6g} for {name}", f"{want:.6g}",
                    "a step sum over the distinct scores, highest first: the recall gained at each times the precision "
                    "there. The trapezoid rule on the precision-recall points interpolates between them and is not "
                    "average precision; tied cases enter together; 0.0 without a positive")
            return
    v.check("average_precision", True, f"{len(cases)} hidden cases", "average_precision_score", "")
