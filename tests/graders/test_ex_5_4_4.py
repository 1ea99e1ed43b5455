"""Wrong answers to exercise 5.4.4: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_4.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_4 import EX
from coursekit.grading import assert_fails


def _rank_auc(y, s) -> float:
    from scipy.stats import rankdata

    n_pos = y.sum()
    return float((rankdata(s)[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos)))


def test_5_4_4_rejects_resampling_the_scores_alone_and_a_standard_error(reference, seed):
    ref = reference("5.4.4")

    def scores_only(y_true, scores, n_boot=1000, level=0.95, seed=0):  # the labels stay where they were
        rng, y, s = np.random.default_rng(seed), np.asarray(y_true), np.asarray(scores)
        aucs = [_rank_auc(y, s[rng.integers(0, len(y), len(y))]) for _ in range(n_boot)]
        tail = 100 * (1 - level) / 2
        return tuple(np.percentile(aucs, [tail, 100 - tail]))

    def one_standard_error(y_true, scores, n_boot=1000, level=0.95, seed=0):
        rng, y, s = np.random.default_rng(seed), np.asarray(y_true), np.asarray(scores)
        rows = [rng.integers(0, len(y), len(y)) for _ in range(n_boot)]
        spread = np.std([_rank_auc(y[r], s[r]) for r in rows])
        return _rank_auc(y, s) - spread, _rank_auc(y, s) + spread

    check = "validation AUC, level 0.95: share of the rubric's resampled values inside"
    assert_fails(EX.grade(ref.replaced(bootstrap_auc_interval=scores_only), seed, only=["one model's interval"]), check,
           "each case's label")
    assert_fails(EX.grade(ref.replaced(bootstrap_auc_interval=one_standard_error), seed, only=["one model's interval"]), check,
           "standard error")


def test_5_4_4_rejects_an_unpaired_difference(reference, seed):
    def unpaired(y_true, scores_a, scores_b, n_boot=1000, level=0.95, seed=0):
        rng, y, a, b = np.random.default_rng(seed), np.asarray(y_true), np.asarray(scores_a), np.asarray(scores_b)
        differences = []
        for _ in range(n_boot):
            rows_a, rows_b = rng.integers(0, len(y), len(y)), rng.integers(0, len(y), len(y))  # each model its own cases
            differences.append(_rank_auc(y[rows_a], a[rows_a]) - _rank_auc(y[rows_b], b[rows_b]))
        tail = 100 * (1 - level) / 2
        return tuple(np.percentile(differences, [tail, 100 - tail]))

    wrong = reference("5.4.4").replaced(paired_auc_difference_interval=unpaired)
    assert_fails(EX.grade(wrong, seed, only=["the paired difference"]),
           "AUC difference, level 0.95: share of the rubric's resampled values inside", "same rows")
