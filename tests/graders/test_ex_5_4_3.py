"""Wrong answers to exercise 5.4.3: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_3.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_3 import EX
from coursekit.grading import assert_fails


def _weighted_rows(train, weight_churn: float, weight_other: float = 1.0):
    y = np.asarray(train.y_train, dtype=np.float32)
    return train.X_train, y, np.where(y == 1, weight_churn, weight_other)


def test_5_4_3_rejects_inverted_and_extreme_weights(reference, seed):
    ref = reference("5.4.3")
    both = ["training rows", "decisions at threshold 0.5"]
    inverted = ref.replaced(rebalance=lambda train, cost_fn=10.0, cost_fp=1.0, seed=0: _weighted_rows(train, cost_fp / cost_fn))
    assert_fails(EX.grade(inverted, seed, only=both), "test cost per customer at 0.5", "a larger weight for churners")
    extreme = ref.replaced(rebalance=lambda train, cost_fn=10.0, cost_fp=1.0, seed=0: _weighted_rows(train, 1000.0))
    assert_fails(EX.grade(extreme, seed, only=both), "test cost per customer at 0.5", "far more")


def test_5_4_3_rejects_validation_churners_added_to_training(reference, seed):
    def with_validation(train, cost_fn=10.0, cost_fp=1.0, seed=0):
        churners = train.y_val == 1
        X = np.vstack([train.X_train, train.X_val[churners]])
        y = np.r_[train.y_train, train.y_val[churners]]
        return X, y, np.where(y == 1, cost_fn / cost_fp, 1.0)

    assert_fails(EX.grade(reference("5.4.3").replaced(rebalance=with_validation), seed, only=["training rows"]),
           "every row is a training row with its own label", "validation rows")


def test_5_4_3_rejects_weights_that_ignore_the_costs_given(reference, seed):
    """Arguments ignored: the file's constants (or class balance) in place of the costs, or cost_fp left out."""
    ref = reference("5.4.3")
    part = ["the costs and the seed honoured"]
    check = "the churners weigh more as a miss costs more"
    constants = ref.replaced(rebalance=lambda train, cost_fn=10.0, cost_fp=1.0, seed=0: _weighted_rows(train, 10.0))
    assert_fails(EX.grade(constants, seed, only=part), check, "cost_fn and cost_fp are ignored")

    def balanced(train, cost_fn=10.0, cost_fp=1.0, seed=0):
        y = np.asarray(train.y_train)
        return _weighted_rows(train, np.sum(y == 0) / np.sum(y == 1))

    assert_fails(EX.grade(ref.replaced(rebalance=balanced), seed, only=part), check, "ignored")
    fn_only = ref.replaced(rebalance=lambda train, cost_fn=10.0, cost_fp=1.0, seed=0: _weighted_rows(train, cost_fn))
    assert_fails(EX.grade(fn_only, seed, only=part), check, "cost_fp is ignored")


def test_5_4_3_rejects_oversampling_from_the_global_generator(reference, seed):
    """Randomness: churners repeated at random with np.random, the seed given never used."""
    def oversampled(train, cost_fn=10.0, cost_fp=1.0, seed=0):
        y = np.asarray(train.y_train, dtype=np.float32)
        churners = np.flatnonzero(y == 1)
        extra = np.random.choice(churners, size=int((cost_fn / cost_fp - 1) * len(churners)), replace=True)
        rows = np.r_[np.arange(len(y)), extra]
        return train.X_train[rows], y[rows], np.ones(len(rows))

    verdict = EX.grade(reference("5.4.3").replaced(rebalance=oversampled), seed, only=["the costs and the seed honoured"])
    assert_fails(verdict, "the same seed gives the same rows and weights", "global")
    assert "the churners weigh more as a miss costs more" not in verdict.failed_names(), verdict.report()


def test_5_4_3_grades_seeded_oversampling_as_honouring_the_costs_and_the_seed(reference, seed):
    """A right answer other than the solution's weights: churners repeated at random, drawn from the seed given."""
    def oversampled(train, cost_fn=10.0, cost_fp=1.0, seed=0):
        rng = np.random.default_rng(seed)
        y = np.asarray(train.y_train, dtype=np.float32)
        churners = np.flatnonzero(y == 1)
        rows = np.r_[np.arange(len(y)), rng.choice(churners, size=int(round((cost_fn / cost_fp - 1) * len(churners))))]
        return train.X_train[rows], y[rows], np.ones(len(rows))

    verdict = EX.grade(reference("5.4.3").replaced(rebalance=oversampled), seed, only=["the costs and the seed honoured"])
    assert not verdict.failures, verdict.report()
