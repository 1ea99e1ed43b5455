"""Exercise 5.4.2 -- The ROC curve and its AUC by hand.

Goal: build the ROC curve yourself -- sort the scores, sweep the threshold down through them,
count true and false positive rates -- and integrate it with trapezoids. Do it for two real
models on the churn test split: the lesson's MLP (almost every score distinct) and a depth-4
decision tree (only 16 distinct scores, so hundreds of customers share each score: ties).

Steps:
1. ``roc_points(y_true, scores)``: return ``(fpr, tpr)``, two float arrays that start at (0, 0)
   and have ONE point per distinct score, from the highest score down: the point for score s
   counts every customer with score >= s as flagged. The last point is (1, 1).
2. ``auc_trapezoid(x, y)``: the area under the polyline through the points (x[i], y[i]), as a
   sum of trapezoids (x[i+1] - x[i]) * (y[i] + y[i+1]) / 2.
3. ``run()`` (given) trains the tree, takes the MLP's scores and reports both AUCs.

Targets the grader checks (seeds 0-4):
- both AUCs within 1e-9 of ``sklearn.metrics.roc_auc_score`` on the scores ``run()`` returns;
- both curves equal ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``'s points;
- real models: test labels, MLP AUC >= 0.82 (measured 0.839-0.843), tree AUC >= 0.78 (measured 0.829).

Hints: ``np.unique`` gives the distinct scores (ascending); for each, ``np.sum(scores >= s)``
works, or sort once and use ``np.cumsum`` on the labels at the last index of each distinct score.
Tied customers must enter the curve TOGETHER (one diagonal step): walking through a sorted array
one customer at a time gives a staircase whose area depends on how the sort broke the ties.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import numpy as np  # noqa: F401  (your code needs it)
from sklearn.tree import DecisionTreeClassifier

from _models_5_4 import train_churn_mlp


def roc_points(y_true, scores) -> tuple:
    """(fpr, tpr) from (0, 0) to (1, 1), one point per distinct score, ties entering together."""
    # TODO: sort the scores from high to low (np.argsort(-scores)); find the last index of each run
    # of equal scores; cumulative true/false positive counts at those indices, divided by the totals,
    # give tpr and fpr; put (0, 0) in front.
    raise NotImplementedError(
        'roc_points: sort scores descending, take cumulative TP/FP counts at the end of each group of tied scores, divide by the totals, prepend (0, 0)'
    )


def auc_trapezoid(x, y) -> float:
    """Area under the polyline through (x[i], y[i]) by the trapezoid rule."""
    # TODO: the sum over i of (x[i+1] - x[i]) * (y[i] + y[i+1]) / 2, as a Python float.
    raise NotImplementedError(
        'auc_trapezoid: sum the trapezoids (x[i+1] - x[i]) * (y[i] + y[i+1]) / 2 and return a float'
    )


def run(seed: int = 0) -> dict:
    """ROC curves and AUCs of the churn MLP and a decision tree, computed with your functions."""
    trained = train_churn_mlp(seed)
    churn = trained.churn
    tree = DecisionTreeClassifier(max_depth=4, random_state=seed).fit(churn.X_train, churn.y_train)
    y_true = churn.y_test.astype(int)
    result = {"y_true": y_true}
    for name, scores in [("mlp", trained.p_test), ("tree", tree.predict_proba(churn.X_test)[:, 1])]:
        fpr, tpr = roc_points(y_true, scores)
        result[f"auc_{name}"] = auc_trapezoid(fpr, tpr)
        result[f"n_points_{name}"] = len(fpr)
        result[f"fpr_{name}"], result[f"tpr_{name}"], result[f"scores_{name}"] = fpr, tpr, scores
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("ROC curve and AUC by hand", run(args.seed), "5.4.2")
