"""Grader of exercise 5.3.4: the regularisation case study (``build_network``, ``choose``).

The grader owns the harness: the student's ``choose`` receives the grader's ``evaluate(config)``,
which builds the student's network for a configuration (it must stay the task's network: 3 x
Dense(256, relu), a sigmoid output, Adam or AdamW at 0.001, binary cross-entropy), trains it itself
on 400 training customers (:func:`coursekit.graders.lesson_5_3.train`, early stopping when the
configuration asks for it), returns the validation loss and refuses trials beyond the budget; every option of a configuration
must show in the network built from it (built again without the option, its penalties, dropout layers
or optimizer differ). ``choose`` is also called on made-up tables of trials whose right choice is
known (the best first or last, ties, NaN losses, smaller budgets). The
chosen network is scored by the grader against the unregularised network, trained the same way with
the same seed (once per seed and process), and against a logistic regression on the same 400 rows
(reported only). Each target comes from the reference solution's spread over seeds 0-4 (the comment
above it gives the numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_3_4.py``
show that the check aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import copy

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

import coursekit
from coursekit.grading import (Exercise, RuleBroken, SolutionUsed, Student, StudentFailure, Tampered,
                               activation_name, dense_layers, hidden_nonlinearities, loss_name, prepared, train, rubric_cache)
from coursekit.training import outputs_logits, predict

from .lesson_5_3 import regularisation_signature


def _bce(y, p) -> float:
    """Binary cross-entropy of probabilities (no penalty terms)."""
    return float(log_loss(y, np.clip(np.asarray(p, dtype=np.float64).ravel(), 1e-7, 1 - 1e-7), labels=[0, 1]))


EX = Exercise("5.3.4", ("build_network", "choose"),
              targets={"training rows": 400, "validation rows": 400, "units": 256, "learning rate": 0.001,
                       "trials": 4, "epochs": 40, "batch": 64, "test log loss gain": 0.5, "test ROC AUC": 0.8,
                       "gap": 0.15, "test customers": 1409})
HIDDEN_5_3_4 = (256, 256, 256)
SEARCH = {"budget": EX.target("trials")}  # what the rubric allows choose() (a wrong-answer test lowers it)


@rubric_cache
def _case_rows():
    """400 training and 400 validation customers (the same rows for every seed; the seed changes
    initialisation and shuffling)."""
    churn = prepared("churn")
    rng = np.random.default_rng(5304)
    tr = rng.choice(len(churn.X_train), EX.target("training rows"), replace=False)
    va = rng.choice(len(churn.X_val), EX.target("validation rows"), replace=False)
    return churn.X_train[tr], churn.y_train[tr], churn.X_val[va], churn.y_val[va]


def _architecture_problem(model) -> str:
    """What keeps ``model`` from being the task's network, or ""."""
    if not isinstance(model, keras.Model):
        return f"build_network returned {type(model).__name__}, not a keras.Model"
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return "the network is not compiled"
    widths = [layer.units for layer in dense_layers(model)]
    if widths != [*HIDDEN_5_3_4, 1]:
        return f"Dense widths {widths}, not {[*HIDDEN_5_3_4, 1]}"
    logits = outputs_logits(model)  # Dense(1) with a cross-entropy from_logits=True: the same classifier
    if set(hidden_nonlinearities(model)) != {"relu"} or (activation_name(dense_layers(model)[-1]) != "sigmoid" and not logits):
        return f"activations {hidden_nonlinearities(model)} and {activation_name(dense_layers(model)[-1])}, not ReLU and a sigmoid output"
    opt = model.optimizer
    rate = float(np.asarray(opt.learning_rate)) if not callable(getattr(opt, "learning_rate", None)) else float("nan")
    if type(opt) not in (keras.optimizers.Adam, keras.optimizers.AdamW) or not np.isclose(rate, EX.target("learning rate")):
        return f"optimizer {type(opt).__name__} at {rate:g}, not Adam or AdamW at {EX.target('learning rate'):g}"
    if loss_name(model) != "binarycrossentropy":
        return f"loss {loss_name(model)}, not binary cross-entropy"
    return ""


def _signature(model):
    return regularisation_signature(model) if isinstance(model, keras.Model) else None


class _BudgetSpent(RuntimeError):
    """Raised by the rubric's evaluate() once the trials of the budget are spent."""


class _Trials:
    """The ``evaluate(config)`` the rubric hands to the student's ``choose``: it builds the student's network for
    the configuration, trains it on the 400 rows and returns the validation loss, and keeps every trial."""

    def __init__(self, student: Student, seed: int, budget: int):
        self.student, self.seed, self.budget = student, seed, budget
        self.runs, self.problems, self.refused, self.ignored = [], [], 0, []
        self.rows = _case_rows()  # taken now: the rubric's caches refuse while the student's code runs (it calls us)

    def _options_shown(self, n_features: int, config: dict) -> None:
        """Every numeric option of the configuration (but "patience", which the rubric reads) must show in the network
        built from it: the network built without the option must differ in its penalties, dropout or noise layers,
        layers or optimizer. Options set to 0 or False may change nothing; text (a label) is not asked."""
        options = [k for k, value in config.items()
                   if k != "patience" and isinstance(value, (int, float)) and value]  # a label or a list may be a name
        if not options:
            return
        whole = _signature(self.student.module.build_network(n_features, copy.deepcopy(config)))
        for key in options:
            try:
                without = _signature(self.student.module.build_network(n_features, {k: value for k, value in
                                                                                     config.items() if k != key}))
            except Exception:  # noqa: BLE001 -- an option the others need: not one that is ignored
                continue
            if whole is not None and without == whole:
                self.ignored.append(f"{key!r} of {config}")

    def __call__(self, config):
        if len(self.runs) >= self.budget:
            self.refused += 1
            raise _BudgetSpent(f"the budget of {self.budget} trials is spent")
        if not isinstance(config, dict):
            raise TypeError(f"evaluate() takes a configuration dict, not {type(config).__name__}")
        config = copy.deepcopy(config)
        X, y, X_val, y_val = self.rows
        self._options_shown(X.shape[1], config)
        coursekit.set_seed(self.seed)
        model = self.student.module.build_network(X.shape[1], copy.deepcopy(config))
        problem = _architecture_problem(model)
        if problem:
            self.problems.append(f"{problem} (configuration {config})")
            raise ValueError(f"not the task's network: {problem}")
        patience = config.get("patience")
        if patience is not None and not (isinstance(patience, int) and patience >= 1):
            raise ValueError(f'"patience" must be a positive integer, not {patience!r}')
        history = train(model, X, y, X_val, y_val, seed=self.seed, epochs=EX.target("epochs"),
                        batch_size=EX.target("batch"), patience=patience)
        val_loss = _bce(y_val, predict(model, X_val))
        self.runs.append({"config": config, "val_loss": val_loss, "model": model, "epochs": len(history.epoch)})
        return val_loss


def _case_scores(model) -> dict:
    churn = prepared("churn")
    X, y, X_val, y_val = _case_rows()
    p_test = predict(model, churn.X_test)
    return {"train": _bce(y, predict(model, X)), "val": _bce(y_val, predict(model, X_val)),
            "test": _bce(churn.y_test, p_test), "test_auc": roc_auc_score(churn.y_test, p_test)}


@rubric_cache
def _unregularised(seed: int) -> dict:
    """The task's network without regularisation, the rubric's own, trained the same way with the same seed."""
    X, y, X_val, y_val = _case_rows()
    coursekit.set_seed(seed)
    model = keras.Sequential([keras.Input(shape=(X.shape[1],))] + [keras.layers.Dense(u, activation="relu") for u in HIDDEN_5_3_4]
                             + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(EX.target("learning rate")), "binary_crossentropy")
    train(model, X, y, X_val, y_val, seed=seed, epochs=EX.target("epochs"), batch_size=EX.target("batch"))
    return _case_scores(model)


@rubric_cache
def _logistic_on_case_rows() -> dict:
    churn = prepared("churn")
    X, y, _, _ = _case_rows()
    p = LogisticRegression(max_iter=2000).fit(X, y).predict_proba(churn.X_test)[:, 1]
    return {"test": _bce(churn.y_test, p), "test_auc": roc_auc_score(churn.y_test, p)}


class _Table:
    """An ``evaluate(config)`` that answers from a made-up table: the i-th trial gets the i-th loss, whatever its
    configuration; it keeps a copy of every configuration asked and refuses trials beyond the budget."""

    def __init__(self, losses, budget: int):
        self.losses, self.budget, self.asked, self.refused = list(losses), budget, [], 0

    def __call__(self, config):
        if len(self.asked) >= self.budget:
            self.refused += 1
            raise _BudgetSpent(f"the budget of {self.budget} trials is spent")
        if not isinstance(config, dict):
            raise TypeError(f"evaluate() takes a configuration dict, not {type(config).__name__}")
        self.asked.append(copy.deepcopy(config))
        return self.losses[len(self.asked) - 1]


NAN = float("nan")
# (what the table shows, the validation losses of the trials in the order asked, the budget)
MADE_UP_TRIALS = [("the second trial best", [0.52, 0.47, 0.61, 0.49], 4), ("the first trial best", [0.40, 0.45, 0.50, 0.55], 4),
                  ("the last trial best", [0.60, 0.50, 0.45, 0.41], 4), ("two trials tied for the best", [0.50, 0.42, 0.42, 0.60], 4),
                  ("a first trial that diverged (NaN)", [NAN, 0.48, 0.44, 0.51], 4),
                  ("a diverged trial (NaN) in the middle", [0.50, NAN, 0.45, 0.47], 4),
                  ("a budget of 2", [0.50, 0.45], 2), ("a budget of 3", [0.43, 0.45, 0.47], 3)]


@EX.part("the choice on made-up trials", points=1)
def _made_up(student: Student, ctx, v):
    for what, losses, budget in [*MADE_UP_TRIALS, MADE_UP_TRIALS[0]]:
        table = _Table(losses, budget)
        ok, chosen = student.attempt("choose", table, budget)
        if table.refused:
            v.check("choose on made-up trials", False, f"{len(table.asked) + table.refused} trials asked for, with {what}",
                    f"<= {budget}", f"use the budget you are given ({budget} here), not a number of your own: each trial "
                    "costs a training run")
            return
        if not ok:
            raise StudentFailure("choose", chosen, "choose() must run without errors on the trials it is given")
        scored = [(loss, config) for loss, config in zip(losses, table.asked) if loss == loss]
        best = min(loss for loss, _ in scored) if scored else NAN
        right = [config for loss, config in scored if loss == best]
        if chosen not in right:
            got = next((f"trial {i + 1} (loss {losses[i]:.3g})" for i, config in enumerate(table.asked) if config == chosen),
                       f"{chosen!r}, not one of the trials")
            v.check("choose on made-up trials", False, f"{got}, with {what} {losses}",
                    f"the trial with the lowest loss, {best:.3g}",
                    "keep the configuration of the trial with the LOWEST validation loss (not the highest, not the "
                    "last); a trial whose loss is NaN (a training that diverged) is never the best, and any of the "
                    "trials tied for the lowest will do")
            return
    v.check("choose on made-up trials", True, f"{len(MADE_UP_TRIALS)} tables, the first asked again",
            "the trial with the lowest loss within the budget", "")


@EX.part("the search", points=2)
def _search(student: Student, ctx, v):
    budget = SEARCH["budget"]
    trials = _Trials(student, ctx.seed, budget)
    try:
        chosen = student.call("choose", trials, budget)
    except (RuleBroken, SolutionUsed, Tampered):
        raise
    except StudentFailure:
        if not (trials.problems or trials.refused):
            raise
        chosen = None
    v.metric("trials", len(trials.runs))
    for i, run in enumerate(trials.runs):
        v.metric(f"trial {i + 1} validation loss", run["val_loss"])
    if not v.check("trials within the budget", not trials.refused, f"{len(trials.runs) + trials.refused} asked for",
                   f"<= {budget}", f"the budget is {budget} trials: each costs a training run, so decide which "
                   "configurations are worth one before you spend them"):
        return
    if not v.check("every trial is the task's network", not trials.problems, trials.problems[0] if trials.problems else "yes",
                   "3 x Dense(256, relu), Dense(1, sigmoid), Adam or AdamW at 0.001, binary cross-entropy",
                   "keep the architecture and the optimizer of the task: regularise this network, do not shrink it or "
                   "change its learning rate (that would be another comparison)"):
        return
    v.check("every option of a configuration shows in the network", not trials.ignored,
            f"the network is the same without {trials.ignored[0]}" if trials.ignored else "yes",
            "each option changes the penalties, the dropout layers or the optimizer",
            "an option of your configuration changes nothing in the network build_network returns: a dropout rate that "
            "never becomes a Dropout layer, a penalty factor never given to a layer when it is created (one set on a "
            "layer after it is built never reaches the loss), a weight decay the optimizer never gets. The trial then "
            "scores another network than the one it names")
    match = [run for run in trials.runs if run["config"] == chosen]
    if not v.check("the chosen configuration is one of the trials", bool(match), chosen, "one of the configurations evaluated",
                   "return one of the configurations you evaluated: an untried one has no validation score behind it"):
        return
    best = min((run["val_loss"] for run in trials.runs if run["val_loss"] == run["val_loss"]), default=float("nan"))
    v.check("the choice has the lowest validation loss of the trials", match[-1]["val_loss"] <= best + 1e-9,
            f"validation loss {match[-1]['val_loss']:.4g}", f"{best:.4g} (the lowest of the trials)",
            "keep the configuration whose trial had the LOWEST validation loss: a loss is better when smaller (the "
            "highest one, or the last trial, is a direction or bookkeeping mistake)")
    ctx["chosen"] = match[-1]


@EX.part("it beats the unregularised network", points=7)
def _beats(student, ctx, v):
    run = ctx.need("chosen")
    mine, plain = _case_scores(run["model"]), _unregularised(ctx.seed)
    for name, value in mine.items():
        v.metric(f"yours: {name} loss" if name != "test_auc" else "yours: test AUC", value)
    for name, value in plain.items():
        v.metric(f"unregularised: {name} loss" if name != "test_auc" else "unregularised: test AUC", value)
    logistic = _logistic_on_case_rows()
    v.metric("logistic regression on the 400 rows: test loss", logistic["test"])
    v.metric("logistic regression on the 400 rows: test AUC", logistic["test_auc"])
    # Measured over seeds 0-4 (solution: the lowest validation loss of L2 0.03, L2 0.1, early stopping with patience 5
    # and L2 0.01 + dropout 0.3; it picks early stopping on seeds 0, 2, 3 and L2 0.03 on 1, 4): the choice's test loss
    # 0.436-0.462, the unregularised network's 1.15-1.31 (gain 0.717-0.870).
    v.at_least("test log loss gain over the unregularised network", plain["test"] - mine["test"],
               EX.target("test log loss gain"),
               "the network still memorises its 400 rows (too little regularisation, or none): its confident mistakes "
               "on new customers cost as much as the unregularised network's. Try stronger penalties, dropout or early "
               "stopping, and let the validation loss choose")
    # Measured over seeds 0-4: the choice's test AUC 0.814-0.830; the unregularised network's 0.781-0.785; L2 3.0
    # (every weight pushed to 0, one probability for everyone) 0.50.
    v.at_least("test_auc", mine["test_auc"], EX.target("test ROC AUC"),
               "the network ranks new customers poorly: a penalty so strong that the network underfits (it predicts "
               "almost the same probability for everyone) is as bad as none. The validation loss of a trial shows it")
    # Measured over seeds 0-4: the choice's gap 0.032-0.087; L2 0.01 alone 0.14-0.19, dropout 0.5 alone 0.35-0.39, the
    # unregularised network 0.98-1.14.
    v.at_most("validation loss - training loss", mine["val"] - mine["train"], EX.target("gap"),
              "a large gap between the training and validation losses is overfitting: regularise more")
