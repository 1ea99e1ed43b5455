"""Wrong answers to exercise 5.5.4 (Keras Tuner run for real): each must fail the check aimed at it,
and that check's hint must name the mistake."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np

from coursekit.graders.ex_5_5_4 import EX, KINDS
from coursekit.grading import assert_fails


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

    assert_fails(EX.grade(ref.replaced(best_f1=at_half), seed, only=only), "best_f1: the best F1", "threshold 0.5")
    assert_fails(EX.grade(ref.replaced(best_f1=on_a_grid), seed, only=only), "best_f1: the best F1", "grid")


def _f1_at_each_score(y, s, flag):
    best = (0.0, float(np.max(s)))
    for t in np.unique(s):
        flagged = flag(s, t)
        tp = int(np.sum(flagged & (y == 1)))
        f1 = 2 * tp / (int(flagged.sum()) + int(y.sum())) if flagged.sum() + y.sum() else 0.0
        best = max(best, (f1, float(t)))
    return best


def test_5_5_4_rejects_f1_kept_between_calls_and_labels_left_as_a_column(reference, seed):
    """State between calls (a memo keyed on the number of cases) and a shape contract: labels given as an
    (n, 1) column compared with flat scores broadcast to an n x n table."""
    ref, only = reference("5.5.4"), ["the objective: F1 at the chosen threshold"]
    memo = {}

    def remembered(y_val, p_val):
        y, s = np.asarray(y_val).astype(int).ravel(), np.asarray(p_val, dtype=float).ravel()
        return memo.setdefault(len(y), _f1_at_each_score(y, s, lambda s, t: s >= t))

    def column_labels(y_val, p_val):
        y, s = np.asarray(y_val).astype(int), np.asarray(p_val, dtype=float).ravel()
        return _f1_at_each_score(y, s, lambda s, t: s >= t)

    assert_fails(EX.grade(ref.replaced(best_f1=remembered), seed, only=only), "best_f1: the best F1", "earlier call",
                 "state")
    assert_fails(EX.grade(ref.replaced(best_f1=column_labels), seed, only=only), "best_f1: the best F1", "(n, 1)")


def test_5_5_4_rejects_strict_flagging_and_scores_sorted_in_place(reference, seed):
    """Edge cases: flagging scores > t never flags every case (nor the top-scored one alone); sorting the
    caller's scores in place."""
    ref, only = reference("5.5.4"), ["the objective: F1 at the chosen threshold"]

    def strictly_above(y_val, p_val):
        y, s = np.asarray(y_val).astype(int).ravel(), np.asarray(p_val, dtype=float).ravel()
        return _f1_at_each_score(y, s, lambda s, t: s > t)

    def sorts_in_place(y_val, p_val):
        order = np.argsort(p_val, axis=None)
        p_val.sort(axis=0)
        y = np.asarray(y_val).astype(int).ravel()[order]
        return _f1_at_each_score(y, np.ravel(p_val), lambda s, t: s >= t)

    assert_fails(EX.grade(ref.replaced(best_f1=strictly_above), seed, only=only), "best_f1: the best F1", ">=")
    assert_fails(EX.grade(ref.replaced(best_f1=sorts_in_place), seed, only=only), "best_f1 runs", "in place")


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

    assert_fails(EX.grade(_with(ref, build=unconditional), seed, only=only),
                 "second_units exists only when second_layer is on", "not conditional")
    assert_fails(EX.grade(_with(ref, build=only_when_on), seed, only=only),
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

    verdict = EX.grade(_with(ref, build=linear_l2), seed, only=["the conditional search space"])
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
    assert_fails(EX.grade(unseeded, seed, only=only), "random: the seed decides the proposals", "pass the seed")
    as_it_is = ref.replaced(make_tuner=lambda kind, hypermodel, directory, seed: _tuner(kind, hypermodel, directory, seed))
    verdict = EX.grade(as_it_is, seed, only=only)
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

    verdict = EX.grade(reference("5.5.4").replaced(make_tuner=textbook), seed,
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

    verdict = EX.grade(_with(ref, fit=fit), seed, only=["the Bayesian search, read and replayed by the rubric"])
    assert_fails(verdict, "the tuner's objective is F1 at the best validation threshold", "training rows")


def _fit_on(rows):
    """A trial's fit that trains on the rows ``rows(x, y, X_val, y_val)`` gives and scores the validation data."""
    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=10, initial_epoch=0, **kwargs):
        X_val, y_val = validation_data
        model.fit(*rows(x, y, X_val, y_val), batch_size=256, epochs=epochs, initial_epoch=initial_epoch,
                  callbacks=callbacks, verbose=0)
        return {"f1": max_f1(y_val, model.predict(X_val, batch_size=4096, verbose=0))[0]}
    return fit


def max_f1(y, p):
    y, p = np.asarray(y).astype(int).ravel(), np.asarray(p, dtype=float).ravel()
    return max((_flagged_f1(y, p, t), float(t)) for t in np.unique(p))


def test_5_5_4_rejects_a_trial_that_trains_on_the_validation_rows_it_scores(reference, seed):
    """Honest data: the validation rows trained on, alone or added to the training rows, and the scored."""
    ref, only = reference("5.5.4"), ["the Bayesian search, read and replayed by the rubric"]
    for rows in (lambda x, y, xv, yv: (xv, yv), lambda x, y, xv, yv: (np.concatenate([x, xv]), np.concatenate([y, yv]))):
        verdict = EX.grade(_with(ref, fit=_fit_on(rows)), seed, only=only)
        assert_fails(verdict, "a trial trains on its training rows only", "validation rows", "train on (x, y)")


def test_5_5_4_rejects_a_trial_that_trains_its_own_number_of_epochs(reference, seed):
    """An argument overwritten: fit trains the exercise's EPOCHS whatever the tuner asks."""
    ref = reference("5.5.4")

    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=10, initial_epoch=0, **kwargs):
        model.fit(x, y, batch_size=256, epochs=ref.module.EPOCHS, callbacks=callbacks, verbose=0)
        X_val, y_val = validation_data
        return {"f1": max_f1(y_val, model.predict(X_val, batch_size=4096, verbose=0))[0]}

    verdict = EX.grade(_with(ref, fit=fit), seed, only=["the Bayesian search, read and replayed by the rubric"])
    assert_fails(verdict, "a trial trains the epochs it is given", "epochs=")


def test_5_5_4_rejects_tuners_that_minimise_f1_or_run_more_trials_than_the_budget(reference, seed):
    """Direction (F1 minimised, as a loss would be) and the number of trials (max_trials over the budget)."""
    only = ["three tuners on the budget, replayable"]

    def minimising(kind, hypermodel, directory, seed):
        return _tuner(kind, hypermodel, directory, 1000 * seed + 1, objective=kt.Objective("f1", direction="min"))

    verdict = EX.grade(reference("5.5.4").replaced(make_tuner=minimising), seed, only=only)
    for kind in KINDS:
        assert_fails(verdict, f"{kind}: maximises f1", "direction=\"max\"")

    def more_trials(kind, hypermodel, directory, seed):
        args = dict(objective=kt.Objective("f1", direction="max"), seed=1000 * seed + 1, directory=directory,
                    project_name=kind, overwrite=True)
        if kind == "random":
            return kt.RandomSearch(hypermodel, max_trials=5, **args)
        if kind == "bayesian":
            return kt.BayesianOptimization(hypermodel, max_trials=5, num_initial_points=2, **args)
        return kt.Hyperband(hypermodel, max_epochs=4, factor=3, **args)

    verdict = EX.grade(reference("5.5.4").replaced(make_tuner=more_trials), seed, only=only)
    for kind in ("random", "bayesian"):
        assert_fails(verdict, f"{kind}: 3 trials", "max_trials=3")
