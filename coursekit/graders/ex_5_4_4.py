"""Grader of exercise 5.4.4: how sure is an AUC? Bootstrap intervals, for one model and for a
difference.

The grader owns the harness: it calls the student's interval functions on arrays it chose, never the
test split (the validation predictions of its own churn network and of a logistic regression, and
hidden tied scores), and measures what share of its own resampled AUCs (or paired AUC differences)
each interval holds: an interval at level 0.95 must hold about 95% of them. On a small set of its own
it changes one argument at a time: the same seed gives the same interval whatever NumPy's global
random state, another seed another one, fewer resamples another one, a higher level a wider interval
holding the narrower one; and the paired interval of a model against itself is (0, 0). Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers) with a margin; the wrong answers in
``tests/graders/test_ex_5_4_4.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from coursekit.grading import Exercise, prepared, rubric_cache, Student

from .lesson_5_4 import churn_predictions, frozen

EX = Exercise("5.4.4", ("bootstrap_auc_interval", "paired_auc_difference_interval"),
              targets={"rubric resamples": 4000, "resamples": 1000, "coverage low": 0.925, "coverage high": 0.975,
                       "coverage low at 0.8": 0.75, "coverage high at 0.8": 0.85, "tied cases": 500})


@rubric_cache
def _logistic_predictions() -> tuple[np.ndarray, np.ndarray]:
    churn = prepared("churn")
    model = LogisticRegression(max_iter=2000).fit(churn.X_train, churn.y_train)
    return frozen(model.predict_proba(churn.X_val)[:, 1]), frozen(model.predict_proba(churn.X_test)[:, 1])


def _resampled_aucs(y, scores, counts) -> np.ndarray:
    """The AUC of ``scores`` on each resample, a resample given as how often each case is drawn (one
    row of ``counts``): the Mann-Whitney count, ties counting half, vectorised over resamples."""
    _, group = np.unique(scores, return_inverse=True)
    order = np.argsort(group, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
    c, truth = counts[:, order].astype(np.float64), np.asarray(y, dtype=np.float64)[order]
    pos, neg = np.add.reduceat(c * truth, starts, axis=1), np.add.reduceat(c * (1 - truth), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def _rubric_resamples(y, n: int, seed: int) -> np.ndarray:
    counts = np.random.default_rng(seed).multinomial(len(y), np.full(len(y), 1 / len(y)), size=n)
    truth = np.asarray(y)
    both = ((counts * truth).sum(axis=1) > 0) & ((counts * (1 - truth)).sum(axis=1) > 0)
    return counts[both]


@rubric_cache
def _interval_cases(seed: int) -> dict:
    """The arrays the rubric chooses (never the test split), and its own resampled AUCs of each."""
    churn = prepared("churn")
    y = churn.y_val.astype(int)
    mlp, logistic = churn_predictions(seed)[0], _logistic_predictions()[0]
    rng = np.random.default_rng(5440)
    n_tied = EX.target("tied cases")
    y_tied = (rng.random(n_tied) < 0.3).astype(int)
    tied = np.round(np.clip(rng.normal(0.35 + 0.25 * y_tied, 0.2), 0, 1), 1)  # 11 distinct scores
    n = EX.target("rubric resamples")
    counts, counts_tied = _rubric_resamples(y, n, 9000 + seed), _rubric_resamples(y_tied, n, 9100 + seed)
    aucs = {"mlp": _resampled_aucs(y, mlp, counts), "logistic": _resampled_aucs(y, logistic, counts)}
    return {"y": y, "mlp": mlp, "logistic": logistic, "y_tied": y_tied, "tied": tied, "aucs_mlp": aucs["mlp"],
            "differences": aucs["mlp"] - aucs["logistic"], "aucs_tied": _resampled_aucs(y_tied, tied, counts_tied)}


def _interval(v, function, out) -> tuple[float, float] | None:
    try:
        low, high = (float(x) for x in out)
    except (TypeError, ValueError):
        low = high = float("nan")
    ok = np.isfinite(low) and np.isfinite(high) and low <= high
    v.check(f"{function} returns (low, high)", ok, out if not ok else "finite, low <= high", "two numbers, low <= high",
            "return the two ends of the interval as floats, the lower first")
    return (low, high) if ok else None


def _coverage_hint(coverage: float, low_target: float, point_inside: bool, paired: bool) -> str:
    if not point_inside:
        return ("the interval does not hold the AUC of the cases themselves: resample whole cases -- each case's label "
                "travels with its score -- and compute the AUC of every resample")
    if coverage < low_target:
        return ("too narrow: of the resampled values, keep the middle `level` share -- cut (1 - level) / 2 from each "
                "end (np.percentile). A standard error on each side of the AUC is not a 95% interval")
    if paired:
        return ("too wide: a difference between two models scored on the same cases is resampled with the same rows "
                "for both; resampling each model's cases apart ignores that their errors move together")
    return "too wide: for `level`, cut (1 - level) / 2 of the resampled values from each end, no more"


def _coverage_check(v, name, interval, resampled, point, level, paired=False):
    lows = {0.95: EX.target("coverage low"), 0.8: EX.target("coverage low at 0.8")}
    highs = {0.95: EX.target("coverage high"), 0.8: EX.target("coverage high at 0.8")}
    low, high = interval
    coverage = float(np.mean((resampled >= low) & (resampled <= high)))
    v.metric(f"{name}: interval width", high - low)
    v.between(f"{name}: share of the rubric's resampled values inside", coverage, lows[level], highs[level],
              _coverage_hint(coverage, lows[level], low <= point <= high, paired))


def _dial_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """120 cases, both classes, two models' continuous scores: small enough to resample quickly."""
    rng = np.random.default_rng(5441)
    y = np.r_[0, 1, (rng.random(118) < 0.35).astype(int)]
    return y, rng.normal(0.8 * y, 1.0), rng.normal(0.5 * y, 1.0)


def _dials(v, student: Student, function: str, data: tuple) -> None:
    """The seed, the number of resamples and the level are the ones given, and NumPy's global random
    state does not matter: asked with one set of dials, then with one dial changed at a time."""
    def ask(n_boot=150, level=0.9, seed=11, global_seed=0):
        np.random.seed(global_seed)  # the caller's global state: a result must not depend on it
        out = student.call(function, *(x.copy() for x in data), n_boot, level, seed)
        try:
            low, high = (float(x) for x in out)
        except (TypeError, ValueError):
            low = high = float("nan")
        return low, high

    def show(*intervals) -> str:
        return " then ".join(f"({low:.4f}, {high:.4f})" for low, high in intervals)

    first, again, other = ask(), ask(global_seed=1), ask(seed=12)
    v.check(f"{function}: the same seed gives the same interval", np.allclose(first, again, rtol=0, atol=1e-12),
            show(first, again) + " with seed 11, NumPy's global state changed between the calls", "the same interval",
            "the same seed must give the same interval whatever NumPy's global random state is: draw every resample "
            "from a generator of your own made from the seed given (np.random.default_rng(seed)), not from the global "
            "np.random functions nor a generator made without the seed")
    v.check(f"{function}: another seed gives another interval", not np.allclose(first, other, rtol=0, atol=1e-12),
            show(first, other) + " with seeds 11 and 12", "two intervals",
            "the seed argument is ignored or overwritten: another seed must draw other resamples, so make the generator "
            "from the seed given")
    fewer, narrow, wide = ask(n_boot=40), ask(level=0.5), ask(level=0.99)
    widths = [high - low for low, high in (narrow, first, wide)]
    nested = wide[0] <= first[0] <= narrow[0] and narrow[1] <= first[1] <= wide[1] and widths[0] < widths[1] < widths[2]
    if np.allclose(first, fewer, rtol=0, atol=1e-12):
        hint = ("the argument n_boot is ignored or overwritten: 40 resamples gave exactly the interval of 150; draw as "
                "many resamples as asked")
    else:
        hint = ("the argument level is not honoured: with the same seed and resamples, the interval at level 0.5 lies "
                "inside the one at 0.9, which lies inside the one at 0.99 -- cut (1 - level) / 2 from each end")
    v.check(f"{function}: n_boot and level as given", nested and not np.allclose(first, fewer, rtol=0, atol=1e-12),
            f"{show(first, fewer)} with 150 and 40 resamples; {show(narrow, first, wide)} at levels 0.5, 0.9 and 0.99",
            "another interval for 40 resamples, nested intervals for rising levels", hint)


@EX.part("one model's interval", points=5)
def _one_model(student: Student, ctx, v):
    cases = _interval_cases(ctx.seed)
    n = EX.target("resamples")
    y, mlp = cases["y"], cases["mlp"]
    point = roc_auc_score(y, mlp)
    # Measured over seeds 0-4 (the solution, 1,000 resamples): 0.941-0.958 of the rubric's resampled AUCs
    # inside at level 0.95, 0.785-0.815 on the tied scores at 0.8. The AUC plus or minus one standard deviation
    # of the resampled AUCs: 0.67-0.69; resampling the scores but not the labels: 0.
    interval = _interval(v, "bootstrap_auc_interval", student.call("bootstrap_auc_interval", y.copy(), mlp.copy(), n, 0.95, ctx.seed))
    if interval is None:
        return
    _coverage_check(v, "validation AUC, level 0.95", interval, cases["aucs_mlp"], point, 0.95)
    y_tied, tied = cases["y_tied"], cases["tied"]
    interval = _interval(v, "bootstrap_auc_interval", student.call("bootstrap_auc_interval", y_tied.copy(), tied.copy(), n, 0.8, ctx.seed))
    if interval is None:
        return
    _coverage_check(v, "tied scores, level 0.8", interval, cases["aucs_tied"], roc_auc_score(y_tied, tied), 0.8)
    y, a, _ = _dial_data()
    _dials(v, student, "bootstrap_auc_interval", (y, a))


@EX.part("the paired difference", points=5)
def _paired(student, ctx, v):
    cases = _interval_cases(ctx.seed)
    y = cases["y"]
    point = roc_auc_score(y, cases["mlp"]) - roc_auc_score(y, cases["logistic"])
    out = student.call("paired_auc_difference_interval", y.copy(), cases["mlp"].copy(), cases["logistic"].copy(),
                       EX.target("resamples"), 0.95, ctx.seed)
    interval = _interval(v, "paired_auc_difference_interval", out)
    if interval is None:
        return
    v.metric("network minus logistic regression, validation AUC", point)
    # Measured over seeds 0-4 (the solution): 0.946-0.958 inside; resampling the two models apart gives an
    # interval 6.0-8.0 times as wide, which holds all of the rubric's paired differences.
    _coverage_check(v, "AUC difference, level 0.95", interval, cases["differences"], point, 0.95, paired=True)
    y, a, b = _dial_data()
    _dials(v, student, "paired_auc_difference_interval", (y, a, b))
    itself = student.call("paired_auc_difference_interval", y.copy(), a.copy(), a.copy(), 150, 0.95, 3)
    try:
        itself = tuple(float(x) for x in itself)
    except (TypeError, ValueError):
        itself = (float("nan"), float("nan"))
    v.check("a model against itself: the interval (0, 0)", np.allclose(itself, 0.0, rtol=0, atol=1e-12),
            f"({itself[0]:.4g}, {itself[1]:.4g}) for the same scores as both models", "(0, 0)",
            "with the same scores for both models, a difference computed on the SAME resampled rows is 0 every time: "
            "draw one set of row indices per round and score both models on those rows; resampling each model's "
            "cases apart ignores that the two are scored on the same cases")
