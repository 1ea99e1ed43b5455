"""Rubric of exercise 5.5.4: Keras Tuner run for real (exercise engine v2).

The student writes a hypermodel (a conditional search space and one trial's training, reporting F1
at the threshold chosen on validation data), the objective itself, and three tuners on one budget.
The rubric owns everything it grades: it checks the objective on hidden cases, lets Keras Tuner
discover the space as a tuner does before its first trial and reads the conditions itself, runs
each tuner's proposals on scores it makes up (class, objective, budget, seeding), runs the
Bayesian tuner for real on the training rows and recomputes every trial's objective from the
trained model, replays the search, and retrains the best hyperparameters with its own code before
it scores the test split once. The student's code never sees the test split. Targets come from the
reference solution's spread over seeds 0-4 (the comment above each check gives the numbers); the
wrong answers at the bottom show that the check aimed at each mistake fails and names it.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import keras_tuner as kt
import numpy as np

import coursekit
from coursekit.training import fast_compile, pipelines, predict
from rubric import Exercise, Student, assert_fails, dense_layers, is_compiled, is_model, loss_is, output_layer, prepared

EX_5_5_4 = Exercise("5.5.4", ("best_f1", "ChurnHyperModel", "make_tuner"),
                    targets={"tolerance": 1e-9, "draws": 400, "decades": 2, "share low": 0.35, "share high": 0.65,
                             "trials": 3, "epochs": 10, "epoch budget": 30, "recompute tolerance": 0.001,
                             "batch": 256, "test F1": 0.6})

SWITCHES = {"second_layer": "second_units", "batch_norm": "bn_momentum"}  # switch -> what exists only when it is on
LOG_SCALE = ("l2", "learning_rate")
NAMES = ("second_layer", "second_units", "batch_norm", "bn_momentum", "l2", "learning_rate")
KINDS = {"random": kt.RandomSearch, "bayesian": kt.BayesianOptimization, "hyperband": kt.Hyperband}


def _churn():
    return prepared("churn")


@contextlib.contextmanager
def _workdir(tag: str):
    """A temporary folder outside the repository for one tuner's files, removed afterwards."""
    path = tempfile.mkdtemp(prefix=f"course_5_5_4_{tag}_")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's GP and Keras' weight loading are chatty
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _f1_curve(y, scores) -> tuple[np.ndarray, np.ndarray]:
    """F1 when flagging every case scored >= t, for each distinct score t (highest first)."""
    y = np.asarray(y).astype(int).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="stable")
    ranked, hits = s[order], y[order]
    last = np.r_[ranked[1:] != ranked[:-1], True]
    tp, flagged = np.cumsum(hits)[last], np.flatnonzero(last) + 1
    return ranked[last], 2 * tp / (flagged + y.sum())


def _max_f1(y, scores) -> tuple[float, float]:
    thresholds, f1 = _f1_curve(y, scores)
    best = int(np.argmax(f1))
    return float(f1[best]), float(thresholds[best])


def _f1_at(y, scores, threshold: float) -> float:
    y = np.asarray(y).astype(int).ravel()
    flagged = np.asarray(scores, dtype=np.float64).ravel() >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    return 2 * tp / (int(flagged.sum()) + int(y.sum())) if flagged.sum() + y.sum() else 0.0


def _pair(out) -> tuple[float, float]:
    try:
        f1, threshold = (float(np.asarray(x, dtype=np.float64).reshape(())) for x in out)
    except (TypeError, ValueError):
        return float("nan"), float("nan")
    return f1, threshold


# --------------------------------------------------------------------------- the objective


def _f1_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Hidden (name, labels, scores): continuous, tied, rare positives, one score, logits, none positive."""
    rng = np.random.default_rng(5541)
    y = (rng.random(400) < 0.27).astype(int)
    p = np.clip(rng.beta(2, 5, 400) + 0.25 * y, 0, 1)
    rare = np.r_[np.ones(3, int), np.zeros(247, int)]
    return [
        ("400 cases, continuous scores", y, p),
        ("scores rounded to 0.05 (ties)", y, np.round(p / 0.05) * 0.05),
        ("5 distinct scores", y, np.round(p * 4) / 4),
        ("3 positives of 250", rare, rng.random(250) * 0.6 + 0.3 * rare),
        ("one single score", y[:60], np.full(60, 0.42)),
        ("logits (negative scores)", y, np.log(np.clip(p, 1e-3, 1 - 1e-3) / (1 - np.clip(p, 1e-3, 1 - 1e-3))) - 3),
        ("scores that rank churners last", y, 1 - p),
        ("perfect ranking", np.r_[np.zeros(20, int), np.ones(6, int)], np.linspace(0.01, 0.3, 26)),
        ("no positive", np.zeros(30, int), rng.random(30)),
        ("two cases", np.array([0, 1]), np.array([0.9, 0.1])),
    ]


def _objective_hint(cases, answers) -> str:
    if all(abs(f - _f1_at(y, s, 0.5)) < 1e-9 for (_, y, s), (f, _) in zip(cases, answers)):
        return ("this is F1 at threshold 0.5 on every case: no threshold was chosen. The objective of lesson 5.4 is "
                "F1 at the threshold that maximises it on the validation data: try every distinct score as threshold")
    return ("F1 = 2 tp / (2 tp + fp + fn) changes only where the threshold passes a score: evaluate it at every distinct "
            "score, flagging the cases scored >= it. A fixed grid of thresholds misses the best between its points, "
            "and scores need not lie in [0, 1]; with no positive case F1 is 0 at every threshold")


@EX_5_5_4.part("the objective: F1 at the chosen threshold", points=2)
def _objective(student: Student, ctx, v):
    tol = EX_5_5_4.target("tolerance")
    cases, answers, worst = _f1_cases(), [], None
    for name, y, s in cases:
        f1, t = _pair(student.call("best_f1", y.copy(), s.copy()))
        answers.append((f1, t))
        best = _max_f1(y, s)[0]
        if worst is None and not abs(f1 - best) <= tol:
            worst = (f"F1 {f1:.6g} for {name}", f"{best:.6g}")
    v.check("best_f1: the best F1", worst is None, worst[0] if worst else f"{len(cases)} hidden cases",
            worst[1] if worst else "the rubric's best over every threshold", _objective_hint(cases, answers) if worst else "")
    bad = [(name, f1, _f1_at(y, s, t)) for (name, y, s), (f1, t) in zip(cases, answers)
           if not (math.isfinite(t) and abs(_f1_at(y, s, t) - f1) <= tol)]
    v.check("best_f1: F1 at the threshold returned", not bad,
            f"{bad[0][2]:.6g} at the threshold returned for {bad[0][0]}, {bad[0][1]:.6g} claimed" if bad else f"{len(cases)} hidden cases",
            "the F1 returned", "return a threshold that reaches the F1 you return when cases scored >= it are flagged "
            "(the score of the last case flagged, not the one after it)")


# --------------------------------------------------------------------------- the search space


def _hypermodel(student: Student):
    hm = student.call("ChurnHyperModel", _churn().n_features)
    if not isinstance(hm, kt.HyperModel):
        raise TypeError(f"ChurnHyperModel(n_features) made a {type(hm).__name__}, not a keras_tuner.HyperModel")
    return hm


def _discovered_space(student: Student, hm) -> kt.HyperParameters:
    """The space as a tuner knows it before its first trial: Keras Tuner builds the model with the
    defaults, then again with each conditional scope it saw switched on, until none is left unseen."""
    with _workdir("space") as d:
        tuner = student.invoke("ChurnHyperModel.build", kt.RandomSearch, hm, objective=kt.Objective("f1", "max"),
                               max_trials=1, directory=d, project_name="space", overwrite=True)
        return tuner.oracle.get_space()


def _values(space: kt.HyperParameters, **chosen) -> kt.HyperParameters:
    """A copy of the space with every active hyperparameter set: ``chosen`` where given, else its default."""
    hp = space.copy()
    hp.values = {}
    for h in hp.space:
        if hp.is_active(h) and h.name not in hp.values:
            hp.values[h.name] = chosen.get(h.name, h.default)
    return hp


def _active(space, name, **values) -> bool:
    return _values(space, **values).is_active(name)


_MISSING_HINTS = {
    "second_units": "second_units is not in the space the tuner starts from: build asks for it only when second_layer "
                    "is on, and the defaults leave it off, so the tuner does not know it exists until a trial turns the "
                    "layer on (and that trial gets the default width). Declare it in hp.conditional_scope(\"second_layer\", "
                    "[True]) entered on EVERY build (or with parent_name= and parent_values=), and use it only when the "
                    "layer is on",
    "bn_momentum": "bn_momentum is not in the space the tuner starts from: build asks for it only when batch_norm is on, "
                   "and the defaults leave it off. Declare it in hp.conditional_scope(\"batch_norm\", [True]) entered on "
                   "EVERY build (or with parent_name= and parent_values=)",
}


def _kind_ok(name: str, h) -> bool:
    if name in SWITCHES:
        return isinstance(h, kt.engine.hyperparameters.Boolean)
    if isinstance(h, kt.engine.hyperparameters.Choice):
        return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in h.values)
    return isinstance(h, (kt.engine.hyperparameters.Float, kt.engine.hyperparameters.Int))


def _bounds(h) -> tuple[float, float]:
    if isinstance(h, kt.engine.hyperparameters.Choice):
        return float(min(h.values)), float(max(h.values))
    return float(h.min_value), float(h.max_value)


def _log_spread(h, n: int) -> tuple[float, float]:
    """(decades of the range, share of ``n`` draws below its geometric middle, ties counted half)."""
    low, high = _bounds(h)
    if low <= 0 or high <= low:
        return 0.0, 0.0
    middle = 0.5 * (math.log10(low) + math.log10(high))
    logs = np.log10(np.array([float(h.random_sample(seed)) for seed in range(1, n + 1)]))
    share = float(np.mean(logs < middle - 1e-12) + 0.5 * np.mean(np.abs(logs - middle) <= 1e-12))
    return math.log10(high / low), share


def _structure(model) -> dict:
    hidden = dense_layers(model)[:-1]
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    regs = []
    for layer in hidden:
        reg = layer.kernel_regularizer
        regs.append(float(getattr(reg, "l2", float("nan"))) if reg is not None else None)
    try:
        lr = float(np.asarray(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        lr = float("nan")
    return {"widths": [layer.units for layer in hidden], "bn": [float(b.momentum) for b in bns], "l2": regs, "lr": lr}


def _close(a, b) -> bool:
    return a is not None and b is not None and math.isfinite(a) and abs(a - b) <= 1e-5 * abs(b) + 1e-12


@EX_5_5_4.part("the conditional search space", points=4)
def _space(student: Student, ctx, v):
    hm = ctx["hm"] = _hypermodel(student)
    space = ctx["discovered"] = _discovered_space(student, hm)
    found = {}
    for h in space.space:
        found.setdefault(h.name, h)
    missing = [n for n in NAMES if n not in found]
    wrong_kind = [n for n in NAMES if n in found and not _kind_ok(n, found[n])]
    hint = next((_MISSING_HINTS[n] for n in missing if n in _MISSING_HINTS),
                "name the hyperparameters as the task does (the rubric reads the trials by these names): second_layer and "
                "batch_norm are hp.Boolean switches; second_units, bn_momentum, l2 and learning_rate are numbers "
                "(hp.Int, hp.Float or an hp.Choice of numbers)")
    if not v.check("the hyperparameters the task names, in the space a tuner starts from", not missing and not wrong_kind,
                   f"missing {missing}" if missing else (f"{wrong_kind} of the wrong kind" if wrong_kind else "all six"),
                   ", ".join(NAMES), hint):
        return

    for switch, child in SWITCHES.items():
        on = [_active(space, child, **{switch: True, other: flag}) for other in SWITCHES if other != switch for flag in (False, True)]
        off = [_active(space, child, **{switch: False, other: flag}) for other in SWITCHES if other != switch for flag in (False, True)]
        v.check(f"{child} exists only when {switch} is on", all(on) and not any(off),
                f"active with {switch} off" if any(off) else ("inactive with it on" if not all(on) else "only when on"),
                f"a hyperparameter only when {switch} is True",
                f"{child} is sampled even when {switch} is off (not conditional): the tuner then spends trials on values "
                "that change nothing -- two trials differing only there train the same network -- and Bayesian "
                f"optimisation models a dimension without effect. Declare it in hp.conditional_scope(\"{switch}\", [True]) "
                "(or with parent_name= and parent_values=)" if any(off) else
                f"{child} must be active whenever {switch} is True, whatever the other switch")
    always = [n for n in ("second_layer", "batch_norm", "l2", "learning_rate")
              if not all(_active(space, n, second_layer=a, batch_norm=b) for a in (False, True) for b in (False, True))]
    v.check("the switches, l2 and learning_rate always exist", not always, f"{always} conditional" if always else "always",
            "unconditional", "only second_units and bn_momentum depend on a switch")

    n = EX_5_5_4.target("draws")
    for name in LOG_SCALE:
        decades, share = _log_spread(found[name], n)
        v.metric(f"{name}: decades of its range", decades)
        # The draws do not depend on the seed. The solution: 0.53 of 400 below the middle for l2 (4 decades) and for
        # learning_rate (2 decades); sampling="linear" over the same l2 range: 0.01.
        ok = decades >= EX_5_5_4.target("decades") and EX_5_5_4.target("share low") <= share <= EX_5_5_4.target("share high")
        v.check(f"{name} is searched on a log scale", ok, f"{share:.2f} of {n} draws below the geometric middle of "
                f"{decades:.1f} decades", f"{EX_5_5_4.target('share low'):g}-{EX_5_5_4.target('share high'):g} over >= "
                f"{EX_5_5_4.target('decades'):g} decades",
                f"{name} is drawn on a linear scale (or over too narrow a range): with linear draws nearly every trial "
                "lands in the top decade and the small values are never tried. Use sampling=\"log\" over a range of "
                "a few decades" if decades >= EX_5_5_4.target("decades") else
                f"search {name} over at least {EX_5_5_4.target('decades'):g} decades, on a log scale (sampling=\"log\")")

    chosen = {name: found[name].prob_to_value(prob)  # values the rubric chooses, inside the student's ranges
              for name, prob in (("second_units", 0.9), ("bn_momentum", 0.3), ("l2", 0.8), ("learning_rate", 0.6))}
    models = {}
    for second in (False, True):
        for bn in (False, True):
            hp = _values(space, second_layer=second, batch_norm=bn, **chosen)
            models[(second, bn)] = student.invoke("ChurnHyperModel.build", hm.build, hp)
    first = models[(False, False)]
    if not (is_model(v, "build(hp)", first) and is_compiled(v, "build(hp)", first)):
        return
    output_layer(v, "build(hp)", first, 1, "sigmoid", "one output unit with a sigmoid: a churn probability")
    loss_is(v, "build(hp)", first, ("binarycrossentropy",), "binary_crossentropy", "binary labels: binary cross-entropy")
    s = {k: _structure(m) for k, m in models.items()}
    off, on = s[(False, False)]["widths"], s[(True, False)]["widths"]
    v.check("second_layer adds a hidden layer of second_units", len(on) == len(off) + 1 and len(off) >= 1
            and chosen["second_units"] in on, f"widths {off} off, {on} on", f"one more, of width {chosen['second_units']}",
            "with second_layer on, the network has one more hidden Dense layer, as wide as second_units; off, it has none")
    bn_ok = (not s[(False, False)]["bn"] and not s[(True, False)]["bn"] and s[(False, True)]["bn"] and s[(True, True)]["bn"]
             and all(_close(m, chosen["bn_momentum"]) for k in ((False, True), (True, True)) for m in s[k]["bn"]))
    v.check("batch_norm adds batch normalisation with bn_momentum", bn_ok,
            f"momenta {s[(False, False)]['bn']} off, {s[(True, True)]['bn']} on", f"none off, {chosen['bn_momentum']:.4g} on",
            "with batch_norm on, BatchNormalization(momentum=bn_momentum) in the hidden layers; off, none")
    l2_ok = all(r is not None and _close(r, chosen["l2"]) for k in s for r in s[k]["l2"])
    v.check("l2 penalises every hidden layer's kernel", l2_ok, ", ".join("none" if r is None else f"{r:.4g}" for r in
            s[(True, True)]["l2"]), f"{chosen['l2']:.4g} on each",
            "every hidden Dense layer gets kernel_regularizer=keras.regularizers.L2(l2), the second one included")
    v.check("learning_rate is Adam's rate", all(_close(s[k]["lr"], chosen["learning_rate"]) for k in s),
            f"{s[(False, False)]['lr']:.4g}", f"{chosen['learning_rate']:.4g}",
            "compile with an optimizer whose learning_rate is the hyperparameter's value")


# --------------------------------------------------------------------------- the tuners, without training


def _made_up_score(values: dict) -> float:
    """A score the rubric makes up for a proposal, deterministic and smooth."""
    lr, l2 = float(values.get("learning_rate", 1e-2)), float(values.get("l2", 1e-4))
    return (0.6 - 0.02 * (math.log10(max(lr, 1e-12)) + 2.2) ** 2 - 0.005 * (math.log10(max(l2, 1e-12)) + 4) ** 2
            + 0.01 * bool(values.get("second_layer")) + 0.001 * float(values.get("tuner/epochs", 0)))


def _proposals(tuner, scores=None, limit: int = 60) -> list[dict]:
    """The oracle's proposals, each ended with the next of ``scores`` (or a made-up score), until it stops."""
    oracle = tuner.oracle
    oracle.verbose = 0
    name = oracle.objective.name
    out = []
    for i in range(limit):
        trial = oracle.create_trial("rubric")
        if trial.status != "RUNNING":
            break
        values = dict(trial.hyperparameters.values)
        out.append(values)
        score = scores[i] if scores is not None and i < len(scores) else _made_up_score(values)
        oracle.update_trial(trial.trial_id, {name: float(score)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return out


class _SpaceOnly(kt.HyperModel):
    """The student's space as the rubric discovered it, declared without building a network: the
    tuners' proposals without training need the space only (and building networks costs time)."""

    def __init__(self, space: kt.HyperParameters):
        super().__init__(name="space_only")
        self.space = space

    def build(self, hp):
        hp.merge(self.space.copy())  # every hyperparameter with its conditions, in the order discovered
        return None


def _searched(values: dict) -> dict:
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


def _epochs(proposals: list[dict]) -> int:
    return sum(int(p.get("tuner/epochs", 0)) - int(p.get("tuner/initial_epoch", 0)) for p in proposals)


def _seed_hint(same0: bool, same_other: bool, differ: bool) -> str:
    if not same0 and same_other:
        return ("seed 0 proposes different hyperparameters each time: Keras Tuner reads its seed as `seed or "
                "random.randint(1, 10000)`, so 0 means no seed at all. Map the seed you receive to one Keras Tuner keeps "
                "(not 0)")
    if not same_other:
        return ("two tuners made with the same seed propose different hyperparameters: pass the seed you receive to the "
                "tuner (seed=...), or the search cannot be replayed")
    return "a tuner made with another seed proposes the same hyperparameters: use the seed you receive, not a constant"


@EX_5_5_4.part("three tuners on the budget, replayable", points=3)
def _tuners(student: Student, ctx, v):
    if "discovered" not in ctx:
        ctx["discovered"] = _discovered_space(student, ctx.get("hm") or _hypermodel(student))
    hm = _SpaceOnly(ctx["discovered"])
    trials, epochs, budget = EX_5_5_4.target("trials"), EX_5_5_4.target("epochs"), EX_5_5_4.target("epoch budget")
    other = ctx.seed + 1
    for kind, cls in KINDS.items():
        with _workdir(kind) as d:
            tuner = student.call("make_tuner", kind, hm, d, 0)
            if not v.check(f"{kind}: a keras_tuner.{cls.__name__}", isinstance(tuner, cls), type(tuner).__name__,
                           cls.__name__, f"make_tuner(\"{kind}\", ...) returns keras_tuner.{cls.__name__}(...)"):
                continue
            objective = tuner.oracle.objective
            v.check(f"{kind}: maximises f1", getattr(objective, "name", None) == "f1"
                    and getattr(objective, "direction", None) == "max",
                    f"{getattr(objective, 'name', objective)} ({getattr(objective, 'direction', '?')})", "f1 (max)",
                    "the objective of lesson 5.4 is the F1 your fit returns, named \"f1\", to maximise: "
                    "keras_tuner.Objective(\"f1\", direction=\"max\"); tuning for val_accuracy or a loss tunes something else")
            inside = Path(d).resolve() in Path(tuner.project_dir).resolve().parents
            v.check(f"{kind}: writes under the directory given", inside, tuner.project_dir, f"inside {d}",
                    "pass directory=directory (a temporary folder) and a project_name")
            full = _proposals(tuner)
            if kind == "random":
                again = student.call("make_tuner", kind, hm, d, 0)
                v.check("a new tuner in the same directory starts afresh", len(again.oracle.trials) == 0,
                        f"{len(again.oracle.trials)} old trials reloaded", "0",
                        "without overwrite=True Keras Tuner silently reloads the trials a previous run left in the "
                        "directory and skips them: pass overwrite=True")
        n = len(full)
        if kind in ("random", "bayesian"):
            v.check(f"{kind}: {trials} trials", len(full) == trials, f"{len(full)} trials", f"{trials}",
                    f"max_trials={trials}: the budget is {budget} epochs, {trials} trials of {epochs}")
        if kind == "bayesian":
            initial = tuner.oracle.num_initial_points or max(3 * len(tuner.oracle.get_space().space), 3)
            v.check("bayesian: the Gaussian process proposes at least one trial", initial < trials,
                    f"{initial} random initial points of {trials} trials", f"< {trials}",
                    "BayesianOptimization starts with num_initial_points random trials (by default 3 per hyperparameter): "
                    f"with {trials} trials that is a random search. Leave the Gaussian process a trial or more")
            n = max(1, min(n, initial))  # the random start replays here; the search part replays the whole search
        if kind == "hyperband":
            longest = max([int(p.get("tuner/epochs", 0)) for p in full] or [0])
            continued = sum("tuner/trial_id" in p for p in full)
            v.metric("hyperband: models proposed", len(full))
            v.check(f"hyperband: at most {epochs} epochs per model, {budget} in all",
                    longest <= epochs and _epochs(full) <= budget, f"{longest} per model, {_epochs(full)} in all",
                    f"<= {epochs}, <= {budget}",
                    "Hyperband's max_epochs and factor decide how many models its brackets train and for how long: add up "
                    "the epochs of each bracket's rounds (a model continued from another trains only the epochs it adds) "
                    "and choose them to fit the budget")
            v.check("hyperband: halves (some model is trained further)", continued >= 1, f"{continued} continued", ">= 1",
                    "with a single bracket Hyperband is a random search at max_epochs: choose max_epochs and factor so "
                    "that it has at least two brackets (max_epochs >= factor)")
        runs = {}
        for label, seed in (("0 again", 0), ("other", other), ("other again", other)):
            with _workdir(kind) as d:
                runs[label] = [_searched(p) for p in _proposals(student.call("make_tuner", kind, hm, d, seed), limit=n)]
        first = [_searched(p) for p in full[:n]]
        same0, same_other, differ = first == runs["0 again"], runs["other"] == runs["other again"], first != runs["other"]
        v.check(f"{kind}: the seed decides the proposals", same0 and same_other and differ,
                f"seed 0 twice: {'the same' if same0 else 'different'}; seed {other} twice: "
                f"{'the same' if same_other else 'different'}; 0 and {other}: {'different' if differ else 'the same'}",
                "the same for one seed, others for another", _seed_hint(same0, same_other, differ))


# --------------------------------------------------------------------------- the search, for real


class _Recorder(keras.callbacks.Callback):
    """Passed to the search: which model each trial trained, and for how many epochs."""

    def __init__(self, tuner):
        super().__init__()
        self.tuner, self.runs = tuner, {}

    def __deepcopy__(self, memo):  # Keras Tuner copies the search's callbacks for every trial: keep this one
        return self

    def on_train_begin(self, logs=None):
        ongoing = list(self.tuner.oracle.ongoing_trials.values())
        trial_id = ongoing[0].trial_id if ongoing else "?"
        self.runs[trial_id] = {"model": self.model, "epochs": 0}

    def on_epoch_end(self, epoch, logs=None):
        for run in self.runs.values():
            if run["model"] is self.model:
                run["epochs"] += 1


def _run_search(tuner, *args, **kwargs):
    """``tuner.search``; when Keras Tuner gives up after failed trials, the error the last trial raised."""
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise RuntimeError(f"{lines[0]} The last trial: {lines[-1].strip()}" if len(lines) > 1 else str(exc)) from None


def _score_hint(trial, model) -> str:
    churn = _churn()
    p_val = predict(model, churn.X_val)
    y_val = churn.y_val.astype(int)
    score = float(trial.score)
    if abs(score - _f1_at(y_val, p_val, 0.5)) < 1e-6:
        return ("the tuner recorded F1 at threshold 0.5: choose the threshold on the validation predictions (best_f1) "
                "and report the F1 there")
    if abs(score - float(np.mean((p_val >= 0.5) == y_val))) < 1e-6:
        return "the tuner recorded the validation accuracy: it must maximise F1 at the chosen threshold, named f1"
    t_train = _max_f1(churn.y_train, predict(model, churn.X_train))[1]
    if abs(score - _f1_at(y_val, p_val, t_train)) < 1e-6:
        return ("the threshold was chosen on the training rows: the objective is F1 on the validation data at the "
                "threshold chosen on the validation data, as the rubric later does before it scores the test split")
    return ("the score the tuner recorded is not F1 at the best threshold of this trial's model on the validation data: "
            "after training, compute best_f1 on (X_val, y_val) of validation_data and return {\"f1\": f1}")


@EX_5_5_4.part("the Bayesian search, read and replayed by the rubric", points=4)
def _search(student: Student, ctx, v):
    hm = ctx["hm"] = ctx.get("hm") or _hypermodel(student)
    churn = _churn()
    trials_budget, epochs = EX_5_5_4.target("trials"), EX_5_5_4.target("epochs")
    with _workdir("search") as d:
        tuner = student.call("make_tuner", "bayesian", hm, d, ctx.seed)
        if not isinstance(tuner, kt.BayesianOptimization):
            return  # the tuners' part says so
        recorder = _Recorder(tuner)
        coursekit.set_seed(ctx.seed)
        student.invoke("the Bayesian tuner's search", _run_search, tuner, churn.X_train.copy(), churn.y_train.copy(),
                       validation_data=(churn.X_val.copy(), churn.y_val.copy()), epochs=epochs, callbacks=[recorder],
                       verbose=0)
        trials = [tuner.oracle.trials[i] for i in tuner.oracle.start_order]
        done = [t for t in trials if t.status == "COMPLETED" and t.score is not None]
        failed = next((t.message for t in trials if t.status != "COMPLETED"), "")
        if not v.check("the search completes its trials", len(done) == trials_budget and len(trials) == trials_budget,
                       f"{len(done)} of {len(trials)} completed", f"{trials_budget}",
                       f"a trial failed: {' '.join(str(failed).split())[-300:]}" if failed else
                       "the Bayesian tuner runs max_trials trials; fit() must return {\"f1\": value}"):
            return
        runs = recorder.runs
        reached = all(t.trial_id in runs for t in trials)
        if not v.check("the tuner's callbacks reach model.fit", reached, f"{len(runs)} of {len(trials)} trials",
                       "every trial", "pass the callbacks the tuner gives fit() on to model.fit(callbacks=callbacks): "
                       "Keras Tuner saves each trial's checkpoint through them (get_best_models, Hyperband's "
                       "continued models), and the rubric reads the trained model there"):
            return
        most = max(r["epochs"] for r in runs.values())
        v.check(f"each trial trains at most the {epochs} epochs it is given", most <= epochs, f"{most} epochs", f"<= {epochs}",
                "train for the epochs the tuner passes to fit (epochs=, and initial_epoch= for Hyperband's continued "
                "models): that is the budget every tuner is compared on")
        # Measured over seeds 0-4, 3 trials each: the solution's recorded F1 equal the rubric's (0.0 apart); for the
        # same models, F1 at 0.5 is 0.027-0.098 below, the accuracy 0.16-0.18 above, F1 at a threshold chosen on the
        # training rows 0.002-0.038 below.
        tol = EX_5_5_4.target("recompute tolerance")
        y_val = churn.y_val.astype(int)
        recomputed = {t.trial_id: _max_f1(y_val, predict(runs[t.trial_id]["model"], churn.X_val))[0] for t in trials}
        off = [t for t in trials if not abs(float(t.score) - recomputed[t.trial_id]) <= tol]
        v.check("the tuner's objective is F1 at the best validation threshold", not off,
                f"trial {off[0].trial_id}: recorded {float(off[0].score):.4f}, recomputed {recomputed[off[0].trial_id]:.4f}"
                if off else f"{len(trials)} trials recomputed", f"equal within {tol:g}",
                _score_hint(off[0], runs[off[0].trial_id]["model"]) if off else "")
        v.metric("best validation F1 of the search", max(recomputed.values()))
        with _workdir("replay") as d2:
            again = student.call("make_tuner", "bayesian", _SpaceOnly(ctx["discovered"]) if "discovered" in ctx else hm, d2,
                                 ctx.seed)
            proposals = _proposals(again, scores=[float(t.score) for t in trials], limit=len(trials))
        same = [_searched(p) for p in proposals] == [_searched(dict(t.hyperparameters.values)) for t in trials]
        v.check("a replay with the same seed proposes the same hyperparameters", same,
                "the same" if same else "other proposals", f"the {len(trials)} trials' hyperparameters",
                "pass the seed you receive to the tuner (Keras Tuner reads 0 as no seed): a search that cannot be "
                "replayed cannot be checked" if not same else "")
        best = max(trials, key=lambda t: recomputed[t.trial_id])
        ctx["best"] = best.hyperparameters.copy()
        for name, value in _searched(best.hyperparameters.values).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                v.metric(f"best trial: {name}", value)


# --------------------------------------------------------------------------- the best model, on the test split


@EX_5_5_4.part("the best hyperparameters, retrained and scored once on the test split", points=3)
def _best(student: Student, ctx, v):
    hp, hm = ctx.need("best"), ctx.need("hm")
    churn = _churn()
    coursekit.set_seed(ctx.seed)
    model = fast_compile(student.invoke("ChurnHyperModel.build", hm.build, hp))  # the student's optimizer, as compiled
    rows, _ = pipelines(churn.X_train, churn.y_train, batch_size=EX_5_5_4.target("batch"), seed=ctx.seed)
    model.fit(rows, epochs=EX_5_5_4.target("epochs"), verbose=0, shuffle=False)  # as a trial trains: no early stopping
    p_val, p_test = predict(model, churn.X_val), predict(model, churn.X_test)
    f1_val, threshold = _max_f1(churn.y_val, p_val)
    v.metric("validation F1 at the rubric's threshold", f1_val)
    v.metric("threshold chosen on validation", threshold)
    v.metric("test F1 at threshold 0.5", _f1_at(churn.y_test, p_test, 0.5))
    # Measured over seeds 0-4: the solution 0.616-0.630 (at threshold 0.5: 0.561-0.593); a learning rate searched
    # in 1e-5 to 1e-4 instead: 0.418-0.439 (seeds 0 and 1); an L2 penalty in 0.1 to 10: 0.595-0.614.
    v.at_least("test F1 at the validation threshold", _f1_at(churn.y_test, p_test, threshold), EX_5_5_4.target("test F1"),
               "the best trial trains poorly when the rubric retrains it (10 epochs, batches of 256): check the ranges "
               "of the space -- a learning rate too small for 10 epochs, an L2 penalty that dominates the loss -- and "
               "that the trials train as the rubric does")


# --------------------------------------------------------------------------- wrong answers
# Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.


def _flagged_f1(y, scores, threshold) -> float:
    y = np.asarray(y).astype(int).ravel()
    flagged = np.asarray(scores, dtype=np.float64).ravel() >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    return 2 * tp / (int(flagged.sum()) + int(y.sum())) if flagged.sum() + y.sum() else 0.0


def test_5_5_4_rejects_f1_at_half_and_a_grid_of_thresholds(reference, seed):
    ref, only = reference("5.5.4"), ["the objective: F1 at the chosen threshold"]

    def at_half(y_val, p_val):
        return _flagged_f1(y_val, p_val, 0.5), 0.5

    def on_a_grid(y_val, p_val):
        return max((_flagged_f1(y_val, p_val, t), float(t)) for t in np.linspace(0, 1, 101))

    assert_fails(EX_5_5_4.grade(ref.replaced(best_f1=at_half), seed, only=only), "best_f1: the best F1", "threshold 0.5")
    assert_fails(EX_5_5_4.grade(ref.replaced(best_f1=on_a_grid), seed, only=only), "best_f1: the best F1", "grid")


def _network(n_features, second, second_units, batch_norm, momentum, l2, learning_rate) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(n_features,))])
    for width in [32] + ([second_units] if second else []):
        model.add(keras.layers.Dense(width, kernel_regularizer=keras.regularizers.L2(l2)))
        if batch_norm:
            model.add(keras.layers.BatchNormalization(momentum=momentum))
        model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy", steps_per_execution=32)
    return model


def _with(ref, **methods):
    """The reference hypermodel with some methods replaced."""
    return ref.replaced(ChurnHyperModel=type("WrongHyperModel", (ref.module.ChurnHyperModel,), methods))


def test_5_5_4_rejects_a_width_drawn_when_the_layer_is_off_or_declared_only_when_it_is_on(reference, seed):
    ref, only = reference("5.5.4"), ["the conditional search space"]

    def unconditional(self, hp):
        second, units = hp.Boolean("second_layer"), hp.Int("second_units", 8, 64, sampling="log")  # drawn either way
        batch_norm = hp.Boolean("batch_norm")
        with hp.conditional_scope("batch_norm", [True]):
            momentum = hp.Float("bn_momentum", 0.5, 0.99)
        return _network(self.n_features, second, units, batch_norm, momentum, hp.Float("l2", 1e-6, 1e-2, sampling="log"),
                        hp.Float("learning_rate", 5e-4, 5e-2, sampling="log"))

    def only_when_on(self, hp):
        second, units = hp.Boolean("second_layer"), None
        if second:  # the defaults leave it off: the tuner never sees second_units before a trial turns it on
            with hp.conditional_scope("second_layer", [True]):
                units = hp.Int("second_units", 8, 64, sampling="log")
        batch_norm = hp.Boolean("batch_norm")
        with hp.conditional_scope("batch_norm", [True]):
            momentum = hp.Float("bn_momentum", 0.5, 0.99)
        return _network(self.n_features, second, units, batch_norm, momentum, hp.Float("l2", 1e-6, 1e-2, sampling="log"),
                        hp.Float("learning_rate", 5e-4, 5e-2, sampling="log"))

    assert_fails(EX_5_5_4.grade(_with(ref, build=unconditional), seed, only=only),
                 "second_units exists only when second_layer is on", "not conditional")
    assert_fails(EX_5_5_4.grade(_with(ref, build=only_when_on), seed, only=only),
                 "the hyperparameters the task names, in the space a tuner starts from", "every build")


def test_5_5_4_rejects_l2_on_a_linear_scale(reference, seed):
    ref = reference("5.5.4")

    def linear_l2(self, hp):
        second = hp.Boolean("second_layer")
        with hp.conditional_scope("second_layer", [True]):
            units = hp.Int("second_units", 8, 64, sampling="log")
        batch_norm = hp.Boolean("batch_norm")
        with hp.conditional_scope("batch_norm", [True]):
            momentum = hp.Float("bn_momentum", 0.5, 0.99)
        return _network(self.n_features, second, units, batch_norm, momentum, hp.Float("l2", 1e-6, 1e-2),
                        hp.Float("learning_rate", 5e-4, 5e-2, sampling="log"))

    verdict = EX_5_5_4.grade(_with(ref, build=linear_l2), seed, only=["the conditional search space"])
    assert_fails(verdict, "l2 is searched on a log scale", "linear")
    assert "learning_rate is searched on a log scale" not in verdict.failed_names(), verdict.report()


def _tuner(kind, hypermodel, directory, tuner_seed, **override):
    args = dict(objective=kt.Objective("f1", direction="max"), seed=tuner_seed, directory=directory,
                project_name=kind, overwrite=True)
    args.update(override)
    if kind == "random":
        return kt.RandomSearch(hypermodel, max_trials=3, **args)
    if kind == "bayesian":
        return kt.BayesianOptimization(hypermodel, max_trials=3, num_initial_points=2, **args)
    return kt.Hyperband(hypermodel, max_epochs=4, factor=3, **args)


def test_5_5_4_rejects_a_tuner_without_seed_and_seed_0_passed_as_it_is(reference, seed):
    ref, only = reference("5.5.4"), ["three tuners on the budget, replayable"]
    unseeded = ref.replaced(make_tuner=lambda kind, hypermodel, directory, seed: _tuner(kind, hypermodel, directory, None))
    assert_fails(EX_5_5_4.grade(unseeded, seed, only=only), "random: the seed decides the proposals", "pass the seed")
    as_it_is = ref.replaced(make_tuner=lambda kind, hypermodel, directory, seed: _tuner(kind, hypermodel, directory, seed))
    verdict = EX_5_5_4.grade(as_it_is, seed, only=only)
    for kind in KINDS:
        assert_fails(verdict, f"{kind}: the seed decides the proposals", "0 means no seed")


def test_5_5_4_rejects_tuners_for_val_accuracy_with_default_settings(reference, seed):
    def textbook(kind, hypermodel, directory, seed):
        if kind == "random":
            return _tuner(kind, hypermodel, directory, 1000 * seed + 1, objective="val_accuracy")
        args = dict(objective="val_accuracy", seed=1000 * seed + 1, directory=directory, project_name=kind, overwrite=True)
        if kind == "bayesian":
            return kt.BayesianOptimization(hypermodel, max_trials=3, **args)  # 3 initial points per hyperparameter
        return kt.Hyperband(hypermodel, max_epochs=10, factor=3, **args)

    verdict = EX_5_5_4.grade(reference("5.5.4").replaced(make_tuner=textbook), seed,
                             only=["three tuners on the budget, replayable"])
    assert_fails(verdict, "random: maximises f1", "val_accuracy")
    assert_fails(verdict, "bayesian: the Gaussian process proposes at least one trial", "random search")
    assert_fails(verdict, "hyperband: at most 10 epochs per model, 30 in all", "budget")


def test_5_5_4_rejects_a_threshold_chosen_on_the_training_rows(reference, seed):
    ref = reference("5.5.4")
    best_f1 = ref.module.best_f1

    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=10, initial_epoch=0, **kwargs):
        model.fit(x, y, batch_size=256, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=0)
        X_val, y_val = validation_data
        _, threshold = best_f1(y, model.predict(x, batch_size=4096, verbose=0))
        return {"f1": _flagged_f1(y_val, model.predict(X_val, batch_size=4096, verbose=0), threshold)}

    verdict = EX_5_5_4.grade(_with(ref, fit=fit), seed, only=["the Bayesian search, read and replayed by the rubric"])
    assert_fails(verdict, "the tuner's objective is F1 at the best validation threshold", "training rows")
