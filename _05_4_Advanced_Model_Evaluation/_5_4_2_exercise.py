"""Exercise 5.4.2 -- A decision threshold chosen by cost, on validation data.

Goal: a churner the company does not contact costs it five times what a retention offer to a
loyal customer wastes; choose, from the validation split alone, the threshold on the churn
model's probabilities that minimises that cost, and let the rubric score it once on the test split.
Read first: README.md section 5 (thresholds on validation data, by cost) and section 8 (why
scores that are not calibrated need a searched threshold); demo_churn_report.py

A case is flagged (gets the offer) when its score is >= the threshold. A false negative (a
churner not flagged) costs ``cost_fn``, a false positive (a loyal customer flagged) ``cost_fp``.
Your code: the mean cost per case, and the choice of the threshold from validation labels and
scores. The choice is yours to make; 0.5 is a convention, not a decision.

What the rubric does and measures (you do not write any of it):
- calls ``expected_cost`` on hidden cases (thresholds equal to a score among them, above every
  score and below every score, each argument varied, the first case asked again at the end) and
  compares with its own count;
- calls ``choose_threshold`` on 7 hidden validation sets (calibrated and distorted scores, tied
  scores, other costs, the real validation predictions in another order, a set where flagging
  nobody is cheapest and one where flagging everybody is), then on the first once more: on each,
  your threshold's validation cost must be at most 1.005 times the lowest cost any threshold
  reaches there;
- trains its own churn network, gives ``choose_threshold`` the validation labels and predictions
  with the costs 5 and 1, applies your threshold once to the test split and measures the saving
  over threshold 0.5: at least 0.25 of the cost per customer.

Run this file to see what the rubric measures; ``course check 5.4.2`` records the verdict and
``course hint 5.4.2`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np

COST_FN = 5.0  # a churner not contacted: the customer's lost margin
COST_FP = 1.0  # a loyal customer contacted: a wasted retention offer


def expected_cost(y_true, scores, threshold: float, cost_fn: float = COST_FN, cost_fp: float = COST_FP) -> float:
    """Mean cost per case when every case with a score >= threshold is flagged."""
    # TODO: the cost of the missed positives and of the flagged negatives, per case.
    raise NotImplementedError("expected_cost: return the mean cost per case at this threshold")


def choose_threshold(y_val, p_val, cost_fn: float = COST_FN, cost_fp: float = COST_FP) -> float:
    """The threshold with the lowest mean cost on these validation labels and scores."""
    # TODO: decide the threshold from the validation data you receive, and nothing else.
    raise NotImplementedError("choose_threshold: return the threshold you choose from the validation data")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
