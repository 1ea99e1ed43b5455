"""Wrong answers to exercise 5.4.2: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_2.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_2 import EX
from coursekit.graders.lesson_5_4 import best_threshold, churn_predictions
from coursekit.grading import assert_fails, prepared


def test_5_4_2_rejects_a_threshold_chosen_on_the_test_split(reference, seed):
    churn = prepared("churn")
    _, p_test = churn_predictions(seed)
    on_test = best_threshold(churn.y_test, p_test, 5.0, 1.0)[0]  # what a student who looked at the test split would return
    wrong = reference("5.4.2").replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: on_test)
    assert_fails(EX.grade(wrong, seed, only=["a threshold from validation data alone"]),
           "the threshold minimises the validation cost", "test split")


def test_5_4_2_rejects_the_rule_for_calibrated_probabilities_and_a_strict_comparison(reference, seed):
    ref = reference("5.4.2")
    rule = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: cost_fp / (cost_fp + cost_fn))
    assert_fails(EX.grade(rule, seed, only=["a threshold from validation data alone"]),
           "the threshold minimises the validation cost", "calibrated")

    def strict(y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0):
        y, flagged = np.asarray(y_true), np.asarray(scores) > threshold
        return float((cost_fn * np.sum((y == 1) & ~flagged) + cost_fp * np.sum((y == 0) & flagged)) / len(y))

    assert_fails(EX.grade(ref.replaced(expected_cost=strict), seed, only=["expected cost"]), "expected_cost",
           "equal to the threshold is flagged")
