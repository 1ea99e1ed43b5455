"""Tuning benchmark: grid, random, TPE and Hyperband search at equal budgets, over seeds.

    python benchmark_tuning.py [--seeds 0 1 2 3 4] [--fits 24] [--max-epochs 20] [--out FILE.csv]
    python benchmark_tuning.py --workers N --storage URL [...]      the searches in N worker processes

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

On workers (``--workers N --storage URL``): every search (one strategy, one seed) is a job, a trial
of the study ``benchmark-searches`` in the storage (a database URL such as
``postgresql+psycopg://user@host:port/db``, or a journal file on a disk all workers share), queued in
the order of the sequential run. N worker processes -- here on this machine; on others, the same
command with ``--worker`` and the same URL -- each take the next job, run its search (the studies of
TPE and Hyperband live in the storage too) and store its rows in the job's trial; this process
waits, collects the rows and writes the same CSV. A search is sequential inside, so its trials and
scores are those of the sequential run: workers on machines of their own make the benchmark faster,
not different (on one 2-core machine they do not make it faster: lesson 5.5's README has the times). With
a database, a worker that dies mid-search stops sending its heartbeat, and another worker runs that
search again from the start.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
import time
from pathlib import Path

import coursekit

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "tuning_benchmark.csv"
RATES, WIDTHS, PENALTIES = (3e-4, 1e-3, 3e-3, 1e-2), (32, 128), (1e-5, 1e-3, 1e-1)
RANGES = {"learning_rate": (1e-4, 3e-2), "units": (16, 256), "l2": (1e-6, 1e-1)}
STRATEGIES = ("grid", "random", "tpe", "hyperband")
JOBS = "benchmark-searches"  # on workers: the study whose trials are the searches to run
FIELDS = ["strategy", "seed", "trial", "epochs_used", "seconds_used", "score", "best_so_far"]


def fit_trial(houses, params: dict, seed: int, max_epochs: int, report=None) -> tuple[float, int]:
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


def suggest_params(trial) -> dict:
    return dict(learning_rate=trial.suggest_float("learning_rate", *RANGES["learning_rate"], log=True),
                units=trial.suggest_int("units", *RANGES["units"], log=True),
                l2=trial.suggest_float("l2", *RANGES["l2"], log=True))


def run_strategy(strategy: str, seed: int, fits: int, max_epochs: int, houses, storage=None) -> list[dict]:
    """One strategy, one seed, the whole budget: one row per trial. With ``storage`` (an Optuna storage),
    the study of TPE or Hyperband is kept there (replacing one left by a search that did not finish)."""
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
            score, epochs = fit_trial(houses, params, seed * 1000 + i, max_epochs)
            record(i, score, epochs)
        return rows

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=6)
    pruner = (optuna.pruners.HyperbandPruner(min_resource=2, max_resource=max_epochs, reduction_factor=3)
              if strategy == "hyperband" else optuna.pruners.NopPruner())
    # The study's name fixes which bracket each trial joins (Optuna hashes it with the trial number).
    name = f"{strategy}-seed-{seed}"
    if storage is not None and name in optuna.get_all_study_names(storage):
        optuna.delete_study(study_name=name, storage=storage)  # a search whose worker died: it starts again
    study = optuna.create_study(study_name=name, direction="minimize", sampler=sampler, pruner=pruner, storage=storage)
    trial_no = 0
    while used < budget:
        trial = study.ask()
        left = budget - used

        def report(epoch, value, trial=trial, left=left):
            trial.report(value, epoch)
            return trial.should_prune() or epoch + 1 >= left  # pruned, or the budget is spent

        score, epochs = fit_trial(houses, suggest_params(trial), seed * 1000 + trial_no, min(max_epochs, left), report)
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


def _storage(where: str, heartbeat: bool = True):
    import _lesson55

    return _lesson55.study_storage(where, heartbeat)  # a database (with heartbeats), or a journal file


def run_on_workers(args) -> list[dict]:
    """Queue every search as a trial of the study JOBS in ``args.storage``, start ``args.workers`` worker
    processes, wait for them, and return the rows of every search in the order of the sequential run."""
    import json

    import optuna

    from coursekit import distributed

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(args.storage)
    ours = {JOBS} | {f"{s}-seed-{k}" for s in args.strategies for k in args.seeds if s in ("tpe", "hyperband")}
    taken = sorted(ours & set(optuna.get_all_study_names(storage)))
    if taken:
        raise SystemExit(f"benchmark_tuning.py: {args.storage} already holds {', '.join(taken)} from an earlier run; "
                         "use an empty database, or delete them: optuna delete-study --storage URL --study-name NAME")
    jobs = optuna.create_study(study_name=JOBS, storage=storage, direction="minimize")
    jobs.set_user_attr("fits", args.fits)
    jobs.set_user_attr("max_epochs", args.max_epochs)
    for seed in args.seeds:
        for strategy in args.strategies:
            jobs.enqueue_trial({}, user_attrs={"strategy": strategy, "seed": seed})

    def echo(worker, line):
        print(line, flush=True)

    script = str(HERE / "benchmark_tuning.py")
    workers = [distributed.start_worker(f"worker {i + 1}", [script, "--worker", "--storage", args.storage,
                                                            "--name", f"worker {i + 1}"], on_line=echo)
               for i in range(args.workers)]
    codes = distributed.wait_all(workers, timeout=24 * 3600)
    done = {(t.user_attrs["strategy"], t.user_attrs["seed"]): json.loads(t.user_attrs["rows"])
            for t in jobs.get_trials(states=(optuna.trial.TrialState.COMPLETE,)) if "rows" in t.user_attrs}
    missing = [(s, k) for k in args.seeds for s in args.strategies if (s, k) not in done]
    if missing:
        raise SystemExit(f"benchmark_tuning.py: the workers (exit codes {codes}) left searches undone: {missing}")
    return [row for k in args.seeds for s in args.strategies for row in done[(s, k)]]


def work(where: str, name: str) -> int:
    """A worker: take the next queued search from the storage, run it, store its rows; until none is left."""
    import json

    import optuna

    import data

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage, searches = _storage(where), _storage(where, heartbeat=False)  # the searches ask and tell
    jobs = optuna.load_study(study_name=JOBS, storage=storage)
    fits, max_epochs = jobs.user_attrs["fits"], jobs.user_attrs["max_epochs"]
    houses = data.prepare_housing()

    def search(trial) -> float:
        job = trial.user_attrs  # a queued trial carries its search; a new one (the queue was empty) does not
        if "strategy" not in job:
            raise optuna.TrialPruned("no search left")
        t = time.perf_counter()
        rows = run_strategy(job["strategy"], job["seed"], fits, max_epochs, houses, storage=searches)
        trial.set_user_attr("rows", json.dumps(rows))
        print(f"{name}: seed {job['seed']} {job['strategy']:<9} best {rows[-1]['best_so_far']:.4f} "
              f"in {time.perf_counter() - t:.0f} s", flush=True)
        return rows[-1]["best_so_far"]

    def stop_when_empty(study, trial):
        if not study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)):
            study.stop()

    jobs.optimize(search, callbacks=[stop_when_empty])
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--fits", type=int, default=24, help="budget per strategy and seed, in full fits")
    parser.add_argument("--max-epochs", type=int, default=20, help="epochs of a full fit")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="run the searches in N worker processes that share --storage")
    parser.add_argument("--storage", metavar="URL",
                        help="where the workers meet: a database URL (postgresql+psycopg://user@host:port/db) "
                             "or a journal file on a shared disk")
    parser.add_argument("--worker", action="store_true",
                        help="be one worker: run the searches queued in --storage (on any machine that reaches it)")
    parser.add_argument("--name", default=f"worker {os.getpid()}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fits < 1 or args.max_epochs < 2:
        parser.error("--fits must be at least 1 and --max-epochs at least 2")
    if (args.workers or args.worker) and not args.storage:
        parser.error("--workers and --worker need --storage URL: the database (or shared journal file) where "
                     "the workers find the searches")
    if args.worker:
        return work(args.storage, args.name)

    start = time.perf_counter()
    if args.workers:
        rows = run_on_workers(args)
    else:
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
    if args.workers:
        print(f"{len(args.seeds) * len(args.strategies)} searches on {args.workers} worker process"
              f"{'es' if args.workers > 1 else ''}: {time.perf_counter() - start:.0f} s of wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
