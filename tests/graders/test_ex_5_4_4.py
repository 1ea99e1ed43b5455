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


def _percentile_interval(y_true, scores, n_boot, level, draw):
    """The solution's procedure with the resample rows drawn by ``draw(n)``: a student's variations on it."""
    y, s, aucs = np.asarray(y_true), np.asarray(scores), []
    while len(aucs) < n_boot:
        rows = draw(len(y))
        if y[rows].min() != y[rows].max():
            aucs.append(_rank_auc(y[rows], s[rows]))
    tail = 100 * (1 - level) / 2
    return tuple(float(x) for x in np.percentile(aucs, [tail, 100 - tail]))


def test_5_4_4_rejects_the_global_generator_and_a_seed_overwritten(reference, seed):
    """Randomness: resamples from NumPy's global generator (the seed never used), and a generator made
    from a fixed seed (the argument overwritten)."""
    ref = reference("5.4.4")
    part = ["one model's interval"]

    def global_generator(y_true, scores, n_boot=1000, level=0.95, seed=0):
        return _percentile_interval(y_true, scores, n_boot, level, lambda n: np.random.randint(0, n, n))

    def fixed_seed(y_true, scores, n_boot=1000, level=0.95, seed=0):
        rng = np.random.default_rng(42)
        return _percentile_interval(y_true, scores, n_boot, level, lambda n: rng.integers(0, n, n))

    assert_fails(EX.grade(ref.replaced(bootstrap_auc_interval=global_generator), seed, only=part),
                 "bootstrap_auc_interval: the same seed gives the same interval", "global")
    assert_fails(EX.grade(ref.replaced(bootstrap_auc_interval=fixed_seed), seed, only=part),
                 "bootstrap_auc_interval: another seed gives another interval", "seed argument is ignored")


def test_5_4_4_rejects_a_fixed_number_of_resamples_and_a_fixed_level(reference, seed):
    """Arguments ignored: n_boot replaced by 1,000, level by 0.95."""
    ref = reference("5.4.4")
    right = ref.module.bootstrap_auc_interval
    part = ["one model's interval"]
    check = "bootstrap_auc_interval: n_boot and level as given"
    fixed_n = ref.replaced(bootstrap_auc_interval=lambda y_true, scores, n_boot=1000, level=0.95, seed=0:
                           right(y_true, scores, 1000, level, seed))
    assert_fails(EX.grade(fixed_n, seed, only=part), check, "n_boot is ignored")
    fixed_level = ref.replaced(bootstrap_auc_interval=lambda y_true, scores, n_boot=1000, level=0.95, seed=0:
                               right(y_true, scores, n_boot, 0.95, seed))
    assert_fails(EX.grade(fixed_level, seed, only=part), check, "level is not honoured")


def test_5_4_4_rejects_a_difference_resampled_apart_for_a_model_against_itself(reference, seed):
    """Independent resampling shows on a model compared with itself: the paired interval is (0, 0)."""
    def unpaired(y_true, scores_a, scores_b, n_boot=1000, level=0.95, seed=0):
        rng = np.random.default_rng(seed)
        low_a, high_a = _percentile_interval(y_true, scores_a, n_boot, level, lambda n: rng.integers(0, n, n))
        low_b, high_b = _percentile_interval(y_true, scores_b, n_boot, level, lambda n: rng.integers(0, n, n))
        return low_a - high_b, high_a - low_b  # the difference of two intervals, each model resampled on its own

    verdict = EX.grade(reference("5.4.4").replaced(paired_auc_difference_interval=unpaired), seed, only=["the paired difference"])
    assert_fails(verdict, "a model against itself: the interval (0, 0)", "same resampled rows")
