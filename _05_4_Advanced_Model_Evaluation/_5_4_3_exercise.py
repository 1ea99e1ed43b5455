"""Exercise 5.4.3 -- Rare positives: weigh the classes (or resample them) for the decision that is made.

Goal: on a churn table where churners are rare (5% of customers), decide how the training rows
are weighted or resampled so that a network flagging customers at the fixed threshold 0.5 costs
the company little, and see that the ranking (ROC AUC) hardly changes.
Read first: README.md sections 1 (rare positives) and 6 (class weights, resampling, and the
threshold a weight moves); demo_accuracy_paradox.py

The retention system flags every customer whose predicted churn probability is >= 0.5, and that
threshold cannot be changed; a churner not flagged costs ``cost_fn`` (10), a loyal customer
flagged ``cost_fp`` (1). Trained on the rows as they are, the network flags almost nobody.
``train`` holds the rare-churn training and validation splits (``data.TrainVal``). Your decision:
which rows to train on (the training rows, some repeated or left out) and the weight of each.

What the rubric does and measures (you do not write any of it):
- checks that every row you return is a training row with its own label, and that the weights
  are finite and not negative;
- calls ``rebalance`` on a small made-up table with several pairs of costs (cost_fn / cost_fp of
  1, 2, 3 and 10): the total weight of the churners beside that of the others must rise with
  cost_fn / cost_fp, and the same seed must give the same rows and weights whatever NumPy's global
  random state is;
- trains its own network on your rows and weights: Dense(32, relu), Dense(1, sigmoid), Adam,
  20 passes over your rows in batches of 128, binary cross-entropy weighted by your weights;
- flags the test customers at 0.5 and measures the mean cost per customer: at most 0.4 (the
  network trained on the rows as they are: about 0.48; flagging everybody: 0.95);
- measures the test ROC AUC beside the unweighted network's: at least the unweighted network's
  minus 0.03.

Run this file to see what the rubric measures; ``course check 5.4.3`` records the verdict and
``course hint 5.4.3`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np

COST_FN = 10.0  # a churner not flagged
COST_FP = 1.0  # a loyal customer flagged


def rebalance(train, cost_fn: float = COST_FN, cost_fp: float = COST_FP, seed: int = 0) -> tuple:
    """(X, y, sample_weight): the rows to train on, their labels and one weight per row."""
    # TODO: decide how much each class counts in training, given what each kind of mistake costs.
    raise NotImplementedError("rebalance: return the rows, labels and weights the network is trained on")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
