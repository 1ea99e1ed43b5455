"""Grader of exercise 5.3.1: an L1 penalty as feature selection (``build_selector``, ``selected_inputs``).

The grader owns the harness: it hides 20 standard-normal noise columns among the churn inputs (the
60 columns shuffled, one order for all splits), builds the student's network, trains it itself
(:func:`coursekit.graders.lesson_5_3.train`: ``tf.data`` pipelines, early stopping on the validation
loss) with the optimizer and loss the student compiled, and computes every graded number itself: its
own measure of each input's importance (the mean absolute weight of its row in the first Dense
kernel), the weight the noise columns keep, whether one is among the ten strongest inputs, the test
ROC AUC. The L1 penalty is read from what Keras adds to the loss (a regulariser set after the layer is
built adds nothing), and no path from the inputs may skip the penalised layer. ``selected_inputs`` is
compared (``agrees_with_reference``) with the inputs the grader used on 10 hidden networks whose
first-layer weights it set (some inputs used, the others jittering near zero, as Adam leaves them;
several scales, all or one input used, ties), a fresh network for every call. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the
wrong answers in ``tests/graders/test_ex_5_3_1.py`` show that the check aimed at each mistake fails and
that its hint names the mistake.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import coursekit
from coursekit.grading import (agrees_with_reference, Exercise, RuleBroken, SolutionUsed, Student, StudentFailure, Tampered, dense_layers,
                               is_compiled, is_model, loss_name, output_layer, prepared, train, rubric_cache)
from coursekit.training import predict

from .lesson_5_3 import BuildsArguments, path_around, penalty_strengths


def _soft_call(student: Student, name: str, *args):
    """A student function whose result is only reported, not graded: None when it fails in an
    ordinary way (a TODO, an exception); a broken rule or tampering still ends the grading."""
    try:
        return student.call(name, *args)
    except (RuleBroken, SolutionUsed, Tampered):
        raise
    except StudentFailure:
        return None


def _l1_of(layer) -> float:
    """The L1 strength the layer's kernel really carries into the loss (0 for a regulariser Keras never applies)."""
    kernel = getattr(layer, "kernel", None)
    return penalty_strengths(kernel)[0] if kernel is not None else 0.0


EX = Exercise("5.3.1", ("build_selector", "selected_inputs"),
              targets={"noise columns": 20, "epochs": 60, "batch": 256, "noise share": 0.2, "top inputs": 10,
                       "test ROC AUC": 0.825})


@rubric_cache
def _noisy_churn(seed: int):
    """Churn with 20 standard-normal noise columns, the 60 columns shuffled (one order for all splits)."""
    churn = prepared("churn")
    rng = np.random.default_rng(5301 + seed)
    k, n = EX.target("noise columns"), churn.n_features
    order = rng.permutation(n + k)
    arrays = [np.hstack([X, rng.standard_normal((len(X), k)).astype(np.float32)])[:, order]
              for X in (churn.X_train, churn.X_val, churn.X_test)]
    return (*arrays, order >= n)


def _importance(model) -> np.ndarray:
    """The rubric's own measure: mean absolute weight of each input's row in the first Dense kernel."""
    return np.abs(np.asarray(dense_layers(model)[0].kernel, dtype=np.float64)).mean(axis=1)


def _as_indices(selected, n_inputs: int) -> set[int] | None:
    try:
        arr = np.asarray(selected).ravel()
        if arr.dtype == bool and len(arr) == n_inputs:
            arr = np.flatnonzero(arr)
        return {int(i) for i in arr}
    except (TypeError, ValueError):
        return None


@EX.part("the selecting network", points=6)
def _selector(student: Student, ctx, v):
    churn = prepared("churn")
    X_train, X_val, X_test, is_noise = _noisy_churn(ctx.seed)
    n = X_train.shape[1]
    coursekit.set_seed(ctx.seed)
    model = student.call("build_selector", n)
    if not (is_model(v, "network", model) and is_compiled(v, "network", model)):
        return
    dense = dense_layers(model)
    first = dense[0] if dense else None
    rows = int(first.kernel.shape[0]) if first is not None else None
    if not v.check("first layer is a Dense layer on the inputs", rows == n, f"kernel rows {rows}", f"{n} (one per input)",
                   "the first layer must be a Dense layer that receives the inputs, one kernel row per input column"):
        return
    strength = _l1_of(first)
    v.metric("L1 strength on the first layer", strength)
    has_l1 = v.check("L1 penalty on the first layer's kernel", strength > 0,
                     f"{type(first.kernel_regularizer).__name__ if first.kernel_regularizer is not None else 'no penalty'}, "
                     f"l1 {strength:g} in the loss",
                     "an L1 penalty (keras.regularizers.L1 or L1L2 with l1 > 0)",
                     "an L1 penalty on the first layer's kernel is what switches inputs off: L2 only shrinks weights, "
                     "and a penalty on a layer further in leaves the inputs' weights untouched. Give it to the layer when "
                     "you create it (kernel_regularizer=...): one set on a layer after it is built, or on a frozen layer, "
                     "never reaches the loss")
    around = path_around(model, lambda layer: layer is first)
    no_bypass = v.check("every path from the inputs passes the penalised first layer", around is None,
            " -> ".join(["input", *around, "output"]) if around else "yes", "no path around it",
            "the inputs also reach the output by a path that skips the penalised first layer: through that path the "
            "network uses every input, noise included, whatever the penalty does to the first layer. Feed the inputs "
            "to the penalised layer only")
    output_layer(v, "network", model, 1, "sigmoid", "the output gives a probability of churn: one sigmoid unit")
    v.check("network loss", loss_name(model) == "binarycrossentropy", loss_name(model), "binarycrossentropy",
            "a yes/no target: binary cross-entropy")
    if not (has_l1 and no_bypass):
        return  # the exercise is what an L1 penalty does: without one, or around it, there is nothing to measure
    train(model, X_train, churn.y_train, X_val, churn.y_val, seed=ctx.seed, epochs=EX.target("epochs"),
          batch_size=EX.target("batch"), patience=10)
    importance = _importance(model)
    top_k = EX.target("top inputs")
    strongest_real = np.sort(importance[~is_noise])[-top_k:].mean()
    share = float(importance[is_noise].mean() / strongest_real) if strongest_real > 0 else float("inf")
    v.metric("noise / all real inputs", float(importance[is_noise].mean() / max(importance[~is_noise].mean(), 1e-30)))
    # Measured over seeds 0-4 (solution: Dense 32 with L1 0.01, then Dense 16 with L2 1e-3, Adam 1e-3): noise share
    # 0.061-0.086, no noise column in the top 10, test AUC 0.838-0.840. L1 1e-4 instead: 0.77-0.87. In a trial run
    # (seeds 0-2, Adam 3e-3): no penalty 0.80-0.83, L2 0.01 instead of L1 0.71-0.79 (this part now stops there).
    v.at_most("noise share", share, EX.target("noise share"),
              "the noise columns keep much of their weight: the L1 penalty must sit on the first layer's kernel and be "
              "strong enough to push the weights of useless inputs to almost zero (L2 only shrinks them). Adam leaves "
              "unused weights jittering at about the size of its learning rate")
    top = np.argsort(-importance)[:top_k]
    v.equal(f"noise columns among the {top_k} most important inputs", int(is_noise[top].sum()), 0,
            "a noise column among the inputs the network relies on most: strengthen the L1 penalty on the first layer")
    auc = roc_auc_score(churn.y_test, predict(model, X_test))
    v.at_least("test_auc", auc, EX.target("test ROC AUC"),
               "the network ranks customers worse than a churn network should: an L1 penalty far too strong switches "
               "the real inputs off too")
    kept = _soft_call(student, "selected_inputs", model)
    kept = _as_indices(kept, n) if kept is not None else None
    if kept and all(0 <= i < n for i in kept):
        idx = np.array(sorted(kept))
        v.metric("real columns your rule keeps", int((~is_noise[idx]).sum()))
        v.metric("noise columns your rule keeps", int(is_noise[idx].sum()))
        lr = LogisticRegression(max_iter=2000).fit(X_train[:, idx], churn.y_train)
        v.metric("logistic regression on the kept columns: test AUC", roc_auc_score(churn.y_test, lr.predict_proba(X_test[:, idx])[:, 1]))


def _selection_kernel(rng, n_in: int, units: int, n_used: int, scale: float = 1.0, ties: int = 0):
    """A first-layer kernel the rubric sets: ``n_used`` inputs used (mean |w| from 0.35 to 1 times the strongest,
    ``ties`` more rows equal to the strongest), the others jittering near zero (mean |w| about 1% of the strongest),
    as Adam leaves them; everything times ``scale``. The kernel and the used inputs."""
    used = rng.choice(n_in, n_used, replace=False)
    W = rng.uniform(-0.006, 0.006, size=(n_in, units))
    strong = rng.normal(size=(n_used, units))
    target = 0.3 * rng.uniform(0.35, 1.0, size=n_used)
    target[0] = 0.3
    W[used] = strong * (target / np.abs(strong).mean(axis=1))[:, None]
    for k in range(1, ties + 1):
        W[used[k]] = W[used[0]][::-1]  # the same mean |w| as the strongest input
    return (W * scale).astype(np.float32), np.sort(used)


def _selection_cases() -> list[tuple]:
    """(label, (kernel, kind), used): hidden networks whose first-layer weights the rubric set. Kinds: a
    Sequential network, a functional one with a second hidden layer, one with Dropout on its inputs
    before the first Dense layer. Scales from 0.02 to 30 times the usual (a fixed cut-off fits one of
    them only), every input used, a single one, ties with the strongest, and two networks with as many
    inputs but other inputs used."""
    rng = np.random.default_rng(531)
    spec = [(60, 32, 13, 1.0, 0, "sequential"), (25, 8, 6, 1.0, 0, "functional"), (90, 16, 31, 1.0, 0, "sequential"),
            (40, 64, 4, 1.0, 0, "functional"), (60, 32, 20, 0.02, 0, "sequential"), (30, 16, 9, 30.0, 0, "dropout first"),
            (12, 8, 12, 1.0, 0, "sequential"), (20, 8, 1, 1.0, 0, "functional"), (35, 16, 7, 1.0, 2, "sequential"),
            (60, 32, 5, 1.0, 0, "dropout first")]
    cases = []
    for n_in, units, n_used, scale, ties, kind in spec:
        W, used = _selection_kernel(rng, n_in, units, n_used, scale, ties)
        label = (f"a {kind} network of {n_in} inputs, {n_used} of them used" + (f", weights x{scale:g}" if scale != 1 else "")
                 + (f", {ties + 1} tied for the strongest" if ties else ""))
        cases.append((label, (W, kind), used))
    return cases


def _network_with_kernel(W, kind: str) -> keras.Model:
    """A churn-like network whose first Dense layer holds the kernel ``W``."""
    n_in, units = W.shape
    inputs = keras.Input(shape=(n_in,))
    x = keras.layers.Dropout(0.1)(inputs) if kind == "dropout first" else inputs
    first = keras.layers.Dense(units, activation="relu")
    hidden = first(x)
    if kind == "functional":
        hidden = keras.layers.Dense(8, activation="relu")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    if kind == "sequential":
        model = keras.Sequential([keras.Input(shape=(n_in,)), first, keras.layers.Dense(1, activation="sigmoid")])
    first.kernel.assign(W)
    return model


def _same_selection(mine, want) -> bool:
    """The same inputs, as integer column indices in any order (or a boolean mask over the inputs)."""
    try:
        arr = np.asarray(mine)
    except (TypeError, ValueError):
        return False
    if arr.dtype == bool:
        arr = np.flatnonzero(arr)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        return False
    return len(arr) == len(want) and set(arr.tolist()) == set(np.asarray(want).tolist())


@EX.part("reading the selection", points=4)
def _reading(student, ctx, v):
    cases = _selection_cases()

    def used_inputs(W, kind):  # the reference: the inputs the rubric gave weights to
        return next(used for _, (K, _), used in cases if np.array_equal(K, W))

    coursekit.set_seed(531)
    agrees_with_reference(
        v, BuildsArguments(student, _network_with_kernel), "selected_inputs", used_inputs,
        [(label, args) for label, args, _ in cases], check="selected_inputs", same=_same_selection,
        hint="return the column indices (integers, each once) of the inputs the network uses: an input is used when its "
             "row of the first Dense kernel holds weights far larger than the near-zero jitter of the unused ones. "
             "Compare each input's mean absolute weight with the strongest input's -- not with exactly 0 (Adam never "
             "lands exactly on 0), not with a fixed number (the weights of another network are on another scale), and "
             "not a fixed number of inputs (a network may use any number of them, all of them or one). Read the first "
             "Dense layer, wherever it sits among the layers")
