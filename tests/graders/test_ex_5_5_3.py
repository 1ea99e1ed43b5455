"""Wrong answers to exercise 5.5.3 (an Optuna study): each must fail the check aimed at it."""

from __future__ import annotations

from coursekit.grading import Student, assert_fails
from coursekit.graders.ex_5_5_3 import EX


def _study_with(**changes):
    """open_study as the solution writes it, with some of create_study's arguments changed."""
    def open_study(storage, name, seed):
        import optuna

        args = dict(storage=storage, study_name=name, load_if_exists=True, direction="maximize",
                    sampler=_DROP, pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
        args.update(changes)
        study = optuna.create_study(**{k: v for k, v in args.items() if v is not _DROP and k != "sampler"})
        sampler = args["sampler"]
        study.sampler = (optuna.samplers.TPESampler(seed=seed * 1000 + len(study.trials), n_startup_trials=3)
                         if sampler is _DROP else sampler)
        return study
    return open_study


_DROP = object()
_MECHANICS = ["stored, resumed and pruned"]


def _with(student: Student, open_study=None, objective=None) -> Student:
    """The reference with its study or its objective replaced (run_search calls the module's own)."""
    module = student.module
    opener, obj = open_study or module.open_study, objective or module.objective

    def run_search(storage, name, seed, n_trials, train):
        study = opener(storage, name, seed)
        study.optimize(lambda trial: obj(trial, train), n_trials=n_trials)
        return study
    return student.replaced(run_search=run_search)


def test_5_5_3_rejects_a_study_in_memory_and_one_that_cannot_be_reopened(reference, seed):
    verdict = EX.grade(_with(reference("5.5.3"), open_study=_study_with(storage=None)), seed, only=_MECHANICS)
    assert_fails(verdict, "the study is in the storage", "storage", "memory")
    verdict = EX.grade(_with(reference("5.5.3"), open_study=_study_with(load_if_exists=_DROP)), seed, only=_MECHANICS)
    assert_fails(verdict, "the search resumes", "load_if_exists")


def test_5_5_3_rejects_an_unseeded_sampler_and_one_seeded_alike_after_a_restart(reference, seed):
    import optuna

    unseeded = _study_with(sampler=optuna.samplers.TPESampler(n_startup_trials=3))
    verdict = EX.grade(_with(reference("5.5.3"), open_study=unseeded), seed, only=["replayed with the same seed"])
    assert_fails(verdict, "the same seed replays the study", "seed")

    def same_seed(storage, name, seed):  # seeded by the seed alone: a restart draws the first trials again
        return _study_with(sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=10))(storage, name, seed)

    verdict = EX.grade(_with(reference("5.5.3"), open_study=same_seed), seed, only=_MECHANICS)
    assert_fails(verdict, "no trial repeated after the stop", "restart", "how many trials")


def test_5_5_3_rejects_an_objective_that_never_reports_and_one_that_returns_the_last_epoch(reference, seed):
    student = reference("5.5.3")
    suggest = student.module.suggest

    def silent(trial, train):
        return max(train(suggest(trial), lambda epoch, value: None))

    verdict = EX.grade(_with(student, objective=silent), seed, only=_MECHANICS)
    assert_fails(verdict, "hopeless trials are pruned", "report", "should_prune")

    def last_epoch(trial, train):
        import optuna

        def report(epoch, value):
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return train(suggest(trial), report)[-1] - 0.01

    verdict = EX.grade(_with(student, objective=last_epoch), seed, only=_MECHANICS)
    assert_fails(verdict, "values are the measured ones", "best validation auc")


def test_5_5_3_rejects_a_learning_rate_searched_on_a_linear_scale(reference, seed):
    def linear(trial):
        return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1), "units": trial.suggest_int("units", 16, 128)}

    verdict = EX.grade(reference("5.5.3").replaced(suggest=linear), seed, only=["the search space"])
    assert_fails(verdict, "learning_rate on a log scale", "log=true")


def test_5_5_3_rejects_a_search_that_ignores_n_trials(reference, seed):
    """An argument overwritten: run_search runs the exercise's own number of trials."""
    student = reference("5.5.3")
    module = student.module

    def own_budget(storage, name, seed, n_trials, train):
        study = module.open_study(storage, name, seed)
        study.optimize(lambda trial: module.objective(trial, train), n_trials=6)
        return study

    verdict = EX.grade(student.replaced(run_search=own_budget), seed, only=_MECHANICS)
    assert_fails(verdict, "run_search runs n_trials trials", "n_trials", "budget")


def test_5_5_3_rejects_a_study_that_minimises_the_auc(reference, seed):
    """Direction: the objective's AUC minimised, as a loss would be."""
    verdict = EX.grade(_with(reference("5.5.3"), open_study=_study_with(direction="minimize")), seed, only=_MECHANICS)
    assert_fails(verdict, "maximising", "larger", "maximize")


_SHARED = {}


def test_5_5_3_rejects_one_sampler_made_once_for_every_study(reference, seed):
    """Randomness seeded once, before the runs, not per run: a sampler kept from the first call serves every
    study, so the same seed in a new database draws other trials."""
    import optuna

    def shared_sampler(storage, name, seed):
        sampler = _SHARED.setdefault("sampler", optuna.samplers.TPESampler(seed=seed, n_startup_trials=3))
        return _study_with(sampler=sampler)(storage, name, seed)

    _SHARED.clear()
    verdict = EX.grade(_with(reference("5.5.3"), open_study=shared_sampler), seed, only=["replayed with the same seed"])
    assert_fails(verdict, "the same seed replays the study", "seed")
