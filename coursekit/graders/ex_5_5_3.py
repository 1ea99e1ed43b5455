"""Grader of exercise 5.5.3: an Optuna study that is seeded, pruned, stored and resumed.

The rubric owns the search's harness: it hands the student's objective a ``train`` of its own
(made-up learning curves for the mechanics, a real churn network for the real search), records
every score it computes, reads the study back from the SQLite storage, stops and resumes it,
replays it with the same seed, and scores the test split itself (once, for the model the study
chose). What the student writes is the part a tuner decides: the search space, the objective, the
study and the search. Each target comes from the reference solution's spread over seeds 0-4 (the
comment above it gives the numbers) with a margin; the wrong answers in
``tests/graders/test_ex_5_5_3.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import coursekit
from coursekit.grading import Exercise, Student, StudentFailure, prepared

EX = Exercise("5.5.3", ("suggest", "objective", "open_study", "run_search"),
              targets={"asked": 30, "span": 10, "epochs": 8, "first run": 5, "after the stop": 4,
                       "real trials": 6, "val AUC": 0.83, "test AUC": 0.83})

STUDY_DIALS = {"learning_rate": (0.0, 1.0, float), "units": (4, 256, int), "hidden_layers": (1, 3, int),
               "dropout": (0.0, 0.6, float)}
STUDY_DEFAULTS = {"learning_rate": 1e-3, "units": 32, "hidden_layers": 1, "dropout": 0.0}


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@EX.part("the search space", points=2)
def _study_space(student: Student, ctx, v):
    optuna = _optuna()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5503))
    for _ in range(EX.target("asked")):
        trial = study.ask()
        params = student.call("suggest", trial)
        bad = [k for k in (params if isinstance(params, dict) else ["?"]) if k not in STUDY_DIALS]
        if bad or not isinstance(params, dict):
            v.check("suggest's dials", False, f"{bad or type(params).__name__}", f"keys among {sorted(STUDY_DIALS)}",
                    "return a dict whose keys are dials of the rubric's network: learning_rate, units, hidden_layers, dropout")
            return
        if any(trial.params.get(k, object()) != value for k, value in params.items()):
            v.check("values asked of the trial", False, f"{params} against the trial's {trial.params}", "the same",
                    "every value must come from the trial (trial.suggest_float / suggest_int / suggest_categorical): "
                    "a value chosen outside the trial is not searched, and the sampler cannot learn from it")
            return
        for key, value in params.items():
            low, high, kind = STUDY_DIALS[key]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
                low <= value <= high if kind is int else low < value <= high) and (kind is float or float(value).is_integer())
            if not ok:
                v.check("suggest's ranges", False, f"{key}={value!r}", "within the stated limits",
                        f"{key} must stay within the limits of the exercise's docstring")
                return
        study.tell(trial, 0.5)
    dist = study.trials[-1].distributions.get("learning_rate")
    if not v.check("learning_rate is searched", dist is not None, "asked" if dist else "not asked", "asked",
                   "the learning rate is the dial that matters most: search it"):
        return
    v.check("learning_rate on a log scale", bool(getattr(dist, "log", False)), f"log={getattr(dist, 'log', None)}", "log=True",
            "rates act by factors: a uniform search over 1e-4 to 1e-1 spends 90% of its trials above 1e-2 "
            "(suggest_float(..., log=True))")
    v.at_least("learning_rate span", dist.high / dist.low, EX.target("span"),
               "a search over less than a factor of 10 of learning rates assumes what it should find out")


def _curve(params: dict, seed: int) -> list[float]:
    """The stand-in's learning curve: made-up validation AUCs that rise towards a peak that depends
    on the parameters (best near a rate of 0.01), with a little noise fixed by the parameters."""
    p = {**STUDY_DEFAULTS, **params}
    lr = min(max(float(p["learning_rate"]), 1e-6), 1.0)
    peak = 0.85 - 0.04 * (math.log10(lr) + 2.0) ** 2 - 0.02 * abs(float(p["dropout"]) - 0.2) \
        - 0.005 * abs(math.log2(max(float(p["units"]), 1.0) / 48))
    speed = min(1.5, 0.15 + 60 * lr)
    noise = np.random.default_rng(abs(hash((round(lr, 12), int(p["units"]), seed))) % 2**32)
    return [float(peak - (peak - 0.5) * math.exp(-speed * (e + 1)) + noise.normal(0, 0.002)) for e in range(8)]


class _Recorder:
    """The ``train`` the rubric hands to the student's objective: it measures (here, or by training
    a real network) and records what it measured, so the rubric grades the trials it ran."""

    def __init__(self, measure, seed: int):
        self.measure, self.seed = measure, seed
        self.calls: list[dict] = []

    def __call__(self, params, report):
        if not isinstance(params, dict) or any(k not in STUDY_DIALS for k in params):
            raise ValueError(f"train() takes a dict with keys among {sorted(STUDY_DIALS)}, not {params!r}")
        call = {"params": dict(params), "aucs": [], "pruned": False, "model": None}
        self.calls.append(call)
        optuna = _optuna()

        def record(epoch: int, auc: float) -> None:
            """Keep the measured AUC, then hand it to the student's report (which may prune)."""
            call["aucs"].append(auc)
            try:
                report(epoch, auc)
            except optuna.TrialPruned:
                call["pruned"] = True
                raise

        self.measure(call, record, self.seed * 100 + len(self.calls) - 1)
        return list(call["aucs"])


def _stand_in(call, record, seed):
    for epoch, auc in enumerate(_curve(call["params"], seed // 100)):
        record(epoch, auc)


def _search(student: Student, storage: str, name: str, seed: int, n_trials: int, recorder: _Recorder):
    return student.call("run_search", storage, name, seed, n_trials, recorder)


def _stored(storage: str, name: str):
    optuna = _optuna()
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def _trial_rows(study) -> list[tuple]:
    return [(t.number, t.state.name, tuple(sorted(t.params.items()))) for t in study.trials]


@EX.part("stored, resumed and pruned", points=3)
def _mechanics(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    optuna = _optuna()
    first, later = EX.target("first run"), EX.target("after the stop")
    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        url = lambda name: f"sqlite:///{Path(folder) / name}.db"  # noqa: E731
        recorder = _Recorder(_stand_in, ctx.seed)
        returned = _search(student, url("a"), "churn", ctx.seed, first, recorder)
        stopped = _stored(url("a"), "churn")
        if not v.check("the study is in the storage", stopped is not None and len(stopped.trials) > 0,
                       f"{len(stopped.trials) if stopped else 'no study'} named 'churn' in the database", f"{first} trials",
                       "create the study in the storage given (create_study(storage=..., study_name=...)): a study in "
                       "memory is lost when the process stops"):
            return
        if not v.check("run_search runs n_trials trials", len(stopped.trials) == first and len(recorder.calls) == first,
                       f"{len(stopped.trials)} trials stored, train called {len(recorder.calls)} times", f"{first}",
                       f"run_search(..., n_trials={first}) must run exactly n_trials trials, each training once, "
                       "not a number of its own: the caller decides the budget"):
            return
        before = _trial_rows(stopped)
        try:
            _search(student, url("a"), "churn", ctx.seed, later, recorder)
        except StudentFailure as exc:
            v.check("the search resumes", False, exc.measured, f"{later} more trials", "the second run must continue the "
                    "study that is already in the database (create_study(..., load_if_exists=True) or load_study)")
            return
        study = _stored(url("a"), "churn")
        rows = _trial_rows(study)
        v.check("the search resumes", len(rows) == first + later and [r[0] for r in rows] == list(range(first + later))
                and rows[:first] == before, f"{len(rows)} trials, numbers {[r[0] for r in rows]}",
                f"{first + later} trials numbered 0-{first + later - 1}, the first {first} unchanged",
                "open the existing study and add trials to it; do not delete or recreate it")
        repeats = [r[2] for r in rows[first:] if r[2] in {b[2] for b in before}]
        v.check("no trial repeated after the stop", not repeats, f"{len(repeats)} repeated", "0",
                "a sampler created again with the same seed starts its random draws again, so the trials after a "
                "restart repeat earlier ones (all of them during its random start-up, and some of TPE's proposals "
                "too): seed it with a number that also depends on how many trials the study already holds")
        v.check("maximising", study.direction == optuna.study.StudyDirection.MAXIMIZE, study.direction.name, "MAXIMIZE",
                "a ROC AUC is better when larger: direction='maximize'")
        v.equal("train calls", len(recorder.calls), first + later, "call train once per trial")
        calls = recorder.calls
        wrong = []
        for trial, call in zip(study.trials, calls):
            if trial.state == optuna.trial.TrialState.COMPLETE:
                if not (trial.value is not None and abs(trial.value - max(call["aucs"])) <= 1e-9):
                    wrong.append(f"trial {trial.number}: stored {trial.value}, measured best {max(call['aucs']):.4f}")
            elif trial.state == optuna.trial.TrialState.PRUNED and not call["pruned"]:
                wrong.append(f"trial {trial.number} pruned without train() being stopped")
        v.check("values are the measured ones", not wrong, wrong[0] if wrong else "all", "the best AUC train() reported",
                "a trial's value is the best validation AUC that train() returned for it: return that, not a value of "
                "your own, and let train() stop through report when the trial is pruned")
        epochs = [len(c["aucs"]) for c in calls]
        pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
        v.metric("trials pruned", pruned)
        v.check("hopeless trials are pruned", pruned >= 1 and min(epochs) < EX.target("epochs"),
                f"{pruned} pruned, epochs {epochs}", "at least 1 trial stopped before 8 epochs",
                "report each epoch's AUC to the trial (trial.report(value, step)) and stop when trial.should_prune() "
                "says so (raise optuna.TrialPruned); the study needs a pruner that is not a NopPruner")

        ctx["rows"], ctx["returned"] = rows, returned


def _stopped_and_resumed(student: Student, url, seed: int) -> list[tuple]:
    first, later = EX.target("first run"), EX.target("after the stop")
    recorder = _Recorder(_stand_in, seed)
    _search(student, url, "churn", seed, first, recorder)
    _search(student, url, "churn", seed, later, recorder)
    stored = _stored(url, "churn")
    return _trial_rows(stored) if stored is not None else []


@EX.part("replayed with the same seed", points=1)
def _replayed(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        url = lambda name: f"sqlite:///{Path(folder) / name}.db"  # noqa: E731
        rows = ctx["rows"] if "rows" in ctx else _stopped_and_resumed(student, url("a"), ctx.seed)
        replay = _stopped_and_resumed(student, url("b"), ctx.seed)
        other = _Recorder(_stand_in, ctx.seed)
        _search(student, url("c"), "churn", ctx.seed + 1, EX.target("first run"), other)
        other_rows = _trial_rows(_stored(url("c"), "churn"))
    first = EX.target("first run")
    v.check("the same seed replays the study", bool(rows) and replay == rows and other_rows[:first] != rows[:first],
            "same" if replay == rows else f"{sum(a != b for a, b in zip(replay, rows))} of {len(rows)} trials differ",
            "the same trials with the same seed, other trials with another",
            "seed the sampler from the seed given (TPESampler(seed=...)); a sampler without a seed draws "
            "differently every time")


def _real_measure(call, record, seed, churn):
    """The rubric's churn network from the trial's parameters, trained by Adam in batches of 128; after
    every epoch the rubric measures its validation ROC AUC (scikit-learn) and reports it. (``churn`` is
    taken before the student's search runs: the data are closed while it does.)"""
    import keras
    from sklearn.metrics import roc_auc_score

    from coursekit.training import pipelines

    p = {**STUDY_DEFAULTS, **call["params"]}
    coursekit.set_seed(seed)
    layers = [keras.Input(shape=(churn.n_features,))]
    for _ in range(int(p["hidden_layers"])):
        layers += [keras.layers.Dense(int(p["units"]), activation="relu"), keras.layers.Dropout(float(p["dropout"]))]
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(float(p["learning_rate"])), "binary_crossentropy", steps_per_execution=32)

    class _Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores = np.asarray(self.model(churn.X_val, training=False)).ravel()
            record(epoch, float(roc_auc_score(churn.y_val, scores)) if np.all(np.isfinite(scores)) else 0.5)

    train, _ = pipelines(churn.X_train, churn.y_train, batch_size=128, seed=seed)
    model.fit(train, epochs=EX.target("epochs"), verbose=0, shuffle=False, callbacks=[_Report()])
    call["model"] = model


@EX.part("a real search", points=4)
def _real(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    from sklearn.metrics import roc_auc_score

    from coursekit.training import predict

    ctx.need("returned")  # the mechanics work: a real search is worth running
    churn = prepared("churn")
    recorder = _Recorder(functools.partial(_real_measure, churn=churn), ctx.seed)
    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        _search(student, f"sqlite:///{Path(folder) / 'real'}.db", "churn", ctx.seed, EX.target("real trials"), recorder)
    done = [c for c in recorder.calls if not c["pruned"] and c["model"] is not None and c["aucs"]]
    if not v.check("completed trials", bool(done), len(done), ">= 1", "at least one trial must train to the end"):
        return
    best = max(done, key=lambda c: max(c["aucs"]))
    v.metric("trials pruned", len(recorder.calls) - len(done))
    v.metric("epochs trained", sum(len(c["aucs"]) for c in recorder.calls))
    # Measured over seeds 0-4: best validation AUC 0.8342-0.8361, its test AUC 0.8389-0.8433, 1-3 of 6 trials pruned
    # (logistic regression on the same split: test 0.84).
    v.at_least("best validation AUC", max(best["aucs"]), EX.target("val AUC"),
               "the ranges decide what the search can find in 6 trials: rates that train in 8 epochs, widths that fit")
    test_auc = roc_auc_score(churn.y_test, predict(best["model"], churn.X_test))
    v.at_least("test AUC of the best trial", test_auc, EX.target("test AUC"),
               "the trial chosen on validation AUC should hold up on the test split")

