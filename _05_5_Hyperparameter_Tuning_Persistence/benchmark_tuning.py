"""Tuning benchmark: grid, random, TPE and Hyperband search at equal budgets, over seeds.

    python benchmark_tuning.py [--seeds 0 1 2 3 4] [--fits 24] [--max-epochs 20] [--out FILE.csv]

Every strategy tunes the same housing network (one hidden ReLU layer; its width, Adam's learning
rate and an L2 penalty) for the same budget: ``--fits`` full trainings of ``--max-epochs`` epochs,
counted in epochs so that Hyperband's shortened trials are charged what they used. A trial's
score is the validation RMSE of log prices at its best epoch; the test split is never used.

- grid: a 4 x 2 x 3 grid (rate x width x penalty, 24 points), visited in an order shuffled by the
  seed (a fixed order would make the grid's curve depend on how the axes are listed);
- random: the same ranges, sampled log-uniformly;
- TPE: Optuna's Tree-structured Parzen Estimator on those ranges (6 random start-up trials);
- Hyperband: Optuna's HyperbandPruner over TPE proposals: three brackets of successive halving
  (reduction factor 3, from 2 to ``--max-epochs`` epochs); each trial joins one bracket and is
  stopped when its score at a rung falls outside the best third of that bracket's trials there.

It writes one CSV row per trial (strategy, seed, trial, epochs and seconds used so far, the trial's
score and the best so far) and prints, per strategy, the best score at the end of the budget over
the seeds and how many full fits' worth of epochs it needed to reach the grid's final best. This
is the slow script of the lesson (about 10-20 minutes for five seeds on 2 cores); its CSV is
committed, and ``demo_tuning_benchmark.py`` draws and summarises it in seconds.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
import time
from pathlib import Path

import coursekit

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "tuning_benchmark.csv"
RATES, WIDTHS, PENALTIES = (3e-4, 1e-3, 3e-3, 1e-2), (32, 128), (1e-5, 1e-3, 1e-1)
RANGES = {"learning_rate": (1e-4, 3e-2), "units": (16, 256), "l2": (1e-6, 1e-1)}
STRATEGIES = ("grid", "random", "tpe", "hyperband")
FIELDS = ["strategy", "seed", "trial", "epochs_used", "seconds_used", "score", "best_so_far"]


def _fit_trial(houses, params: dict, seed: int, max_epochs: int, report=None) -> tuple[float, int]:
    """Train one configuration; (best validation RMSE of log price, epochs trained). ``report(epoch,
    rmse)`` is called after every epoch and may stop the trial by returning True."""
    import keras
    import numpy as np

    from coursekit.training import fast_fit

    coursekit.set_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(houses.n_features,)),
        keras.layers.Dense(int(params["units"]), activation="relu", kernel_regularizer=keras.regularizers.l2(params["l2"])),
        keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(np.mean(houses.y_train)))),
    ])
    model.compile(keras.optimizers.Adam(params["learning_rate"]), "mse", metrics=["mse"], steps_per_execution=32)
    scores: list[float] = []

    class _Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            rmse = math.sqrt(float(logs["val_mse"])) if math.isfinite(float(logs["val_mse"])) else float("inf")
            scores.append(rmse)  # the MSE without the penalty: what the RMSE of a prediction measures
            if report is not None and report(epoch, min(scores)):
                self.model.stop_training = True

    fast_fit(model, houses.X_train, houses.y_train, houses.X_val, houses.y_val, epochs=max_epochs, batch_size=64,
             seed=seed, callbacks=[_Watch()])
    return min(scores), len(scores)


def _grid(seed: int):
    import numpy as np

    points = [dict(learning_rate=r, units=w, l2=p) for r, w, p in itertools.product(RATES, WIDTHS, PENALTIES)]
    order = np.random.default_rng(seed).permutation(len(points))
    return [points[i] for i in order]


def _random(seed: int, n: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    draw = lambda lo, hi: float(math.exp(rng.uniform(math.log(lo), math.log(hi))))  # noqa: E731
    return [dict(learning_rate=draw(*RANGES["learning_rate"]), units=int(round(draw(*RANGES["units"]))),
                 l2=draw(*RANGES["l2"])) for _ in range(n)]


def _suggest(trial) -> dict:
    return dict(learning_rate=trial.suggest_float("learning_rate", *RANGES["learning_rate"], log=True),
                units=trial.suggest_int("units", *RANGES["units"], log=True),
                l2=trial.suggest_float("l2", *RANGES["l2"], log=True))


def run_strategy(strategy: str, seed: int, fits: int, max_epochs: int, houses) -> list[dict]:
    """One strategy, one seed, the whole budget: one row per trial."""
    budget, rows, used, start = fits * max_epochs, [], 0, time.perf_counter()
    best = float("inf")

    def record(trial_no: int, score: float, epochs: int):
        nonlocal used, best
        used += epochs
        best = min(best, score)
        rows.append(dict(strategy=strategy, seed=seed, trial=trial_no, epochs_used=used,
                         seconds_used=round(time.perf_counter() - start, 2), score=round(score, 5),
                         best_so_far=round(best, 5)))

    if strategy in ("grid", "random"):
        configs = _grid(seed) if strategy == "grid" else _random(seed, fits)
        for i, params in enumerate(configs[:fits]):
            score, epochs = _fit_trial(houses, params, seed * 1000 + i, max_epochs)
            record(i, score, epochs)
        return rows

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=6)
    pruner = (optuna.pruners.HyperbandPruner(min_resource=2, max_resource=max_epochs, reduction_factor=3)
              if strategy == "hyperband" else optuna.pruners.NopPruner())
    # The study's name fixes which bracket each trial joins (Optuna hashes it with the trial number).
    study = optuna.create_study(study_name=f"{strategy}-seed-{seed}", direction="minimize", sampler=sampler, pruner=pruner)
    trial_no = 0
    while used < budget:
        trial = study.ask()
        left = budget - used

        def report(epoch, value, trial=trial, left=left):
            trial.report(value, epoch)
            return trial.should_prune() or epoch + 1 >= left  # pruned, or the budget is spent

        score, epochs = _fit_trial(houses, _suggest(trial), seed * 1000 + trial_no, min(max_epochs, left), report)
        if epochs < max_epochs and trial.should_prune():
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, score)
        record(trial_no, score, epochs)
        trial_no += 1
    return rows


def fits_to_reach(rows: list[dict], target: float, max_epochs: int) -> float:
    """Full fits' worth of epochs a run used until its best reached ``target`` (inf if never)."""
    for row in rows:
        if row["best_so_far"] <= target:
            return row["epochs_used"] / max_epochs
    return float("inf")


def summarise(rows: list[dict], fits: int, max_epochs: int) -> list[str]:
    """Lines of the summary: the best at the end of the budget, and the fits to reach the grid's best."""
    import numpy as np

    seeds = sorted({r["seed"] for r in rows})
    by = {(s, k): [r for r in rows if r["strategy"] == s and r["seed"] == k] for s in STRATEGIES for k in seeds}
    lines = [f"{len(seeds)} seeds, a budget of {fits} fits of {max_epochs} epochs ({fits * max_epochs} epochs) each"]
    for strategy in STRATEGIES:
        finals = [by[(strategy, k)][-1]["best_so_far"] for k in seeds if by[(strategy, k)]]
        reach = [fits_to_reach(by[(strategy, k)], by[("grid", k)][-1]["best_so_far"], max_epochs) for k in seeds]
        reached = [x for x in reach if math.isfinite(x)]
        trials = np.mean([len(by[(strategy, k)]) for k in seeds])
        lines.append(f"{strategy:<9} best val RMSE {np.mean(finals):.4f} (seeds {min(finals):.4f}-{max(finals):.4f}); "
                     f"{trials:.1f} trials; reached the grid's best in {len(reached)} of {len(seeds)} seeds"
                     + (f", after {np.mean(reached):.1f} fits on average ({np.mean(reached) / fits:.2f} of the budget)"
                        if reached else ""))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--fits", type=int, default=24, help="budget per strategy and seed, in full fits")
    parser.add_argument("--max-epochs", type=int, default=20, help="epochs of a full fit")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.fits < 1 or args.max_epochs < 2:
        parser.error("--fits must be at least 1 and --max-epochs at least 2")

    import data

    houses = data.prepare_housing()
    rows = []
    for seed in args.seeds:
        for strategy in args.strategies:
            t = time.perf_counter()
            rows += run_strategy(strategy, seed, args.fits, args.max_epochs, houses)
            print(f"seed {seed} {strategy:<9} best {rows[-1]['best_so_far']:.4f} in {time.perf_counter() - t:.0f} s",
                  flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".part")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(args.out)
    if set(args.strategies) == set(STRATEGIES):
        print("\n".join(summarise(rows, args.fits, args.max_epochs)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
