"""Rubric of lesson 5.5, the searches: a grid under a budget of fits (5.5.1), random search against
a grid at equal budgets over seeds (5.5.2), and an Optuna study that is seeded, pruned, stored and
resumed (5.5.3).

The rubric owns every search's harness: it builds the pipelines and networks, trains them, counts
the networks, records every score it computes, and scores the test split itself (once, for the
model a search chose). What the student writes is the part a tuner decides: the grid, the search
space, the sampling, the study. Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers) with a margin; the wrong answers at the bottom show
that the check aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import coursekit
import data
from rubric import Exercise, Student, StudentFailure, assert_fails, prepared

# --------------------------------------------------------------------------- 5.5.1 a grid under a budget

EX_5_5_1 = Exercise("5.5.1", ("design_grid", "count_fits"),
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


@functools.lru_cache(maxsize=None)
def _housing_frames():
    split = data.split_housing()
    feats, target = data.housing.FEATURES, data.housing.LOG_TARGET
    return split.train[feats], split.train[target].to_numpy(np.float32), split.test[feats], split.test[target].to_numpy(np.float32)


def _fits_truth(grid, n_splits: int, refit: bool) -> int:
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
]


@EX_5_5_1.part("counting fits", points=3)
def _counting(student: Student, ctx, v):
    for grid, folds, refit in _COUNT_CASES:
        got, want = student.call("count_fits", grid, folds, refit), _fits_truth(grid, folds, refit)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)) or got != want:
            kind = "a list of grids" if isinstance(grid, list) else "an empty grid" if not grid else "a grid"
            v.check("count_fits", False, f"{got!r} for {kind} {grid}, {folds} folds, refit={refit}", str(want),
                    "a grid search trains every candidate on every fold (the product of the list lengths times "
                    "the folds), plus one network for the refit when refit is True; a list of grids searches each "
                    "of them in turn (add their candidates), and an empty grid is one candidate: the defaults")
            return
    v.check("count_fits", True, f"{len(_COUNT_CASES)} hidden grids", "scikit-learn's count", "")


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


@EX_5_5_1.part("the grid and its cost", points=2)
def _grid_design(student: Student, ctx, v):
    from sklearn.model_selection import ParameterGrid

    grid = student.call("design_grid")
    problem = _grid_problems(grid)
    if not v.check("grid dials and values", not problem, problem or f"{sorted(grid)}", "dials and values within the "
                   "stated limits", problem):
        return
    planned = _fits_truth(grid, GRID_FOLDS, True)
    if not v.at_most("networks planned", planned, EX_5_5_1.target("networks"),
                     f"{len(ParameterGrid(grid))} candidates x {GRID_FOLDS} folds + 1 refit = {planned} networks: over "
                     "budget. Every value added multiplies the cost; vary the dial that matters most, and fewer values"):
        return
    ctx["grid"] = {k: list(vals) for k, vals in grid.items()}


@EX_5_5_1.part("the search", points=5)
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
    v.at_most("networks built", built, EX_5_5_1.target("networks"), "the budget counts every network, the refit included")
    cv_rmse = math.sqrt(-search.best_score_)
    test_rmse = math.sqrt(mean_squared_error(y_test, search.predict(X_test)))
    v.metric("best learning rate", search.best_params_.get("reg__model__learning_rate", 1e-3))
    # Measured over seeds 0-4 (rates 0.01/0.03 x 1/2 layers): CV RMSE 0.1375-0.1499, test RMSE 0.119-0.1361.
    # The default rate with one width, 128: CV 0.1997-0.2112, test 0.1654-0.1804 (seeds 0-1).
    low_rate = max(grid.get("reg__model__learning_rate", [1e-3])) <= 1e-3
    hint = ("at Adam's default rate (1e-3 or less) 10 epochs are too few for this network: the rate is the dial to vary, "
            "over a wide range on a log scale" if low_rate else
            "spend the candidates where the score depends on the choice: the learning rate first, on a log scale")
    v.at_most("CV RMSE", cv_rmse, EX_5_5_1.target("CV RMSE"), hint)
    v.at_most("test RMSE", test_rmse, EX_5_5_1.target("test RMSE"), hint)


def test_5_5_1_rejects_a_count_without_the_refit_and_one_that_adds_list_lengths(reference, seed):
    def no_refit(param_grid, n_splits, refit=True):
        from sklearn.model_selection import ParameterGrid

        return len(ParameterGrid(param_grid)) * n_splits

    def adds(param_grid, n_splits, refit=True):
        grids = [param_grid] if isinstance(param_grid, dict) else param_grid
        return sum(len(vals) for g in grids for vals in g.values()) * n_splits + int(refit)

    for wrong in (no_refit, adds):
        verdict = EX_5_5_1.grade(reference("5.5.1").replaced(count_fits=wrong), seed, only=["counting fits"])
        assert_fails(verdict, "count_fits", "refit", "product")


def test_5_5_1_rejects_an_unrouted_dial_and_a_grid_over_budget(reference, seed):
    unrouted = EX_5_5_1.grade(reference("5.5.1").replaced(design_grid=lambda: {"learning_rate": [0.01, 0.03]}), seed,
                              only=["the grid and its cost"])
    assert_fails(unrouted, "grid dials and values", "route", "reg__model__")
    big = {"reg__model__learning_rate": [0.003, 0.01, 0.03], "reg__model__neurons": [32, 64, 128]}
    over = EX_5_5_1.grade(reference("5.5.1").replaced(design_grid=lambda: big), seed, only=["the grid and its cost"])
    assert_fails(over, "networks planned", "budget", "19")


def test_5_5_1_rejects_a_grid_that_leaves_the_learning_rate_at_its_default(reference, seed):
    sizes = {"reg__model__neurons": [128]}  # one candidate: 3 networks, to keep the suite fast
    verdict = EX_5_5_1.grade(reference("5.5.1").replaced(design_grid=lambda: sizes), seed,
                             only=["the grid and its cost", "the search"])
    assert_fails(verdict, "test RMSE", "rate")


# --------------------------------------------------------------------------- 5.5.2 random search against a grid

EX_5_5_2 = Exercise("5.5.2", ("random_space", "sample"),
                    targets={"draws": 4000, "span": 10, "candidates": 9, "random RMSE": 0.14, "margin": 0.005})

SEARCH_DIALS = {"learning_rate": (0.0, 1.0), "l2": (0.0, 1.0)}
SEARCH_SEEDS = 3


def _support(dist) -> tuple[float, float]:
    low, high = (float(x) for x in dist.support())
    return low, high


def _log_quarters(draws: np.ndarray, low: float, high: float) -> np.ndarray:
    """Shares of the draws in the four equal parts of [low, high] on a log scale."""
    edges = np.geomspace(low, high, 5)
    return np.histogram(np.clip(draws, low, high), bins=edges)[0] / len(draws)


@EX_5_5_2.part("the ranges and their scale", points=3)
def _space(student: Student, ctx, v):
    space = student.call("random_space")
    if not v.check("random_space dials", isinstance(space, dict) and set(space) == set(SEARCH_DIALS),
                   sorted(space) if isinstance(space, dict) else type(space).__name__, f"{sorted(SEARCH_DIALS)}",
                   "return a dict with exactly the dials learning_rate and l2"):
        return
    for dial, dist in space.items():
        try:
            low, high = _support(dist)
            draws = np.asarray(dist.rvs(size=EX_5_5_2.target("draws"), random_state=np.random.RandomState(5502)), float)
        except Exception as exc:  # noqa: BLE001 -- a list, a number, an unfrozen distribution
            v.check(f"{dial} distribution", False, f"{type(dist).__name__}: {str(exc)[:80]}", "a frozen scipy.stats "
                    "distribution", "give each dial a scipy.stats distribution with its range, such as "
                    "stats.<name>(low, high): a list is only a few values, the grid's way")
            continue
        lo_limit, hi_limit = SEARCH_DIALS[dial]
        if not v.check(f"{dial} range", lo_limit < low < high <= hi_limit and math.isfinite(high), f"[{low:g}, {high:g}]",
                       "within (0, 1]", f"{dial} must stay positive and at most 1: a log scale cannot start at 0, so "
                       "start at a small positive value"):
            continue
        if dial == "learning_rate":
            v.at_least("learning_rate span", high / low, EX_5_5_2.target("span"),
                       "a search over less than a factor of 10 of learning rates assumes what it should find out: "
                       "widen the range")
        shares = _log_quarters(draws, low, high)
        ctx.setdefault("supports", {})[dial] = (low, high)
        v.check(f"{dial} spread on a log scale", bool(np.all((shares >= 0.2) & (shares <= 0.3))),
                " / ".join(f"{x:.2f}" for x in shares) + " of the draws per log-quarter", "each 0.2-0.3",
                f"{dial} acts by factors: 0.001 to 0.01 is as big a step as 0.01 to 0.1. A uniform distribution "
                "puts almost all draws in the top decade; sample it log-uniformly")
    if len(ctx.get("supports", {})) == len(SEARCH_DIALS) and not v.failures:
        ctx["space"] = space


def _hidden_spaces():
    from scipy import stats

    return [
        {"learning_rate": stats.loguniform(1e-4, 1e-1), "l2": stats.uniform(0.0, 0.5)},
        {"a": stats.norm(3.0, 2.0), "b": stats.loguniform(1.0, 1000.0), "c": stats.beta(2.0, 5.0)},
    ]


def _draws(v, student: Student, space, n: int, seed: int):
    out = student.call("sample", space, n, seed)
    ok = isinstance(out, list) and len(out) == n and all(isinstance(c, dict) and set(c) == set(space) for c in out)
    if not v.check("sample returns the candidates", ok, f"{type(out).__name__} of {len(out) if hasattr(out, '__len__') else '?'}",
                   f"a list of {n} dicts with the keys {sorted(space)}", "return one dict per candidate, dial -> value"):
        return None
    try:
        return {dial: np.array([float(c[dial]) for c in out]) for dial in space}
    except (TypeError, ValueError) as exc:
        v.check("sample returns numbers", False, str(exc)[:80], "numbers", "each value is a number drawn from its distribution")
        return None


@EX_5_5_2.part("sampling", points=2)
def _sampling(student: Student, ctx, v):
    from scipy import stats

    for space in _hidden_spaces():
        np.random.seed(1)
        draws = _draws(v, student, space, 2000, 41)
        if draws is None:
            return
        for dial, values in draws.items():
            p = stats.kstest(values, space[dial].cdf).pvalue
            if p < 1e-4:
                v.check("draws follow the distributions", False, f"{dial} of {sorted(space)}: KS p-value {p:.1e}",
                        "p >= 1e-4", "draw each dial from the distribution the space gives for it (its rvs with "
                        "a random_state), whatever the distribution is: sample must not assume the dials or the scale")
                return
        np.random.seed(2)  # a sampler that uses NumPy's global state is not reproducible from its seed
        again = _draws(v, student, space, 2000, 41)
        other = _draws(v, student, space, 2000, 42)
        if again is None or other is None:
            return
        same = all(np.array_equal(draws[d], again[d]) for d in space)
        differs = any(not np.array_equal(draws[d], other[d]) for d in space)
        if not (same and differs):
            v.check("the seed decides the draws", False, f"same seed {'repeats' if same else 'changes'} them, another "
                    f"seed {'changes' if differs else 'repeats'} them", "repeats / changes",
                    "make every draw from a generator created from the seed (np.random.default_rng(seed), passed "
                    "as random_state), not from NumPy's global state or a fixed seed")
            return
    v.check("draws follow the distributions", True, "2 hidden spaces", "KS p >= 1e-4", "")
    v.check("the seed decides the draws", True, "repeats / changes", "repeats / changes", "")


class _HousingTrials:
    """The rubric's candidates: one hidden layer of 64 ReLU units with the L2 penalty on its weights,
    Adam for 10 epochs in batches of 128; a candidate's score is its best validation RMSE.

    Building, tracing and calling ``fit`` for a new network costs about 0.7 s here, ten times the
    training itself; so one network is built once, with one traced training function that takes the
    learning rate, the penalty and the seed's batch order as inputs. For each candidate its weights
    are set to the seed's initial weights and Adam's state is zeroed: the same computation as a
    fresh network with those initial weights, at about a twentieth of the cost.
    """

    UNITS, EPOCHS, BATCH = 64, 10, 128

    def __init__(self):
        import keras
        import tensorflow as tf

        houses = prepared("housing")
        self.houses = houses
        self.model = self._network()
        self.optimizer = keras.optimizers.Adam(1e-3)
        self.optimizer.build(self.model.trainable_variables)
        self.initial: dict[int, list] = {}
        X, y = tf.constant(houses.X_train), tf.constant(houses.y_train.reshape(-1, 1))
        X_val, y_val = tf.constant(houses.X_val), tf.constant(houses.y_val.reshape(-1, 1))
        kernel = self.model.layers[0].kernel
        model, optimizer, steps = self.model, self.optimizer, len(houses.X_train) // self.BATCH

        @tf.function(reduce_retracing=True)
        def run(order, strength):
            best = tf.constant(np.inf, tf.float32)
            for epoch in tf.range(self.EPOCHS):
                for step in tf.range(steps):
                    rows = order[epoch, step * self.BATCH:(step + 1) * self.BATCH]
                    with tf.GradientTape() as tape:
                        error = tf.reduce_mean(tf.square(model(tf.gather(X, rows), training=True) - tf.gather(y, rows)))
                        loss = error + strength * tf.reduce_sum(tf.square(kernel))
                    grads = tape.gradient(loss, model.trainable_variables)
                    optimizer.apply(grads, model.trainable_variables)
                best = tf.minimum(best, tf.reduce_mean(tf.square(model(X_val) - y_val)))
            return best

        self._run = run

    def _network(self):
        import keras

        return keras.Sequential([
            keras.Input(shape=(self.houses.n_features,)),
            keras.layers.Dense(self.UNITS, activation="relu"),
            keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(np.mean(self.houses.y_train)))),
        ])

    def __call__(self, learning_rate: float, l2: float, seed: int) -> float:
        if seed not in self.initial:
            coursekit.set_seed(seed)
            self.initial[seed] = self._network().get_weights()
        self.model.set_weights(self.initial[seed])
        for var in self.optimizer.variables:
            var.assign(np.zeros(var.shape, var.dtype))
        self.optimizer.learning_rate.assign(float(learning_rate))
        rng = np.random.default_rng(seed)  # the batches' order: the same for every candidate of a seed
        order = np.stack([rng.permutation(len(self.houses.X_train)) for _ in range(self.EPOCHS)]).astype(np.int32)
        mse = float(self._run(order, np.float32(l2)))
        return math.sqrt(mse) if math.isfinite(mse) else math.inf


@functools.lru_cache(maxsize=1)
def _housing_trials() -> _HousingTrials:
    return _HousingTrials()


@functools.lru_cache(maxsize=None)
def _trial_score(learning_rate: float, l2: float, seed: int) -> float:
    return _housing_trials()(learning_rate, l2, seed)


def _grid_points(low: float, high: float) -> list[float]:
    """The centres of three equal parts of [low, high] on a log scale."""
    return [float(low * (high / low) ** (k / 6)) for k in (1, 3, 5)]


@EX_5_5_2.part("random search against the grid", points=5)
def _versus(student: Student, ctx, v):
    space, supports = ctx.need("space"), ctx["supports"]
    n = EX_5_5_2.target("candidates")
    grid = [dict(learning_rate=a, l2=b) for a in _grid_points(*supports["learning_rate"]) for b in _grid_points(*supports["l2"])]
    best_random, best_grid = [], []
    for k in range(SEARCH_SEEDS):
        seed = 1000 * ctx.seed + k
        draws = _draws(v, student, space, n, seed)
        if draws is None:
            return
        candidates = list(zip(draws["learning_rate"], draws["l2"]))
        inside = all(supports["learning_rate"][0] <= a <= supports["learning_rate"][1] and supports["l2"][0] <= b <= supports["l2"][1]
                     for a, b in candidates)
        if not v.check("candidates inside the ranges", inside, "yes" if inside else "no", "yes",
                       "sample(random_space(), n, seed) must draw from random_space's distributions"):
            return
        best_random.append(min(_trial_score(float(a), float(b), seed) for a, b in candidates))
        best_grid.append(min(_trial_score(p["learning_rate"], p["l2"], seed) for p in grid))
        v.metric(f"seed {k} random best", best_random[-1])
        v.metric(f"seed {k} grid best", best_grid[-1])
    random_mean, grid_mean = float(np.mean(best_random)), float(np.mean(best_grid))
    v.metric("grid mean best RMSE", grid_mean)
    v.metric("seeds where random beat the grid", sum(r < g for r, g in zip(best_random, best_grid)))
    # Measured over seeds 0-4 (rate 3e-3 to 5e-2, l2 1e-6 to 1e-2, log-uniform): random mean 0.1323-0.1359, grid mean
    # 0.1318-0.1351, random minus grid -0.0009 to 0.0022; rates 1e-5 to 5e-4 (too slow for 10 epochs): 0.2353-0.2435
    # (seeds 0-1). Other sensible ranges (rates 1e-4..1e-1, 1e-3..3e-2, 3e-3..3e-2) reach 0.1321-0.1374 (seeds 0-2).
    v.at_most("random mean best RMSE", random_mean, EX_5_5_2.target("random RMSE"),
              "the ranges decide what any search can find: a learning rate range that 10 epochs cannot use well "
              "(too slow or too fast), or a penalty so strong that it flattens the fit, caps the score")
    v.at_most("random minus grid", random_mean - grid_mean, EX_5_5_2.target("margin"),
              "at equal budgets random search should do about as well as the grid over the same ranges; far worse "
              "means its draws are not spread over the ranges as the grid's points are")
# --------------------------------------------------------------------------- 5.5.3 an Optuna study

EX_5_5_3 = Exercise("5.5.3", ("suggest", "objective", "open_study", "run_search"),
                    targets={"asked": 30, "span": 10, "epochs": 8, "first run": 5, "after the stop": 4,
                             "real trials": 6, "val AUC": 0.83, "test AUC": 0.83})

STUDY_DIALS = {"learning_rate": (0.0, 1.0, float), "units": (4, 256, int), "hidden_layers": (1, 3, int),
               "dropout": (0.0, 0.6, float)}
STUDY_DEFAULTS = {"learning_rate": 1e-3, "units": 32, "hidden_layers": 1, "dropout": 0.0}


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@EX_5_5_3.part("the search space", points=2)
def _study_space(student: Student, ctx, v):
    optuna = _optuna()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5503))
    for _ in range(EX_5_5_3.target("asked")):
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
    v.at_least("learning_rate span", dist.high / dist.low, EX_5_5_3.target("span"),
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


@EX_5_5_3.part("stored, resumed and pruned", points=3)
def _mechanics(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    optuna = _optuna()
    first, later = EX_5_5_3.target("first run"), EX_5_5_3.target("after the stop")
    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        url = lambda name: f"sqlite:///{Path(folder) / name}.db"  # noqa: E731
        recorder = _Recorder(_stand_in, ctx.seed)
        returned = _search(student, url("a"), "churn", ctx.seed, first, recorder)
        stopped = _stored(url("a"), "churn")
        if not v.check("the study is in the storage", stopped is not None and len(stopped.trials) == first,
                       f"{len(stopped.trials) if stopped else 'no study'} named 'churn' in the database", f"{first} trials",
                       "create the study in the storage given (create_study(storage=..., study_name=...)): a study in "
                       "memory is lost when the process stops"):
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
        v.check("hopeless trials are pruned", pruned >= 1 and min(epochs) < EX_5_5_3.target("epochs"),
                f"{pruned} pruned, epochs {epochs}", "at least 1 trial stopped before 8 epochs",
                "report each epoch's AUC to the trial (trial.report(value, step)) and stop when trial.should_prune() "
                "says so (raise optuna.TrialPruned); the study needs a pruner that is not a NopPruner")

        ctx["rows"], ctx["returned"] = rows, returned


def _stopped_and_resumed(student: Student, url, seed: int) -> list[tuple]:
    first, later = EX_5_5_3.target("first run"), EX_5_5_3.target("after the stop")
    recorder = _Recorder(_stand_in, seed)
    _search(student, url, "churn", seed, first, recorder)
    _search(student, url, "churn", seed, later, recorder)
    stored = _stored(url, "churn")
    return _trial_rows(stored) if stored is not None else []


@EX_5_5_3.part("replayed with the same seed", points=1)
def _replayed(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        url = lambda name: f"sqlite:///{Path(folder) / name}.db"  # noqa: E731
        rows = ctx["rows"] if "rows" in ctx else _stopped_and_resumed(student, url("a"), ctx.seed)
        replay = _stopped_and_resumed(student, url("b"), ctx.seed)
        other = _Recorder(_stand_in, ctx.seed)
        _search(student, url("c"), "churn", ctx.seed + 1, EX_5_5_3.target("first run"), other)
        other_rows = _trial_rows(_stored(url("c"), "churn"))
    first = EX_5_5_3.target("first run")
    v.check("the same seed replays the study", bool(rows) and replay == rows and other_rows[:first] != rows[:first],
            "same" if replay == rows else f"{sum(a != b for a, b in zip(replay, rows))} of {len(rows)} trials differ",
            "the same trials with the same seed, other trials with another",
            "seed the sampler from the seed given (TPESampler(seed=...)); a sampler without a seed draws "
            "differently every time")


def _real_measure(call, record, seed):
    """The rubric's churn network from the trial's parameters, trained by Adam in batches of 128; after
    every epoch the rubric measures its validation ROC AUC (scikit-learn) and reports it."""
    import keras
    from sklearn.metrics import roc_auc_score

    from coursekit.training import pipelines

    churn = prepared("churn")
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
    model.fit(train, epochs=EX_5_5_3.target("epochs"), verbose=0, shuffle=False, callbacks=[_Report()])
    call["model"] = model


@EX_5_5_3.part("a real search", points=4)
def _real(student: Student, ctx, v):
    import tempfile
    from pathlib import Path

    from sklearn.metrics import roc_auc_score

    from coursekit.training import predict

    ctx.need("returned")  # the mechanics work: a real search is worth running
    churn = prepared("churn")
    recorder = _Recorder(_real_measure, ctx.seed)
    with tempfile.TemporaryDirectory(prefix="course_optuna_") as folder:
        _search(student, f"sqlite:///{Path(folder) / 'real'}.db", "churn", ctx.seed, EX_5_5_3.target("real trials"), recorder)
    done = [c for c in recorder.calls if not c["pruned"] and c["model"] is not None and c["aucs"]]
    if not v.check("completed trials", bool(done), len(done), ">= 1", "at least one trial must train to the end"):
        return
    best = max(done, key=lambda c: max(c["aucs"]))
    v.metric("trials pruned", len(recorder.calls) - len(done))
    v.metric("epochs trained", sum(len(c["aucs"]) for c in recorder.calls))
    # Measured over seeds 0-4: best validation AUC 0.8342-0.8361, its test AUC 0.8389-0.8433, 1-3 of 6 trials pruned
    # (logistic regression on the same split: test 0.84).
    v.at_least("best validation AUC", max(best["aucs"]), EX_5_5_3.target("val AUC"),
               "the ranges decide what the search can find in 6 trials: rates that train in 8 epochs, widths that fit")
    test_auc = roc_auc_score(churn.y_test, predict(best["model"], churn.X_test))
    v.at_least("test AUC of the best trial", test_auc, EX_5_5_3.target("test AUC"),
               "the trial chosen on validation AUC should hold up on the test split")


def _space_of(**dists):
    return lambda: dists


def test_5_5_2_rejects_a_uniform_learning_rate_and_a_list(reference, seed):
    from scipy import stats

    uniform = _space_of(learning_rate=stats.uniform(1e-4, 1e-1), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(random_space=uniform), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate spread on a log scale", "uniform", "log")
    listed = _space_of(learning_rate=[1e-3, 1e-2, 1e-1], l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(random_space=listed), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate distribution", "list")


def test_5_5_2_rejects_a_narrow_range_and_a_range_ten_epochs_cannot_use(reference, seed):
    from scipy import stats

    narrow = _space_of(learning_rate=stats.loguniform(5e-3, 2e-2), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(random_space=narrow), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate span", "widen")
    slow = _space_of(learning_rate=stats.loguniform(1e-5, 5e-4), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(random_space=slow), seed,
                             only=["the ranges and their scale", "random search against the grid"])
    assert_fails(verdict, "random mean best RMSE", "too slow")


def test_5_5_2_rejects_sampling_from_the_global_state_and_one_that_ignores_the_space(reference, seed):
    def global_state(space, n, seed):
        return [{dial: float(dist.rvs()) for dial, dist in space.items()} for _ in range(n)]

    def always_log_uniform(space, n, seed):
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            cand = {}
            for dial, dist in space.items():
                low, high = dist.support()
                low, high = max(low, 1e-6), min(high, 1e6)
                cand[dial] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            out.append(cand)
        return out

    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(sample=global_state), seed, only=["sampling"])
    assert_fails(verdict, "the seed decides the draws", "random_state", "global")
    verdict = EX_5_5_2.grade(reference("5.5.2").replaced(sample=always_log_uniform), seed, only=["sampling"])
    assert_fails(verdict, "draws follow the distributions", "whatever the distribution")


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
    verdict = EX_5_5_3.grade(_with(reference("5.5.3"), open_study=_study_with(storage=None)), seed, only=_MECHANICS)
    assert_fails(verdict, "the study is in the storage", "storage", "memory")
    verdict = EX_5_5_3.grade(_with(reference("5.5.3"), open_study=_study_with(load_if_exists=_DROP)), seed, only=_MECHANICS)
    assert_fails(verdict, "the search resumes", "load_if_exists")


def test_5_5_3_rejects_an_unseeded_sampler_and_one_seeded_alike_after_a_restart(reference, seed):
    import optuna

    unseeded = _study_with(sampler=optuna.samplers.TPESampler(n_startup_trials=3))
    verdict = EX_5_5_3.grade(_with(reference("5.5.3"), open_study=unseeded), seed, only=["replayed with the same seed"])
    assert_fails(verdict, "the same seed replays the study", "seed")

    def same_seed(storage, name, seed):  # seeded by the seed alone: a restart draws the first trials again
        return _study_with(sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=10))(storage, name, seed)

    verdict = EX_5_5_3.grade(_with(reference("5.5.3"), open_study=same_seed), seed, only=_MECHANICS)
    assert_fails(verdict, "no trial repeated after the stop", "restart", "how many trials")


def test_5_5_3_rejects_an_objective_that_never_reports_and_one_that_returns_the_last_epoch(reference, seed):
    student = reference("5.5.3")
    suggest = student.module.suggest

    def silent(trial, train):
        return max(train(suggest(trial), lambda epoch, value: None))

    verdict = EX_5_5_3.grade(_with(student, objective=silent), seed, only=_MECHANICS)
    assert_fails(verdict, "hopeless trials are pruned", "report", "should_prune")

    def last_epoch(trial, train):
        import optuna

        def report(epoch, value):
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return train(suggest(trial), report)[-1] - 0.01

    verdict = EX_5_5_3.grade(_with(student, objective=last_epoch), seed, only=_MECHANICS)
    assert_fails(verdict, "values are the measured ones", "best validation auc")


def test_5_5_3_rejects_a_learning_rate_searched_on_a_linear_scale(reference, seed):
    def linear(trial):
        return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1), "units": trial.suggest_int("units", 16, 128)}

    verdict = EX_5_5_3.grade(reference("5.5.3").replaced(suggest=linear), seed, only=["the search space"])
    assert_fails(verdict, "learning_rate on a log scale", "log=true")
