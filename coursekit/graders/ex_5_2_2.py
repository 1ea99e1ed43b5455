"""Grader of exercise 5.2.2 (lesson 5.2, training networks): optimizers compared honestly.

The student writes ``make_optimizer``, ``compare`` and ``rank``. The grader owns the harness: it calls the
student's functions with training and validation data only, trains every graded network itself
(``coursekit.training.fast_fit``: ``tf.data`` pipelines, validation every epoch) with the settings or the
optimizer the student chose, and computes every graded number itself.

- "fresh optimizers of the right kind": each of the six names gives a new optimizer per call, of the update
  rule the name says (``_KINDS``).
- "the comparison": the grader hands ``compare`` its own ``fit`` (``_Recorder``), which trains every run on
  the budget (4 epochs, batch 128) and records its seed, its optimizer and its best validation loss; the
  reported scores must be those runs', and the worst optimizer's mean must be low enough (each optimizer at
  a learning rate of its own). What is asked for is ``_COMPARE`` (all six optimizers, two seeds).
- "ranking with spread": ``rank`` on hidden made-up scores must sort by the mean over seeds.

Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_2_2.py`` show that the check aimed at
each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from coursekit.graders.lesson_5_2 import as_number, churn_net
from coursekit.grading import Exercise, loss_name, prepared
from coursekit.training import fast_compile, fast_fit


EX = Exercise("5.2.2", ("make_optimizer", "compare", "rank"),
              targets={"epochs": 4, "batch": 128, "agreement": 0.0001, "mean score": 0.47})
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
_COMPARE = {"names": OPTIMIZERS, "seeds": 2}  # what the rubric asks compare() for (wrong-answer tests ask for less)
_KINDS = {"sgd": keras.optimizers.SGD, "momentum": keras.optimizers.SGD, "nesterov": keras.optimizers.SGD,
          "rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW}


def _kind_ok(name, opt) -> tuple[bool, str]:
    cls = _KINDS[name]
    if type(opt) is not cls:
        return False, type(opt).__name__
    cfg = opt.get_config()
    if name == "sgd":
        return cfg.get("momentum", 0) == 0, f"SGD(momentum={cfg.get('momentum')})"
    if name in ("momentum", "nesterov"):
        return cfg.get("momentum", 0) > 0 and bool(cfg.get("nesterov")) == (name == "nesterov"), \
            f"SGD(momentum={cfg.get('momentum')}, nesterov={cfg.get('nesterov')})"
    if name == "adamw":
        return (cfg.get("weight_decay") or 0) > 0, f"AdamW(weight_decay={cfg.get('weight_decay')})"
    return True, type(opt).__name__


def _signature(opt) -> str:
    cfg = {k: v for k, v in opt.get_config().items() if k != "name"}
    return f"{type(opt).__name__}{sorted(cfg.items())}"


@EX.part("fresh optimizers of the right kind", points=2)
def _fresh(student, ctx, v):
    signatures = {}
    for name in OPTIMIZERS:
        first, second = student.call("make_optimizer", name), student.call("make_optimizer", name)
        if not v.check(f"{name} is a new optimizer per call", isinstance(first, keras.optimizers.Optimizer) and first is not second,
                       "the same object twice" if first is second else type(first).__name__, "a new keras optimizer each call",
                       "a Keras optimizer keeps per-weight state (momentum, moving averages) and serves only the model "
                       "it was built for: create a new one on every call instead of returning a shared instance"):
            return
        ok, seen = _kind_ok(name, first)
        expected = {"sgd": "SGD without momentum", "momentum": "SGD with momentum, nesterov=False",
                    "nesterov": "SGD with momentum and nesterov=True", "adamw": "AdamW with weight_decay > 0"}.get(
                        name, _KINDS[name].__name__)
        if not v.check(f"{name} is {expected}", ok, seen, expected,
                       f'"{name}" names one update rule: build that one (momentum > 0 for the momentum variants, '
                       "nesterov only for Nesterov, a weight decay for AdamW)"):
            return
        signatures[_signature(first)] = name
    ctx["signatures"] = signatures


class _Recorder:
    """The ``fit`` the rubric hands to the student's ``compare``: it trains on the budget and keeps
    what each run was (its seed, its optimizer) and its validation losses."""

    def __init__(self):
        self.runs, self.optimizers = [], []
        self.churn = prepared("churn")  # taken before the student's compare() runs: the data are closed while it does

    def __call__(self, model, seed):
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None or getattr(model, "loss", None) is None:
            raise ValueError("fit() got a model that is not compiled: compile it with the optimizer and the loss first")
        if any(optimizer is seen for seen in self.optimizers):
            raise ValueError("fit() got a model whose optimizer already trained another model: make a new one per model")
        self.optimizers.append(optimizer)
        churn = self.churn
        fast_compile(model)
        history = fast_fit(model, churn.X_train, churn.y_train, churn.X_val, churn.y_val, epochs=EX.target("epochs"),
                           batch_size=EX.target("batch"), seed=int(seed))
        losses = np.asarray(history.history["val_loss"], dtype=float)
        self.runs.append({"seed": int(seed), "optimizer": _signature(optimizer), "loss": loss_name(model),
                          "score": float(np.nanmin(losses)) if np.isfinite(losses).any() else float("inf")})
        return history


@EX.part("the comparison", points=5)
def _comparison(student, ctx, v):
    signatures = ctx.need("signatures")
    churn = prepared("churn")
    names, seeds = _COMPARE["names"], (ctx.seed, ctx.seed + 10)[: _COMPARE["seeds"]]
    fit = _Recorder()
    got = student.call("compare", student.module.make_optimizer, lambda: churn_net(churn.n_features), fit, names, seeds)
    shape_ok = isinstance(got, dict) and set(got) == set(names) and all(
        hasattr(got[n], "__len__") and len(got[n]) == len(seeds) for n in names)
    if not v.check("compare returns one score per optimizer and seed", shape_ok,
                   {k: len(x) if hasattr(x, "__len__") else x for k, x in got.items()} if isinstance(got, dict) else type(got).__name__,
                   f"{{name: [{len(seeds)} scores]}} for {len(names)} optimizers", "return a dict keyed by the names asked for, each with "
                   "one score per seed, in the order of seeds"):
        return
    runs = {(r["seed"], signatures.get(r["optimizer"], r["optimizer"])): r for r in fit.runs}
    missing = [f"{n} seed {s}" for n in names for s in seeds if (s, n) not in runs]
    if not v.check("every optimizer and seed was trained", not missing, missing[:3] or "all", f"{len(names)} optimizers x {len(seeds)} seeds",
                   "train each optimizer once per seed, passing that seed to fit(model, seed), with the optimizer "
                   "make_optimizer(name) gives"):
        return
    losses = {r["loss"] for r in fit.runs}
    if not v.check("every run uses binary cross-entropy", losses == {"binarycrossentropy"}, sorted(losses), "binarycrossentropy",
                   "the budget is the same for every optimizer, the loss included: binary cross-entropy"):
        return
    worst = max(abs(as_number(score) - runs[(s, n)]["score"]) for n in names for s, score in zip(seeds, got[n]))
    # The rubric trained every run itself, so a correct report matches to rounding (the solution: 0).
    v.at_most("reported scores are the runs' best validation losses", worst if math.isfinite(worst) else float("inf"),
              EX.target("agreement"),
              "score each run by the validation loss of its best epoch (history.history['val_loss']), not by the "
              "last epoch or the training loss, and report them in the order of seeds")
    means = {n: float(np.mean([runs[(s, n)]["score"] for s in seeds])) for n in names}
    for name in names:
        v.metric(f"mean val_loss {name}", means[name])
    worst_name = max(means, key=means.get)
    # Measured over seeds 0-4 with seeds (s, s + 10) (solution rates: SGD 0.1, momentum and Nesterov 0.02 with
    # momentum 0.9, RMSprop 1e-3, Adam and AdamW 3e-3): SGD 0.438-0.462, momentum 0.432-0.437, Nesterov
    # 0.433-0.440, RMSprop 0.431-0.437, Adam and AdamW 0.428-0.433. SGD at Adam's rate 3e-3: above 0.5.
    v.at_most(f"mean score of the worst ({worst_name})", means[worst_name], EX.target("mean score"),
              f"{worst_name} at the rate you gave it loses for want of a suitable rate, not because of its update "
              "rule: each optimizer needs its own learning rate (plain SGD a far larger one than Adam); try a few rates "
              "per optimizer on validation before you compare")


@EX.part("ranking with spread", points=1)
def _rank(student, ctx, v):
    rng = np.random.default_rng(100 + ctx.seed)
    made_up = {name: list(np.round(rng.uniform(0.42, 0.6, size=3), 4)) for name in OPTIMIZERS}
    made_up["adam"] = [0.43, 0.45, 0.47]  # mean 0.45, but a lowest seed better than some means
    made_up["rmsprop"] = [0.449, 0.452, 0.452]
    got = student.call("rank", {k: list(x) for k, x in made_up.items()})
    want = sorted(((n, float(np.mean(s)), float(np.min(s)), float(np.max(s))) for n, s in made_up.items()), key=lambda r: r[1])
    try:
        rows = [(str(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in got]
    except (TypeError, ValueError, IndexError):
        rows = []
    ok = len(rows) == len(want) and all(a[0] == b[0] and np.allclose(a[1:], b[1:], atol=1e-9) for a, b in zip(rows, want))
    v.check("rank", ok, [r[0] for r in rows], [r[0] for r in want],
            "one (name, mean, lowest, highest) row per optimizer, sorted by the mean over seeds, lowest first: a "
            "ranking by one lucky seed or by the worst seed says little about the next run")
