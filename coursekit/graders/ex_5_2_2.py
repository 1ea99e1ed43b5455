"""Grader of exercise 5.2.2 (lesson 5.2, training networks): optimizers compared honestly.

The student writes ``make_optimizer``, ``compare`` and ``rank``. The grader owns the harness: it calls the
student's functions with training and validation data only, trains every graded network itself
(``coursekit.training.fast_fit``: ``tf.data`` pipelines, validation every epoch) with the settings or the
optimizer the student chose, and computes every graded number itself.

- "fresh optimizers of the right kind": each of the six names gives a new optimizer per call, of the update
  rule the name says (``_KINDS``), with the same settings on every call and never used.
- "the comparison": first on made-up runs (``_MadeUpFit``: nothing trained, a made-up History per run), with
  names, seeds and functions of the rubric's (``_MADE_UP``): the functions given are used, each name and seed
  is run once, each run is seeded with its seed before its model is built (its weights are compared with the
  seed's), and the scores are the made-up runs' lowest validation losses in the order of the seeds. Then the
  grader hands ``compare`` its own ``fit`` (``_Recorder``), which trains every run on
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

import coursekit
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
        third = student.call("make_optimizer", name)
        unused = all(int(opt.iterations.numpy()) == 0 and not getattr(opt, "built", False) for opt in (first, second, third))
        same = _signature(first) == _signature(second) == _signature(third)
        if not v.check(f"{name}: the same settings every call, unused", same and unused,
                       "settings change between calls" if not same else "an optimizer that already trained",
                       "the same settings on every call, a new optimizer that never took a step",
                       "make_optimizer must give the same optimizer settings whatever was asked before (keep no state "
                       "between calls: no counter, no cache of optimizers) and a new, untouched optimizer each time"):
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


# What compare() is asked on made-up runs: names in another order than OPTIMIZERS, three unsorted seeds.
_MADE_UP = {"names": ("nesterov", "adam", "sgd"), "seeds": (7, 3, 11)}


def _made_up_val_losses(name: str, seed: int) -> list[float]:
    """A made-up validation curve per run: its lowest value is neither the first nor the last epoch."""
    k = OPTIMIZERS.index(name)
    best_epoch = 1 + (k + seed) % 2
    return [round(0.6 - 0.03 * k - 0.001 * seed + 0.02 * abs(e - best_epoch) ** 1.5, 6) for e in range(4)]


class _MadeUpFit:
    """A ``fit`` that trains nothing: it records what compare() gave it and returns a made-up History."""

    def __init__(self, made_by_make: dict, built: dict, start_weights: dict):
        self.made_by_make, self.built, self.start_weights = made_by_make, built, start_weights
        self.runs, self.problems = [], []

    def __call__(self, model, seed):
        optimizer = getattr(model, "optimizer", None)
        name = self.made_by_make.get(id(optimizer), (None,))[0]
        if id(model) not in self.built:
            self.problems.append("a model that build_model did not build")
        if name is None:
            self.problems.append("an optimizer that the make_optimizer given did not make")
        elif any(optimizer is seen for seen, _ in self.runs):
            self.problems.append("one optimizer for two models")
        want = self.start_weights.get(int(seed))
        seeded = want is not None and all(np.array_equal(a, b) for a, b in zip(model.get_weights(), want))
        self.runs.append((optimizer, {"name": name, "seed": int(seed), "seeded": seeded}))
        history = keras.callbacks.History()
        losses = _made_up_val_losses(name or "sgd", int(seed))
        history.history = {"loss": [x - 0.05 for x in losses[::-1]], "val_loss": losses}
        history.epoch = list(range(len(losses)))
        return history


def _made_up_comparison(student, ctx, v) -> None:
    """compare() on made-up runs: the arguments it is given are used, each run is seeded with its seed before
    its model is built, and each score is the run's lowest validation loss, in the order of the seeds."""
    churn = prepared("churn")
    names, seeds = _MADE_UP["names"], _MADE_UP["seeds"]
    start = {}
    for s in seeds:  # the weights each run's model starts from when the run is seeded with its seed
        coursekit.set_seed(s)
        start[s] = churn_net(churn.n_features).get_weights()
    made, built = {}, {}

    def make(name):
        optimizer = student.module.make_optimizer(name)
        made[id(optimizer)] = (name, optimizer)  # kept alive: its id stays its own
        return optimizer

    def build():
        model = churn_net(churn.n_features)
        built[id(model)] = model
        return model

    fit = _MadeUpFit(made, built, start)
    coursekit.set_seed(12345)  # a run that is not seeded would start from these weights
    got = student.call("compare", make, build, fit, names, seeds)
    want = {n: [min(_made_up_val_losses(n, s)) for s in seeds] for n in names}
    v.check("compare uses the functions it is given", not fit.problems, fit.problems[0] if fit.problems else "yes",
            "every model from build_model, every optimizer new from make_optimizer",
            "compare receives make_optimizer, build_model and fit as arguments: use those (not functions of your own "
            "module), a new optimizer and a new model for every run")
    runs = [r for _, r in fit.runs]
    asked = sorted((r["name"] or "?", r["seed"]) for r in runs)
    v.check("compare runs each name and seed given, once", asked == sorted((n, s) for n in names for s in seeds),
            asked[:4], f"{len(names)} names x {len(seeds)} seeds ({', '.join(names)}; seeds {list(seeds)})",
            "loop over the names and the seeds you are given (not the six optimizers or seeds of your own), one run "
            "for each pair, passing that seed to fit")
    unseeded = [f"{r['name']} seed {r['seed']}" for r in runs if not r["seeded"]]
    v.check("each run seeded with its seed before its model is built", not unseeded, unseeded[:2] or "all",
            "the weights the seed gives",
            "seed every run with the course's seeding function and its own seed, then build its model: seeding "
            "once before the loops, or with another number than the run's seed, starts the runs from weights "
            "that depend on what ran before")
    same = isinstance(got, dict) and set(got) == set(names) and all(
        hasattr(got[n], "__len__") and len(got[n]) == len(seeds)
        and np.allclose([as_number(x) for x in got[n]], want[n], atol=1e-9) for n in names)
    v.check("compare's scores on made-up runs", same,
            {k: list(np.round([as_number(x) for x in val], 4)) for k, val in got.items()} if isinstance(got, dict)
            else type(got).__name__, {k: list(np.round(x, 4)) for k, x in want.items()},
            "score each run by its lowest validation loss over the epochs (history.history['val_loss']: the best "
            "epoch, not the last, the first or the highest), keyed by the names given, in the order of the seeds given")


@EX.part("the comparison", points=5)
def _comparison(student, ctx, v):
    signatures = ctx.need("signatures")
    _made_up_comparison(student, ctx, v)
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
