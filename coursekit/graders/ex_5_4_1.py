"""Grader of exercise 5.4.1: metrics by hand -- confusion counts, precision, recall, F-beta, ROC
points and average precision.

The grader owns the harness: it calls the student's functions on hidden cases it chose (random labels
and decisions of many sizes, and the edge cases where a metric has nothing to count: no positive, no
negative, nothing flagged, everything flagged, one case; scores that are continuous, tied, a single
value or negative logits), each call on fresh copies, the first case asked again at the end, and
compares with scikit-learn's own ``confusion_matrix``, ``precision_score``, ``recall_score``,
``fbeta_score`` (``precision_recall_fscore_support``; every case at the default beta and at other betas), ``roc_curve(drop_intermediate=False)``
and ``average_precision_score`` to the tolerance target, with the types the functions promise (Python
ints for the counts, 1-D float arrays for the ROC points). The wrong answers in
``tests/graders/test_ex_5_4_1.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_fscore_support, roc_curve

from coursekit.grading import agrees_with_reference, Exercise, rubric_cache, same_plain, Student, varied


EX = Exercise("5.4.1", ("confusion_counts", "precision_recall_f", "roc_points", "average_precision"),
              targets={"tolerance": 1e-9, "hidden cases": 20})


def _label_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, decisions), the edge cases included; several of one length."""
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
        ("one case, a hit", np.array([1]), np.array([1])),
        ("3% positives", rare, (rng.random(300) < 0.1).astype(int)),
    ]
    for i in range(EX.target("hidden cases") - len(cases)):  # more random ones, sizes repeated
        n, rate = int(rng.choice([12, 40, 100])), rng.uniform(0.05, 0.95)
        cases.append((f"{n} cases, {rate:.0%} positives (draw {i + 1})", (rng.random(n) < rate).astype(int),
                      (rng.random(n) < rng.uniform(0.1, 0.9)).astype(int)))
    return cases


def _score_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, scores) with both classes: continuous, tied, a single value, logits."""
    rng = np.random.default_rng(5402)
    y = rng.integers(0, 2, 250)
    tree = rng.integers(0, 16, 600)
    cases = [
        ("250 distinct scores", y, rng.random(250) + 0.4 * y),
        ("5 distinct scores", y, rng.integers(0, 5, 250) / 4),
        ("16 distinct scores, 600 cases", (rng.random(600) < tree / 20).astype(int), tree / 15),
        ("one single score", rng.integers(0, 2, 30) | np.r_[1, np.zeros(29, int)], np.full(30, 0.3)),
        ("4 positives of 200", np.r_[np.ones(4, int), np.zeros(196, int)], rng.normal(size=200)),
        ("negative logits with ties", y, np.round(rng.normal(-2, 1, 250), 1)),
        ("perfect ranking", np.r_[np.zeros(10, int), np.ones(5, int)], np.arange(15.0)),
        ("two cases", np.array([0, 1]), np.array([0.7, 0.2])),
    ]
    for i in range(EX.target("hidden cases") - len(cases)):  # more random ones: sizes repeated, ties or none
        n = int(rng.choice([20, 60, 250]))
        y_i = np.r_[0, 1, (rng.random(n - 2) < rng.uniform(0.1, 0.9)).astype(int)]
        scores = rng.normal(y_i * rng.uniform(0, 2), 1.0)
        if i % 2:
            scores = np.round(scores, 1)
        cases.append((f"{n} cases, {'rounded' if i % 2 else 'continuous'} scores (draw {i + 1})", y_i, scores))
    return cases


def _counts(y, pred) -> dict:
    tn, fp, fn, tp = (int(c) for c in confusion_matrix(y, pred, labels=[0, 1]).ravel())
    return {"tn": tn, "fp": fp, "fn": fn, "tp": tp}


def _count_cases() -> list[tuple]:
    return [(name, (y, pred)) for name, y, pred in _label_cases()]


def _same_counts(mine, want) -> bool:
    """The four counts, each a Python int (NumPy integers and floats are not)."""
    return (isinstance(mine, dict) and all(type(mine.get(k)) is int for k in want)
            and same_plain({k: mine[k] for k in want}, want))


@EX.part("confusion counts", points=2)
def _confusion(student: Student, ctx, v):
    agrees_with_reference(v, student, "confusion_counts", _counts, _count_cases(), check="confusion_counts",
                          same=_same_counts,
                          hint="tn: truth 0 and decision 0; fp: truth 0, decision 1 (a false alarm); fn: truth 1, decision 0 "
                               "(a miss); tp: both 1. Return Python ints (int(...)), not NumPy numbers or floats")


@rubric_cache
def _ratios(tn: int, fp: int, fn: int, tp: int, beta: float) -> tuple[float, float, float]:
    """scikit-learn's precision, recall and F-beta of the labels and decisions these counts describe."""
    y = np.repeat([0, 0, 1, 1], [tn, fp, fn, tp])
    pred = np.repeat([0, 1, 0, 1], [tn, fp, fn, tp])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns where a ratio divides by 0
        p, r, f, _ = precision_recall_fscore_support(y, pred, beta=beta, average="binary", zero_division=0)
    return float(p), float(r), float(f)


def _ratio(key: str, counts: dict, beta: float = 1.0) -> float:
    return _ratios(counts["tn"], counts["fp"], counts["fn"], counts["tp"], float(beta))[("precision", "recall", "f").index(key)]


_RATIO_HINTS = {
    "precision": "precision = tp / (tp + fp): of the cases flagged, the share that are positive (the predicted-positive "
                 "column); 0.0 when nothing is flagged. Swapping it with recall is the classic mistake",
    "recall": "recall = tp / (tp + fn): of the positive cases, the share flagged (the actual-positive row); 0.0 when "
              "there is no positive",
    "f": "F-beta = (1 + beta**2) p r / (beta**2 p + r): beta squared, so that recall weighs beta times as much as "
         "precision, with the beta given (1.0 when none is); 0.0 when p and r are both 0",
}


class _Replay:
    """The student, for checks that ask the same calls in the same order: each call is made once, and a
    later check gets the answers the first one got (a copy), in order. The calls cost the engine's
    integrity check each, and the three ratios come from one call."""

    def __init__(self, student: Student):
        self.student, self.answers, self.at = student, [], 0

    def call(self, name: str, *args, **kwargs):
        if self.at == len(self.answers):
            self.answers.append(self.student.call(name, *args, **kwargs))
        self.at += 1
        return copy.deepcopy(self.answers[self.at - 1])


@EX.part("precision, recall and F-beta", points=3)
def _ratios_part(student, ctx, v):
    cases = []
    for name, y, pred in _label_cases():
        base = (f"{name} {_counts(y, pred)}", (_counts(y, pred),), {})
        cases += [base, *varied(base, beta=[2.0, 0.5])]
    cases.insert(1, (f"{cases[0][0]}, with beta=1.0 given", cases[0][1], {"beta": 1.0}))
    tol, replay = EX.target("tolerance"), _Replay(student)
    for key, hint in _RATIO_HINTS.items():
        replay.at = 0
        agrees_with_reference(v, replay, "precision_recall_f", lambda counts, beta=1.0, key=key: _ratio(key, counts, beta),
                              cases, check=key if key != "f" else "F-beta", hint=hint,
                              same=lambda mine, want, key=key: isinstance(mine, dict) and same_plain(mine.get(key), want, tol))


def _roc(y, scores) -> tuple:
    fpr, tpr, _ = roc_curve(y, scores, drop_intermediate=False)
    return np.asarray(fpr, dtype=np.float64), np.asarray(tpr, dtype=np.float64)


@EX.part("ROC points", points=3)
def _roc_part(student, ctx, v):
    cases = [(name, (y, scores)) for name, y, scores in _score_cases()]
    agrees_with_reference(v, student, "roc_points", _roc, cases, check="roc_points", tol=EX.target("tolerance"),
                          hint="sweep the threshold down through the DISTINCT scores: cases with the same score are flagged "
                               "together and enter the curve as one (diagonal) step; one point per case would depend on how "
                               "the sort broke the ties. Return (fpr, tpr) as two 1-D float arrays of shape (k,), (0, 0) "
                               "first, not lists nor columns of shape (k, 1)")
    rng = np.random.default_rng(5403)
    ok, out = student.attempt("roc_points", np.zeros(25, int), rng.random(25))
    v.check("roc_points refuses labels of one class", not ok and str(out).startswith("raised ValueError"),
            out if not ok else "returned a curve", "raised ValueError",
            "with no positive (or no negative) case the true (or false) positive rate divides by 0: a ROC curve is "
            "undefined, so raise ValueError as roc_auc_score does instead of returning nan")


def _average_precision(y, scores) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns when there is no positive
        return float(average_precision_score(y, scores))


@EX.part("average precision", points=2)
def _average_precision_part(student, ctx, v):
    rng = np.random.default_rng(5404)
    cases = [(name, (y, scores)) for name, y, scores in _score_cases()]
    cases += [("no positive", (np.zeros(30, int), rng.random(30))), ("no negative", (np.ones(30, int), rng.random(30)))]
    agrees_with_reference(v, student, "average_precision", _average_precision, cases, check="average_precision",
                          tol=EX.target("tolerance"),
                          hint="a step sum over the distinct scores, highest first: the recall gained at each times the "
                               "precision there. The trapezoid rule on the precision-recall points interpolates between "
                               "them and is not average precision; tied cases enter together; 0.0 without a positive")
