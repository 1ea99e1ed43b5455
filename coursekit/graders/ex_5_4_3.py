"""Grader of exercise 5.4.3: rare positives -- weigh the classes (or resample them) for the decision
that is made.

The grader owns the harness: it makes churners rare (every non-churner and a fixed 5% share of
churners in each split), calls the student's ``rebalance`` on the training and validation splits and
checks the rows, labels and weights it returns (training rows with their own labels only); on a small
made-up table it checks that the costs and the seed given are honoured (the churners' total weight
beside the others' rises with cost_fn / cost_fp; the same seed gives the same rows whatever NumPy's
global random state); then it
trains its own network on them with the weights
(:func:`coursekit.graders.lesson_5_4.fit_weighted`), applies the fixed threshold 0.5 to the test split
on its own and scores the cost per customer and the ROC AUC next to the same network trained on the
rows as they are (once per seed and process). The student's functions never receive the test split.
Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_4_3.py`` show that the check
aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

import data
from coursekit.grading import Exercise, prepared, rubric_cache, Student
from coursekit.training import predict

from .lesson_5_4 import best_threshold, cost_per_case, fit_weighted, frozen

EX = Exercise("5.4.3", ("rebalance",), targets={"test cost": 0.4, "passes": 20, "AUC margin": 0.03})
RARE_RATE, RARE_HIDDEN = 0.05, (32,)


@rubric_cache
def _rare() -> dict:
    """Churn with churners made rare: every non-churner and a fixed random 5% share of churners in
    each split (the same subsample for every seed)."""
    churn = prepared("churn")
    rng = np.random.default_rng(data.SPLIT_SEED)
    out = {}
    for split in ("train", "val", "test"):
        X, y = getattr(churn, f"X_{split}"), getattr(churn, f"y_{split}")
        neg, pos = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
        n_pos = int(round(RARE_RATE * len(neg) / (1 - RARE_RATE)))
        keep = np.sort(np.concatenate([neg, rng.choice(pos, size=n_pos, replace=False)]))
        out[f"X_{split}"], out[f"y_{split}"] = X[keep], y[keep]
    return out


def _rare_train_val() -> data.TrainVal:
    rare = _rare()
    return data.TrainVal(rare["X_train"].copy(), rare["y_train"].copy(), rare["X_val"].copy(), rare["y_val"].copy(),
                         list(prepared("churn").feature_names))


@rubric_cache
def _rare_baseline(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The network trained on the rare rows as they are, once per seed and process: (validation, test) probabilities."""
    rare = _rare()
    model = fit_weighted(rare["X_train"], rare["y_train"], np.ones(len(rare["y_train"])), seed=seed, hidden=RARE_HIDDEN,
                         epochs=EX.target("passes"))
    return frozen(predict(model, rare["X_val"])), frozen(predict(model, rare["X_test"]))


@EX.part("training rows", points=2)
def _rows(student: Student, ctx, v):
    rare = _rare()
    out = student.call("rebalance", _rare_train_val(), 10.0, 1.0, ctx.seed)
    if not v.check("rebalance returns (X, y, sample_weight)", isinstance(out, (tuple, list)) and len(out) == 3,
                   type(out).__name__, "a tuple of three arrays", "return the rows, their labels and their weights"):
        return
    X = np.asarray(out[0], dtype=np.float32)
    y, w = (np.asarray(a, dtype=np.float64).ravel() for a in out[1:])
    n_features = rare["X_train"].shape[1]
    shapes = X.ndim == 2 and X.shape[1] == n_features and len(X) == len(y) == len(w) and len(X) > 0
    if not v.check("one label and one weight per row", shapes, f"X {X.shape}, y {y.shape}, weights {w.shape}",
                   f"X (rows, {n_features}), y and weights (rows,)", "return as many labels and weights as rows"):
        return
    if not v.check("weights are finite and not negative", bool(np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0),
                   f"{w.min():.3g} to {w.max():.3g}", ">= 0, not all 0", "a weight multiplies a row's loss: use weights >= 0"):
        return
    foreign = _foreign(X, y, rare["X_train"], rare["y_train"])
    if not v.check("every row is a training row with its own label", foreign == 0, f"{foreign} of {len(X)} rows are not",
                   "all of them", "train only on training rows, with their own labels (repeat some, leave some out, as you "
                   "decide): the validation rows are held out to choose with -- a weight, a threshold, an epoch -- and "
                   "training on them leaves nothing unseen to choose on"):
        return
    ctx["rows"] = (X, y, w)
    v.metric("rows", len(X))
    v.metric("weight of the churners / of the others (per row, on average)",
             float(w[y == 1].mean() / w[y == 0].mean()) if (y == 1).any() and (y == 0).any() and w[y == 0].mean() > 0 else 0.0)


def _foreign(X, y, X_train, y_train) -> int:
    """How many of the rows (X, y) are not a training row with its own label."""
    labels = {}
    for row, label in zip(np.asarray(X_train, dtype=np.float32), y_train):
        labels.setdefault(row.tobytes(), set()).add(float(label))
    return sum(float(label) not in labels.get(row.tobytes(), ()) for row, label in zip(np.asarray(X, dtype=np.float32), y))


def _small() -> data.TrainVal:
    """A made-up table of 60 training rows, 6 of them churners, and 20 validation rows."""
    rng = np.random.default_rng(5430)
    X, X_val = rng.normal(size=(60, 5)).astype(np.float32), rng.normal(size=(20, 5)).astype(np.float32)
    y, y_val = np.zeros(60, np.float32), np.zeros(20, np.float32)
    y[rng.choice(60, 6, replace=False)], y_val[:2] = 1, 1
    return data.TrainVal(X, y, X_val, y_val, [f"x{i}" for i in range(5)])


_COSTS = [(10.0, 1.0), (10.0, 5.0), (3.0, 1.0), (1.0, 1.0)]  # cost_fn / cost_fp: 10, 2, 3, 1


@EX.part("the costs and the seed honoured", points=2)
def _honoured(student, ctx, v):
    train, shares = _small(), {}
    for cost_fn, cost_fp in _COSTS:
        out = student.call("rebalance", _small(), cost_fn, cost_fp, 3)
        try:
            X, y, w = (np.asarray(a, dtype=np.float64) for a in out)
            shapes = X.ndim == 2 and X.shape[1] == 5 and y.shape == w.shape == (len(X),)
        except (TypeError, ValueError):
            shapes = False
        problem = ("not three arrays of rows, labels and weights" if not shapes else
                   "a weight that is negative or not finite" if not np.all(np.isfinite(w) & (w >= 0)) else
                   f"{_foreign(X, y, train.X_train, train.y_train)} rows not training rows with their own labels"
                   if _foreign(X, y, train.X_train, train.y_train) else
                   "a class left out (its weights sum to 0)" if not (w[y == 1].sum() > 0 and w[y == 0].sum() > 0) else "")
        if problem:
            break
        shares[cost_fn / cost_fp] = float(w[y == 1].sum() / w[y == 0].sum())
    if not v.check("rebalance on a small made-up table", not problem, f"{problem} for costs {cost_fn:g} and {cost_fp:g}"
                   if problem else f"{len(_COSTS)} pairs of costs", "training rows with their own labels, one finite weight "
                   ">= 0 per row, both classes weighed", "return the rows, their labels and their weights, as arrays with "
                   "one entry per row, taken from the training split, with weights >= 0 that leave neither class out"):
        return
    ratios = sorted(shares)
    rising = all(shares[a] < shares[b] * (1 - 1e-9) for a, b in zip(ratios, ratios[1:]))
    fp_ignored, fn_ignored = (abs(shares[r] - shares[10.0]) <= 1e-9 * shares[10.0] for r in (2.0, 3.0))
    if fp_ignored and fn_ignored:
        hint = ("the arguments cost_fn and cost_fp are ignored or overwritten: every pair of costs weighed the classes "
                "alike")
    elif fp_ignored:
        hint = "the argument cost_fp is ignored or overwritten: costs 10 and 5 weighed the classes as costs 10 and 1 did"
    elif fn_ignored:
        hint = "the argument cost_fn is ignored or overwritten: costs 3 and 1 weighed the classes as costs 10 and 1 did"
    else:
        hint = "the more a miss costs beside a false alarm, the more the churners must weigh beside the others"
    v.check("the churners weigh more as a miss costs more", rising,
            ", ".join(f"{shares[r]:.3g} at {r:g}" for r in ratios),
            "rising with cost_fn / cost_fp", hint + " (the total weight of the churners over that of the others, for "
            "cost_fn / cost_fp of 1, 2, 3 and 10): decide the weights from the costs given")
    answers = []
    for global_seed in (0, 1):
        np.random.seed(global_seed)  # the caller's global state: the answer must not depend on it
        answers.append([np.asarray(a, dtype=np.float64) for a in student.call("rebalance", _small(), 10.0, 1.0, 7)])
    same = all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(*answers))
    v.check("the same seed gives the same rows and weights", same, "the same" if same else "other rows or weights",
            "the same, whatever NumPy's global random state", "a random choice of rows must come from a generator made "
            "from the seed given (np.random.default_rng(seed)), not from the global np.random functions: the same seed "
            "must give the same rows")


def _cost_hint(recall: float, share: float) -> str:
    if recall < 0.2:
        return ("the network still flags few churners at 0.5: churners are 5% of the rows, so a network that minimises "
                "the plain loss learns to say no. The rare class must count for more in training -- a larger weight "
                "for churners, or churners repeated")
    if share > 0.5:
        return (f"the network flags {share:.0%} of the customers: churners count for far more in training than the "
                "costs call for, and the wasted offers add up")
    return ("weighting churners by w makes the network answer 0.5 roughly where the unweighted one would answer "
            "1 / (1 + w): choose w from what a miss and a false alarm cost")


@EX.part("decisions at threshold 0.5", points=6)
def _decisions(student, ctx, v):
    X, y, w = ctx.need("rows")
    rare = _rare()
    model = fit_weighted(X, y, w, seed=ctx.seed, hidden=RARE_HIDDEN, epochs=EX.target("passes"))
    y_test = rare["y_test"].astype(int)
    p = predict(model, rare["X_test"])
    flagged = p >= 0.5
    recall = float(flagged[y_test == 1].mean())
    v.metric("test recall at 0.5", recall)
    v.metric("test precision at 0.5", float(y_test[flagged].mean()) if flagged.any() else 0.0)
    v.metric("share of test rows flagged", float(flagged.mean()))
    base_val, base_test = _rare_baseline(ctx.seed)
    v.metric("unweighted network: test cost at 0.5", cost_per_case(y_test, base_test, 0.5, 10.0, 1.0))
    t = best_threshold(rare["y_val"], base_val, 10.0, 1.0)[0]
    v.metric("unweighted network: test cost at its validation-chosen threshold", cost_per_case(y_test, base_test, t, 10.0, 1.0))
    # Measured over seeds 0-4 (solution: churners weighted by the cost ratio, 10): 0.321-0.371; balanced
    # weights (19) 0.361-0.382; unweighted 0.469-0.487 (0.337-0.365 at a threshold chosen on validation);
    # inverted weights 0.496; churners weighted 1,000 times 0.90-0.95.
    v.at_most("test cost per customer at 0.5", cost_per_case(y_test, p, 0.5, 10.0, 1.0), EX.target("test cost"),
              _cost_hint(recall, float(flagged.mean())))
    auc, base_auc = roc_auc_score(y_test, p), roc_auc_score(y_test, base_test)
    v.metric("test ROC AUC", auc)
    v.metric("unweighted network: test ROC AUC", base_auc)
    # Measured over seeds 0-4: the solution's AUC minus the unweighted network's +0.0065 to +0.0109 (balanced
    # weights +0.007 to +0.015; inverted weights -0.022 to -0.034).
    v.at_least("test ROC AUC minus the unweighted network's", auc - base_auc, -EX.target("AUC margin"),
               "weighting mostly shifts the scores up, so the ranking (and the ROC AUC) should hardly move; this one got "
               "worse -- extreme weights, or rows left out, cost the network what it could learn from them")
