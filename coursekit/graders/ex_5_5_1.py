"""Grader of exercise 5.5.1: a grid under a budget of fits.

The rubric owns the search's harness: it builds the pipeline (the housing preprocessor and a
scikeras regressor around its own network), trains it with ``GridSearchCV`` on the student's grid,
counts the networks it builds, and scores the test split itself (once, for the model the search
chose). What the student writes is the part a tuner decides: the grid and the count of fits, which
is also checked on hidden grids against scikit-learn's own count. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin;
the wrong answers in ``tests/graders/test_ex_5_5_1.py`` show that the check aimed at each mistake
fails and that its hint names the mistake.
"""

from __future__ import annotations

import math

import numpy as np

import coursekit
import data
from coursekit.grading import agrees_with_reference, Exercise, plain, rubric_cache, same_plain, Student

EX = Exercise("5.5.1", ("design_grid", "count_fits"),
              targets={"networks": 9, "CV RMSE": 0.16, "test RMSE": 0.145})

GRID_DIALS = {  # name -> (low, high, kind): the limits the exercise's docstring states
    "reg__model__learning_rate": (0.0, 1.0, float),
    "reg__model__hidden_layers": (1, 3, int),
    "reg__model__neurons": (8, 256, int),
    "reg__batch_size": (32, 512, int),
}
GRID_FOLDS = 2
_built = [0]


def _grid_network(meta: dict, hidden_layers: int = 1, neurons: int = 32, learning_rate: float = 1e-3):
    """The rubric's housing network (scikeras ``model=``); counts every network it builds."""
    import keras

    _built[0] += 1
    model = keras.Sequential([keras.Input(shape=(meta["n_features_in_"],))])
    for _ in range(int(hidden_layers)):
        model.add(keras.layers.Dense(int(neurons), activation="relu"))
    model.add(keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(12.0)))  # log prices are about 12
    model.compile(optimizer=keras.optimizers.Adam(float(learning_rate)), loss="mse", steps_per_execution=32)
    return model


def _grid_pipeline(seed: int):
    from sklearn.pipeline import Pipeline

    from coursekit.sk import KerasRegressor

    reg = KerasRegressor(model=_grid_network, epochs=10, batch_size=128, verbose=0, random_state=seed,
                         model__hidden_layers=1, model__neurons=32, model__learning_rate=1e-3)
    return Pipeline([("prep", data.housing_preprocessor()), ("reg", reg)])


@rubric_cache
def _housing_frames():
    split = data.split_housing()
    feats, target = data.housing.FEATURES, data.housing.LOG_TARGET
    return split.train[feats], split.train[target].to_numpy(np.float32), split.test[feats], split.test[target].to_numpy(np.float32)


def _fits_truth(grid, n_splits: int, refit=True) -> int:
    from sklearn.model_selection import ParameterGrid

    return len(ParameterGrid(grid)) * n_splits + int(bool(refit))


_COUNT_CASES = [  # (grid, folds, refit): dicts, lists of dicts, an empty grid (one candidate: the defaults)
    ({"a": [1, 2, 3], "b": [0.1, 0.2]}, 5, True),
    ({"a": [1, 2, 3], "b": [0.1, 0.2]}, 5, False),
    ({"a": [1], "b": [1, 2, 3, 4], "c": ["x", "y"]}, 3, True),
    ([{"a": [1, 2]}, {"b": [1, 2, 3], "c": [1, 2]}], 3, False),
    ([{"a": [1, 2]}, {"b": [1, 2, 3], "c": [1, 2]}], 4, True),
    ({}, 4, True),
    ([{"a": [1, 2]}, {}], 2, True),
    ({"a": [1, 2, 3], "b": [0.1, 0.2]}, 5, "neg_root_mean_squared_error"),  # refit on that metric: one refit
]


@EX.part("counting fits", points=3)
def _counting(student: Student, ctx, v):
    def kind(grid):
        return "a list of grids" if isinstance(grid, list) else "an empty grid" if not grid else "a grid"

    cases = [(f"{kind(grid)} {grid}, {folds} folds, refit={refit!r}", (grid, folds, refit)) for grid, folds, refit in _COUNT_CASES]
    cases.insert(1, ("a grid {'a': [1, 2], 'b': [1, 2, 3]}, 2 folds, refit left to its default", ({"a": [1, 2], "b": [1, 2, 3]}, 2)))
    agrees_with_reference(v, student, "count_fits", _fits_truth, cases, check="count_fits",
                          same=lambda mine, want: type(plain(mine)) is int and mine == want,
                          hint="a grid search trains every candidate on every fold (the product of the list lengths times "
                               "the folds), plus one network for the refit when refit is on -- True, or the name of the "
                               "metric to refit on; a list of grids searches each of them in turn (add their candidates), "
                               "and an empty grid is one candidate: the defaults. Return a Python int")


def _grid_problems(grid) -> str:
    if not isinstance(grid, dict) or not grid:
        return f"{type(grid).__name__} {grid!r}: a non-empty dict of lists is asked for"
    for key, values in grid.items():
        if key not in GRID_DIALS:
            return (f"{key!r} is not one of the dials: route a dial by step name, reg__ for the regressor, "
                    "then model__ for an argument of the network's builder (reg__model__learning_rate)")
        if not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
            return f"{key}: {values!r} is not a non-empty list of values"
        low, high, kind = GRID_DIALS[key]
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                return f"{key}: {value!r} is not a number"
            if kind is int and float(value) != int(value):
                return f"{key}: {value!r} is not a whole number"
            if not (low < float(value) <= high if kind is float else low <= value <= high):
                return f"{key}: {value!r} is outside the stated limits"
    return ""


@EX.part("the grid and its cost", points=2)
def _grid_design(student: Student, ctx, v):
    from sklearn.model_selection import ParameterGrid

    grid = student.call("design_grid")
    problem = _grid_problems(grid)
    if not v.check("grid dials and values", not problem, problem or f"{sorted(grid)}", "dials and values within the "
                   "stated limits", problem):
        return
    again = student.call("design_grid")
    if not v.check("design_grid gives one grid", same_plain(again, grid), "the same grid twice" if same_plain(again, grid)
                   else f"{plain(grid)} then {plain(again)}", "the same grid at every call",
                   "design_grid returned another grid when asked again: the grid is a decision written down, not drawn "
                   "at random or built up across calls; a search that cannot be repeated cannot be checked"):
        return
    planned = _fits_truth(grid, GRID_FOLDS, True)
    if not v.at_most("networks planned", planned, EX.target("networks"),
                     f"{len(ParameterGrid(grid))} candidates x {GRID_FOLDS} folds + 1 refit = {planned} networks: over "
                     "budget. Every value added multiplies the cost; vary the dial that matters most, and fewer values"):
        return
    ctx["grid"] = {k: list(vals) for k, vals in grid.items()}


@EX.part("the search", points=5)
def _grid_search(student: Student, ctx, v):
    from sklearn.metrics import mean_squared_error
    from sklearn.model_selection import GridSearchCV, KFold

    grid = ctx.need("grid")
    X_train, y_train, X_test, y_test = _housing_frames()
    coursekit.set_seed(ctx.seed)
    search = GridSearchCV(_grid_pipeline(ctx.seed), grid, cv=KFold(GRID_FOLDS, shuffle=True, random_state=ctx.seed),
                          scoring="neg_mean_squared_error", refit=True, error_score="raise")
    before = _built[0]
    search.fit(X_train, y_train)
    built = _built[0] - before
    counted = student.call("count_fits", grid, GRID_FOLDS, True)
    v.check("networks built = count_fits", counted == built, f"built {built}, count_fits says {counted!r}", "equal",
            "count_fits(design_grid(), 2, True) must be the number of networks the search trains: candidates x folds + 1")
    v.at_most("networks built", built, EX.target("networks"), "the budget counts every network, the refit included")
    cv_rmse = math.sqrt(-search.best_score_)
    test_rmse = math.sqrt(mean_squared_error(y_test, search.predict(X_test)))
    v.metric("best learning rate", search.best_params_.get("reg__model__learning_rate", 1e-3))
    # Measured over seeds 0-4 (rates 0.01/0.03 x 1/2 layers): CV RMSE 0.1375-0.1499, test RMSE 0.119-0.1361.
    # The default rate with one width, 128: CV 0.1997-0.2112, test 0.1654-0.1804 (seeds 0-1).
    low_rate = max(grid.get("reg__model__learning_rate", [1e-3])) <= 1e-3
    hint = ("at Adam's default rate (1e-3 or less) 10 epochs are too few for this network: the rate is the dial to vary, "
            "over a wide range on a log scale" if low_rate else
            "spend the candidates where the score depends on the choice: the learning rate first, on a log scale")
    v.at_most("CV RMSE", cv_rmse, EX.target("CV RMSE"), hint)
    v.at_most("test RMSE", test_rmse, EX.target("test RMSE"), hint)

