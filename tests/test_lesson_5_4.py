"""Rubric of lesson 5.4: advanced model evaluation.

Each ``grade_5_4_K`` holds that exercise's targets. The grader never trusts a number it can
recompute: it recomputes the metrics with scikit-learn from the labels and scores ``run()``
returns, checks that the labels are the real split's and that the scores come from a real model
(their AUC, or the returned model's own predictions), and only then compares. Targets that are
measured come from the solution's spread over seeds 0-4 (the comment above each gives the numbers)
with a margin. The wrong answers at the bottom show that the rubric rejects them.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import pytest
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    fbeta_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from rubric import LESSONS, REPO, Verdict, exercise_params


@functools.lru_cache(maxsize=1)
def _churn():
    import data

    return data.prepare_churn()


def _lesson_helpers():
    """The lesson's private module of trained models (imported once per process, as the exercises do)."""
    folder = str(REPO / LESSONS["5.4"])
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import _models_5_4

    return _models_5_4


def _array(v: Verdict, r: dict, key: str, n: int | None = None):
    """``r[key]`` as a 1-D float array of length ``n`` (a failed check and None otherwise)."""
    try:
        a = np.asarray(r[key], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        a = None
    ok = a is not None and (n is None or len(a) == n) and bool(np.all(np.isfinite(a)))
    v.check(f"{key} is an array of {n or 'some'} finite numbers", ok,
            "shape " + (str(a.shape) if a is not None else type(r[key]).__name__), f"{n} numbers",
            f"return {key} as run() does")
    return a if ok else None


def _model_predictions(model, X):
    from coursekit.training import predict

    return predict(model, X)


# --------------------------------------------------------------------------- 5.4.1


def grade_5_4_1(r) -> Verdict:
    v = Verdict("5.4.1")
    keys = ["tn", "fp", "fn", "tp", "precision", "recall", "f1", "f2", "accuracy", "y_true", "y_pred", "scores"]
    if not v.has_keys(r, keys):
        return v
    churn = _churn()
    n = len(churn.y_test)
    y_true, y_pred, scores = (_array(v, r, k, n) for k in ["y_true", "y_pred", "scores"])
    if y_true is None or y_pred is None or scores is None:
        return v
    v.check("y_true is the test split's labels", np.array_equal(y_true, churn.y_test), f"{int(y_true.sum())} churners",
            f"{int(churn.y_test.sum())} churners of the test split", "evaluate on churn.y_test")
    v.check("y_pred is scores >= 0.5", np.array_equal(y_pred, (scores >= 0.5).astype(float)),
            f"{int(np.sum(y_pred != (scores >= 0.5)))} differences", "0 differences", "predict churn when p >= 0.5")
    # Measured over seeds 0-4: 0.839-0.843 (the MLP's test AUC); a constant or random score is 0.5.
    v.at_least("test ROC AUC of the scores", roc_auc_score(y_true, scores), 0.82,
               "the scores must be the trained model's test probabilities")
    tn, fp, fn, tp = (int(c) for c in confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel())
    counts = {k: r[k] for k in ["tn", "fp", "fn", "tp"]}
    v.equal("confusion counts", counts, {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
            "tn: actual 0 predicted 0, fp: actual 0 predicted 1, fn: actual 1 predicted 0, tp: actual 1 predicted 1")
    v.close("precision equals scikit-learn's", r["precision"], precision_score(y_true, y_pred, zero_division=0), 1e-12,
            "precision = tp / (tp + fp): of the customers flagged, how many churn")
    v.close("recall equals scikit-learn's", r["recall"], recall_score(y_true, y_pred, zero_division=0), 1e-12,
            "recall = tp / (tp + fn): of the churners, how many were flagged")
    v.close("f1 equals scikit-learn's", r["f1"], f1_score(y_true, y_pred, zero_division=0), 1e-12,
            "F1 = 2 p r / (p + r)")
    v.close("f2 equals scikit-learn's", r["f2"], fbeta_score(y_true, y_pred, beta=2, zero_division=0), 1e-12,
            "F-beta = (1 + beta^2) p r / (beta^2 p + r) with beta = 2")
    v.close("accuracy", r["accuracy"], (tp + tn) / n, 1e-12, "(tp + tn) / all")
    return v


# --------------------------------------------------------------------------- 5.4.2


def _grade_curve(v: Verdict, r: dict, name: str, y_true, min_auc: float, hint: str):
    scores = _array(v, r, f"scores_{name}", len(y_true))
    fpr, tpr = _array(v, r, f"fpr_{name}"), _array(v, r, f"tpr_{name}")
    if scores is None or fpr is None or tpr is None:
        return
    sk_auc = roc_auc_score(y_true, scores)
    v.at_least(f"{name} test AUC (scikit-learn)", sk_auc, min_auc, hint)
    v.close(f"auc_{name} equals scikit-learn's", r[f"auc_{name}"], sk_auc, 1e-9,
            "group tied scores into one point and sum trapezoids (x[i+1]-x[i]) * (y[i]+y[i+1]) / 2")
    sk_fpr, sk_tpr, _ = roc_curve(y_true, scores, drop_intermediate=False)
    same = len(fpr) == len(sk_fpr) and np.allclose(fpr, sk_fpr, atol=1e-12) and np.allclose(tpr, sk_tpr, atol=1e-12)
    v.check(f"{name} ROC points equal scikit-learn's", same, f"{len(fpr)} points",
            f"{len(sk_fpr)} points (0,0) then one per distinct score, highest first",
            "start at (0, 0); one point per DISTINCT score counting every score >= s as flagged; end at (1, 1)")


def grade_5_4_2(r) -> Verdict:
    v = Verdict("5.4.2")
    keys = ["y_true", "auc_mlp", "fpr_mlp", "tpr_mlp", "scores_mlp", "auc_tree", "fpr_tree", "tpr_tree", "scores_tree"]
    if not v.has_keys(r, keys):
        return v
    churn = _churn()
    y_true = _array(v, r, "y_true", len(churn.y_test))
    if y_true is None:
        return v
    v.check("y_true is the test split's labels", np.array_equal(y_true, churn.y_test), f"{int(y_true.sum())} churners",
            f"{int(churn.y_test.sum())} churners of the test split", "evaluate on churn.y_test")
    # Measured over seeds 0-4: MLP 0.839-0.843; tree (depth 4) 0.829; constant scores give 0.5.
    _grade_curve(v, r, "mlp", y_true, 0.82, "the MLP scores must be its test probabilities")
    _grade_curve(v, r, "tree", y_true, 0.78, "the tree scores must be its predict_proba(X_test)[:, 1]")
    return v


# --------------------------------------------------------------------------- 5.4.3

COST_FN, COST_FP = 5.0, 1.0
THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


def _cost(y, p, t) -> float:
    flagged = p >= t
    return float((COST_FN * np.sum((y == 1) & ~flagged) + COST_FP * np.sum((y == 0) & flagged)) / len(y))


def grade_5_4_3(r) -> Verdict:
    v = Verdict("5.4.3")
    keys = ["threshold", "val_cost", "test_cost", "test_cost_at_0.5", "test_saving", "y_val", "p_val", "p_test", "model"]
    if not v.has_keys(r, keys):
        return v
    churn = _churn()
    y_val = _array(v, r, "y_val", len(churn.y_val))
    p_val, p_test = _array(v, r, "p_val", len(churn.y_val)), _array(v, r, "p_test", len(churn.y_test))
    if y_val is None or p_val is None or p_test is None:
        return v
    v.check("y_val is the validation split's labels", np.array_equal(y_val, churn.y_val), f"{len(y_val)} labels",
            "churn.y_val", "choose the threshold on the validation split")
    # The probabilities must be the returned model's own (float32 predictions: 1e-5).
    own_val, own_test = _model_predictions(r["model"], churn.X_val), _model_predictions(r["model"], churn.X_test)
    v.check("p_val are the model's validation predictions", np.allclose(p_val, own_val, atol=1e-5),
            f"max difference {np.max(np.abs(p_val - own_val)):.2g}", "<= 1e-5", "p_val = predict(model, X_val)")
    v.check("p_test are the model's test predictions", np.allclose(p_test, own_test, atol=1e-5),
            f"max difference {np.max(np.abs(p_test - own_test)):.2g}", "<= 1e-5", "p_test = predict(model, X_test)")
    t = r["threshold"]
    if not v.check("threshold is one of THRESHOLDS", any(abs(t - c) < 1e-9 for c in THRESHOLDS), t,
                   "0.01, 0.02, ..., 0.99", "choose among the THRESHOLDS candidates"):
        return v
    y_test = churn.y_test
    val_costs = np.array([_cost(churn.y_val, own_val, c) for c in THRESHOLDS])
    best = float(THRESHOLDS[int(np.argmin(val_costs))])
    v.check("threshold minimises the validation cost", _cost(churn.y_val, own_val, t) <= val_costs.min() + 1e-12,
            f"{t} (validation cost {_cost(churn.y_val, own_val, t):.4f})",
            f"{best} (validation cost {val_costs.min():.4f})",
            "choose on VALIDATION data with cost 5 per missed churner and 1 per false alarm; never tune on y_test")
    v.close("val_cost", r["val_cost"], _cost(churn.y_val, own_val, t), 1e-9,
            "mean of 5 * false negatives + 1 * false positives per validation customer")
    v.close("test_cost", r["test_cost"], _cost(y_test, own_test, t), 1e-9,
            "the test cost at the chosen threshold, flagging score >= threshold")
    v.close("test_cost_at_0.5", r["test_cost_at_0.5"], _cost(y_test, own_test, 0.5), 1e-9,
            "the test cost at the default threshold 0.5")
    # Measured over seeds 0-4: saving 0.367-0.449 (thresholds 0.12-0.18); at 0.5 the saving is 0 by definition.
    v.at_least("test_saving", 1.0 - _cost(y_test, own_test, t) / _cost(y_test, own_test, 0.5), 0.25,
               "a 5:1 cost calls for a threshold well below 0.5")
    return v


# --------------------------------------------------------------------------- 5.4.4


def _early_stop(val_loss, patience):
    best, best_at = np.inf, 0
    for epoch, loss in enumerate(val_loss, start=1):
        if loss < best:
            best, best_at = loss, epoch
        elif epoch - best_at >= patience:
            return epoch
    return len(val_loss)


def grade_5_4_4(r) -> Verdict:
    v = Verdict("5.4.4")
    keys = ["best_epoch", "onset_epoch", "early_stopping_epoch", "history", "model"]
    if not v.has_keys(r, keys):
        return v
    history = r["history"]
    if not v.check("history has loss and val_loss", isinstance(history, dict) and {"loss", "val_loss"} <= set(history),
                   type(history).__name__, "a dict with 'loss' and 'val_loss'", "return history.history"):
        return v
    val_loss = np.asarray(history["val_loss"], dtype=np.float64)
    loss = np.asarray(history["loss"], dtype=np.float64)
    v.equal("epochs in the history", len(val_loss), 40, "read the history of train_churn_mlp(seed), 40 epochs")
    best = int(np.argmin(val_loss)) + 1
    v.equal("best_epoch", r["best_epoch"], best,
            "the 1-based epoch of the LOWEST VALIDATION loss (training loss falls to the end)")
    worse = np.flatnonzero(val_loss[best:] > 1.01 * val_loss.min())
    onset = int(best + worse[0] + 1) if len(worse) else None
    v.equal("onset_epoch", r["onset_epoch"], onset, "the first epoch after the best with val_loss > 1.01 * minimum")
    v.equal("early_stopping_epoch", r["early_stopping_epoch"], _early_stop(val_loss, 5),
            "patience 5: stop 5 epochs after the best epoch so far (a strictly lower loss resets the wait)")
    # Measured over seeds 0-4: final val_loss 4-7% above its minimum, training loss 13-17% lower than at the best epoch.
    v.at_least("val_loss end / minimum", val_loss[-1] / val_loss.min(), 1.03,
               "the history must be the 40-epoch run, which overfits")
    v.at_most("train loss end / at best epoch", loss[-1] / loss[best - 1], 0.97,
              "overfitting: training loss keeps falling while validation loss rises")
    churn = _churn()
    p_val = np.clip(_model_predictions(r["model"], churn.X_val), 1e-7, 1 - 1e-7)
    v.close("model's validation log loss", log_loss(churn.y_val, p_val), val_loss[best - 1], 2e-3,
            "the returned model must carry the best epoch's weights (restore_best_weights)")
    return v


# --------------------------------------------------------------------------- 5.4.5


def grade_5_4_5(r) -> Verdict:
    v = Verdict("5.4.5")
    keys = ["class_weights", "recall_plain", "recall_weighted", "precision_weighted", "roc_auc_plain",
            "roc_auc_weighted", "average_precision_weighted", "scores_plain", "scores_weighted", "y_test"]
    if not v.has_keys(r, keys):
        return v
    from sklearn.utils.class_weight import compute_class_weight

    rare = _lesson_helpers().rare_churn(0.05)
    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=rare.y_train.astype(int))
    weights = r["class_weights"]
    ok = isinstance(weights, dict) and set(weights) == {0, 1} and np.allclose([weights[0], weights[1]], expected, rtol=1e-9)
    v.check("class weights", ok, weights, f"{{0: {expected[0]:.4f}, 1: {expected[1]:.4f}}}",
            "w_c = n / (2 * n_c): the rare class gets the LARGE weight")
    y_test = _array(v, r, "y_test", len(rare.y_test))
    plain, weighted = _array(v, r, "scores_plain", len(rare.y_test)), _array(v, r, "scores_weighted", len(rare.y_test))
    if y_test is None or plain is None or weighted is None:
        return v
    v.check("y_test is the rare test split", np.array_equal(y_test, rare.y_test), f"{int(y_test.sum())} churners",
            f"{int(rare.y_test.sum())} churners", "score rare_churn(0.05).y_test")
    for name, scores in [("plain", plain), ("weighted", weighted)]:
        v.close(f"recall_{name} equals scikit-learn's", r[f"recall_{name}"],
                recall_score(y_test, scores >= 0.5, zero_division=0), 1e-12, "recall of class 1 at score >= 0.5")
        v.close(f"roc_auc_{name} equals scikit-learn's", r[f"roc_auc_{name}"], roc_auc_score(y_test, scores), 1e-12,
                "roc_auc_score(y_true, scores)")
    v.close("precision_weighted equals scikit-learn's", r["precision_weighted"],
            precision_score(y_test, weighted >= 0.5, zero_division=0), 1e-12, "precision of class 1 at score >= 0.5")
    # Measured over seeds 0-4: weighted recall 0.685-0.759 (unweighted 0.000-0.037); inverted weights give ~0.
    recall_w = recall_score(y_test, weighted >= 0.5, zero_division=0)
    v.at_least("recall_weighted", recall_w, 0.55, "weight the rare class up so the model flags churners at 0.5")
    v.at_least("recall gain from weighting", recall_w - recall_score(y_test, plain >= 0.5, zero_division=0), 0.4,
               "train the second model with class_weight=balanced_class_weights(y_train)")
    # Measured over seeds 0-4: weighted AUC 0.818-0.830, weighted minus unweighted -0.008 to +0.021.
    auc_w, auc_p = roc_auc_score(y_test, weighted), roc_auc_score(y_test, plain)
    v.at_least("roc_auc_weighted", auc_w, 0.79, "class weights should not wreck the ranking")
    v.at_least("roc_auc weighted - plain", auc_w - auc_p, -0.03, "class weights should not wreck the ranking")
    return v


GRADERS = {"5.4.1": grade_5_4_1, "5.4.2": grade_5_4_2, "5.4.3": grade_5_4_3, "5.4.4": grade_5_4_4, "5.4.5": grade_5_4_5}


@pytest.mark.parametrize("ex_id", exercise_params(GRADERS))
def test_exercise(ex_id, exercise_run, record_verdict):
    record_verdict(GRADERS[ex_id](exercise_run(ex_id))).assert_passed()


# --------------------------------------------------------------------------- wrong answers
# 5.4.1-5.4.4 share one trained MLP (cached in _models_5_4), so these wrong answers cost little.


def test_rubric_rejects_swapped_precision_and_recall(wrong_run):
    def patch(m):
        right_precision, right_recall = m.precision, m.recall
        m.precision, m.recall = right_recall, right_precision

    verdict = grade_5_4_1(wrong_run("5.4.1", patch=patch))
    assert {"precision equals scikit-learn's", "recall equals scikit-learn's"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_roc_that_ignores_ties(wrong_run):
    """One point per customer in sorted order: the tree's tied scores become an arbitrary staircase."""

    def roc_points_per_sample(y_true, scores):
        order = np.argsort(-np.asarray(scores), kind="stable")
        y = np.asarray(y_true)[order]
        tp, fp = np.cumsum(y), np.cumsum(1 - y)
        return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]]

    verdict = grade_5_4_2(wrong_run("5.4.2", roc_points=roc_points_per_sample))
    assert {"auc_tree equals scikit-learn's", "tree ROC points equal scikit-learn's"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_threshold_tuned_on_test_split(wrong_run, seed):
    """Measured over seeds 0-4: the test-split optimum (0.12-0.16) differs from the validation one
    (0.12-0.18) and costs 0.0014-0.0134 more per validation customer, so the optimality check fails."""
    def patch(m):
        right = m.choose_threshold
        trained = m.train_churn_mlp(seed)

        def choose_on_test(y_val, p_val, thresholds=m.THRESHOLDS):
            return right(trained.churn.y_test, trained.p_test, thresholds)  # peeks at the test split

        m.choose_threshold = choose_on_test

    verdict = grade_5_4_3(wrong_run("5.4.3", patch=patch))
    assert "threshold minimises the validation cost" in verdict.failed_names(), verdict.report()


def test_rubric_rejects_zero_based_best_epoch(wrong_run):
    """np.argmin's index is not the epoch Keras printed: epochs count from 1."""
    verdict = grade_5_4_4(wrong_run("5.4.4", best_epoch=lambda val_loss: int(np.argmin(val_loss))))
    assert "best_epoch" in verdict.failed_names(), verdict.report()


def test_rubric_rejects_inverted_class_weights(wrong_run):
    def patch(m):
        right = m.balanced_class_weights
        m.balanced_class_weights = lambda y: {0: right(y)[1], 1: right(y)[0]}

    verdict = grade_5_4_5(wrong_run("5.4.5", patch=patch))
    assert {"class weights", "recall_weighted"} <= set(verdict.failed_names()), verdict.report()
