"""Exercise 5.4.3 -- A decision threshold chosen by cost, on validation data.

Goal: a churner we miss costs the company about five times what a retention offer to a loyal
customer wastes. Turn the churn MLP's probabilities into decisions with the threshold that
minimises that cost -- chosen on the VALIDATION split -- and measure on the test split, once,
how much it saves over the default threshold 0.5.

Steps:
1. ``expected_cost(y_true, scores, threshold, cost_fn, cost_fp)``: flag a customer when
   ``score >= threshold``; return the mean cost per customer,
   (cost_fn * #false negatives + cost_fp * #false positives) / #customers.
2. ``choose_threshold(y_val, p_val, thresholds)``: the candidate threshold (from ``THRESHOLDS``,
   0.01 ... 0.99) with the lowest ``expected_cost`` on the validation data (the first one on ties).
3. ``run()`` (given) picks the threshold on the validation split and scores the test split at
   that threshold and at 0.5.

Targets the grader checks (seeds 0-4):
- the threshold minimises the validation cost over ``THRESHOLDS`` (the grader recomputes it from
  the validation labels and the model's own predictions; a threshold tuned on the test split fails);
- the test costs are what the grader computes at your threshold and at 0.5;
- the test cost at your threshold is at least 25% below the cost at 0.5 (measured 37-45%).

Hints: with costs 5:1 a calibrated model should flag a customer once P(churn) > 1/6, so expect a
threshold well below 0.5. ``np.argmin`` returns the first minimum. Never look at ``y_test`` here.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import numpy as np  # noqa: F401  (your code needs it)

from _models_5_4 import train_churn_mlp

COST_FN = 5.0  # a churner we did not flag: the customer's lost margin
COST_FP = 1.0  # a loyal customer we flagged: a wasted retention offer
THRESHOLDS = tuple(round(0.01 * k, 2) for k in range(1, 100))  # 0.01, 0.02, ..., 0.99


def expected_cost(y_true, scores, threshold: float, cost_fn: float = COST_FN, cost_fp: float = COST_FP) -> float:
    """Mean cost per customer when customers with score >= threshold are flagged."""
    # TODO: flagged = scores >= threshold; count false negatives (churners not flagged) and false
    # positives (non-churners flagged); return (cost_fn * fn + cost_fp * fp) / len(y_true).
    raise NotImplementedError(
        'expected_cost: flag score >= threshold, count false negatives and false positives, return (cost_fn*fn + cost_fp*fp) / n'
    )


def choose_threshold(y_val, p_val, thresholds=THRESHOLDS) -> float:
    """The threshold with the lowest validation cost (the first one on ties)."""
    # TODO: compute expected_cost(y_val, p_val, t) for every t in thresholds and return the t with
    # the lowest cost (np.argmin picks the first on ties), as a float.
    raise NotImplementedError(
        'choose_threshold: return the threshold in `thresholds` with the lowest expected_cost on the VALIDATION labels and scores'
    )


def run(seed: int = 0) -> dict:
    """Choose the threshold on validation data; report validation and test costs."""
    trained = train_churn_mlp(seed)
    churn = trained.churn
    y_val, y_test = churn.y_val.astype(int), churn.y_test.astype(int)
    threshold = choose_threshold(y_val, trained.p_val)
    test_cost = expected_cost(y_test, trained.p_test, threshold)
    test_cost_half = expected_cost(y_test, trained.p_test, 0.5)
    return {
        "threshold": threshold,
        "val_cost": expected_cost(y_val, trained.p_val, threshold),
        "val_cost_at_0.5": expected_cost(y_val, trained.p_val, 0.5),
        "test_cost": test_cost,
        "test_cost_at_0.5": test_cost_half,
        "test_saving": 1.0 - test_cost / test_cost_half,
        "y_val": y_val,
        "p_val": trained.p_val,
        "p_test": trained.p_test,
        "model": trained.model,
    }


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Cost-based threshold chosen on validation data", run(args.seed), "5.4.3")
