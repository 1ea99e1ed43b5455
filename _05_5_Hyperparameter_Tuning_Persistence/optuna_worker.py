"""One worker of a shared Optuna study, as it would run on a machine of its own.

    python optuna_worker.py --storage URL_OR_FILE --study NAME [--trials 12] [--epochs 6] [--name w1] [--seed 1]

It opens the study by name (created beforehand, e.g. by ``demo_distributed_tuning.py``) in a database
(``postgresql+psycopg://user@host:port/db``) or a journal file (a path), and runs trials of the housing
network of the tuning benchmark (one hidden ReLU layer; its width, Adam's learning rate and an L2
penalty; the validation RMSE of log prices, minimised) until the study holds ``--trials`` completed
trials, counting those of every worker. Each worker has its own sampler, seeded with ``--seed``: with
one seed for all, their random start-up trials would be the same. A retried trial (its first worker
died) trains with the seed of the trial it repeats.

It prints one line when a trial starts and one when it ends, prefixed with ``--name``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import coursekit  # first: quiet TensorFlow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", required=True, help="a database URL, or the path of a journal file")
    parser.add_argument("--study", required=True)
    parser.add_argument("--trials", type=int, default=12, help="completed trials the study should hold")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--name", default=f"worker-{os.getpid()}")
    parser.add_argument("--seed", type=int, default=0, help="this worker's sampler seed")
    args = parser.parse_args(argv)

    import keras  # noqa: F401 -- TensorFlow starts here, not inside the first trial
    import optuna

    import _lesson55
    import data
    from benchmark_tuning import fit_trial, suggest_params

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    houses = data.prepare_housing()
    storage = _lesson55.study_storage(args.storage)
    sampler = optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=6)  # constant_liar: on by default
    study = optuna.load_study(study_name=args.study, storage=storage, sampler=sampler)
    done = []

    def objective(trial) -> float:
        params = suggest_params(trial)
        frozen = study.trials[trial.number]  # what the storage holds about this trial (a retry says so)
        retried = optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
        trial.set_user_attr("worker", args.name)
        print(f"{args.name}: trial {trial.number} starts: units {params['units']}, learning rate "
              f"{params['learning_rate']:.2g}, L2 {params['l2']:.2g}"
              + (f" (a retry of trial {retried})" if retried is not None else ""), flush=True)
        start = time.perf_counter()
        score, _ = fit_trial(houses, params, seed=retried if retried is not None else trial.number,
                             max_epochs=args.epochs)
        done.append(trial.number)
        print(f"{args.name}: trial {trial.number} ends: validation RMSE {score:.4f} "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        return score

    stop = optuna.study.MaxTrialsCallback(args.trials, states=(optuna.trial.TrialState.COMPLETE,))
    study.optimize(objective, callbacks=[stop])
    print(f"{args.name}: stops after {len(done)} trials; the study holds "
          f"{len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))} completed trials", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
