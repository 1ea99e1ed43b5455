"""Exercise 5.4.4 -- How sure is an AUC? Bootstrap intervals, for one model and for a difference.

Goal: write a percentile bootstrap confidence interval of the ROC AUC of one model, and of the
difference between the AUCs of two models scored on the same cases.
Read first: README.md section 7 (bootstrap, paired bootstrap, what an interval assumes);
demo_uncertainty.py

A bootstrap resample draws as many cases as there are, with replacement, from the cases at hand;
the metric computed on many resamples spreads approximately as it would over other samples of
the same size (less reliably for small samples and for AUCs near 0 or 1).
The interval at ``level`` keeps the middle ``level`` share of those values. Use ``seed`` for
your random draws (the same seed, the same interval); a resample that holds one class only has
no AUC and is drawn again or left out.

What the rubric does and measures (you do not write any of it): it calls your functions with
1,000 resamples on arrays it chose -- the validation labels with its own churn network's and a
logistic regression's validation predictions, and a set of 500 cases with tied scores -- never on
the test split. It draws 4,000 resamples of its own from the same arrays and measures the share
of its resampled AUCs (or differences of AUCs) that falls inside your interval: between 0.925 and
0.975 for ``level`` 0.95, between 0.75 and 0.85 for ``level`` 0.8. An interval for the difference
whose two models are resampled apart is several times too wide and fails. On a small set of its
own, it also asks each function again with one argument changed at a time: the same seed must give
the same interval whatever NumPy's global random state is, another seed another interval, fewer
resamples another interval, and a higher level a wider interval that holds the narrower one; and a
model's difference with itself must come out as the interval (0, 0). (``roc_auc_score`` costs
about a millisecond a call: fine, if slow; the AUC computed from ranks is faster.)

Run this file to see what the rubric measures; ``course check 5.4.4`` records the verdict and
``course hint 5.4.4`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np


def _auc(truth, values) -> float:
    """ROC AUC as the probability that a positive outranks a negative (ties count half), from ranks:
    the value roc_auc_score gives, about ten times faster."""
    from scipy.stats import rankdata

    n_pos = truth.sum()
    return float((rankdata(values)[truth == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(truth) - n_pos)))


def bootstrap_auc_interval(y_true, scores, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple:
    """(low, high): the percentile bootstrap interval of roc_auc_score(y_true, scores)."""
    # TODO: resample the cases, compute the AUC of each resample, keep the middle of them.
    rng = np.random.default_rng(seed)
    truth, values = np.asarray(y_true), np.asarray(scores)
    aucs = []
    while len(aucs) < n_boot:
        rows = rng.integers(0, len(truth), size=len(truth))
        if truth[rows].min() != truth[rows].max():
            aucs.append(_auc(truth[rows], values[rows]))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(aucs, [tail, 100 - tail])
    return float(low), float(high)


def paired_auc_difference_interval(y_true, scores_a, scores_b, n_boot: int = 1000, level: float = 0.95,
                                   seed: int = 0) -> tuple:
    """(low, high): the percentile bootstrap interval of AUC(scores_a) - AUC(scores_b)."""
    # TODO: the same, with both models scored on each resample's cases.
    rng = np.random.default_rng(seed)
    truth, a, b = np.asarray(y_true), np.asarray(scores_a), np.asarray(scores_b)
    differences = []
    while len(differences) < n_boot:
        rows = rng.integers(0, len(truth), size=len(truth))
        if truth[rows].min() != truth[rows].max():
            differences.append(_auc(truth[rows], a[rows]) - _auc(truth[rows], b[rows]))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(differences, [tail, 100 - tail])
    return float(low), float(high)


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
