"""Wrong answers to exercise 5.5.1 (a grid under a budget): each must fail the check aimed at it."""

from __future__ import annotations

from coursekit.grading import assert_fails
from coursekit.graders.ex_5_5_1 import EX


def test_5_5_1_rejects_a_count_without_the_refit_and_one_that_adds_list_lengths(reference, seed):
    def no_refit(param_grid, n_splits, refit=True):
        from sklearn.model_selection import ParameterGrid

        return len(ParameterGrid(param_grid)) * n_splits

    def adds(param_grid, n_splits, refit=True):
        grids = [param_grid] if isinstance(param_grid, dict) else param_grid
        return sum(len(vals) for g in grids for vals in g.values()) * n_splits + int(refit)

    for wrong in (no_refit, adds):
        verdict = EX.grade(reference("5.5.1").replaced(count_fits=wrong), seed, only=["counting fits"])
        assert_fails(verdict, "count_fits", "refit", "product")


def test_5_5_1_rejects_a_refit_on_a_metric_name_not_counted(reference, seed):
    """An argument's meaning half honoured: refit="neg_root_mean_squared_error" refits too."""
    def only_true(param_grid, n_splits, refit=True):
        from sklearn.model_selection import ParameterGrid

        return len(ParameterGrid(param_grid)) * n_splits + (1 if refit is True else 0)

    verdict = EX.grade(reference("5.5.1").replaced(count_fits=only_true), seed, only=["counting fits"])
    assert_fails(verdict, "count_fits", "name of the metric")


def test_5_5_1_rejects_a_count_cached_across_calls(reference, seed):
    """State between calls: the count of the first grid of a size comes back for the next one."""
    from sklearn.model_selection import ParameterGrid

    memo = {}

    def cached(param_grid, n_splits, refit=True):
        return memo.setdefault(len(ParameterGrid(param_grid)), len(ParameterGrid(param_grid)) * n_splits + int(bool(refit)))

    verdict = EX.grade(reference("5.5.1").replaced(count_fits=cached), seed, only=["counting fits"])
    assert_fails(verdict, "count_fits", "state")


def test_5_5_1_rejects_an_unrouted_dial_and_a_grid_over_budget(reference, seed):
    unrouted = EX.grade(reference("5.5.1").replaced(design_grid=lambda: {"learning_rate": [0.01, 0.03]}), seed,
                        only=["the grid and its cost"])
    assert_fails(unrouted, "grid dials and values", "route", "reg__model__")
    big = {"reg__model__learning_rate": [0.003, 0.01, 0.03], "reg__model__neurons": [32, 64, 128]}
    over = EX.grade(reference("5.5.1").replaced(design_grid=lambda: big), seed, only=["the grid and its cost"])
    assert_fails(over, "networks planned", "budget", "19")


def test_5_5_1_rejects_a_grid_that_leaves_the_learning_rate_at_its_default(reference, seed):
    sizes = {"reg__model__neurons": [128]}  # one candidate: 3 networks, to keep the suite fast
    verdict = EX.grade(reference("5.5.1").replaced(design_grid=lambda: sizes), seed,
                       only=["the grid and its cost", "the search"])
    assert_fails(verdict, "test RMSE", "rate")


def test_5_5_1_rejects_a_grid_drawn_at_random_and_one_that_grows_between_calls(reference, seed):
    """Randomness without a seed, and state kept between calls: the grid must be the same at every call."""
    import numpy as np

    def drawn():
        return {"reg__model__learning_rate": sorted(float(x) for x in 10 ** np.random.uniform(-2.5, -1, 2))}

    kept = {"reg__model__learning_rate": [0.01]}

    def grows():
        kept["reg__model__learning_rate"].append(kept["reg__model__learning_rate"][-1] * 3)
        return {k: list(vals) for k, vals in kept.items()}

    for wrong in (drawn, grows):
        verdict = EX.grade(reference("5.5.1").replaced(design_grid=wrong), seed, only=["the grid and its cost"])
        assert_fails(verdict, "design_grid gives one grid", "random", "across calls")
