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
