"""One process of Keras Tuner's distributed mode: the chief (the oracle) or a worker, set by the environment.

    KERASTUNER_TUNER_ID=chief  KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=PORT python keras_tuner_worker.py --directory DIR
    KERASTUNER_TUNER_ID=tuner0 KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=PORT python keras_tuner_worker.py --directory DIR

Every process runs the same code: a random-search tuner of the churn cost hypermodel
(``_lesson55.churn_cost_hypermodel``: width, optional dropout and its rate, learning rate; the
validation cost per customer, minimised) and ``tuner.search(...)``. Keras Tuner reads the three
variables: in the chief, ``search`` serves the oracle over gRPC at IP:PORT and returns when the search
is over; in a worker, the tuner's oracle is a client of the chief's, and ``search`` asks it for trials,
trains them and reports their results until the chief says stop. The chief keeps the results (its
``--directory``); each worker writes only its trials' checkpoints (a directory of its own here, as on
another machine). Random search, because its oracle answers at once: with ``BayesianOptimization``
the chief fits its Gaussian process for every request, one request at a time (its gRPC server has
one thread), while the workers wait.

A worker prints one line when a trial starts and one when it ends; the chief, when the search is over,
one line per trial it holds.
"""

from __future__ import annotations

import argparse
import os
import sys

import coursekit  # first: quiet TensorFlow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", required=True, help="this process' folder (the chief's holds the results)")
    parser.add_argument("--trials", type=int, default=6, help="the search's trials (read by the chief)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="the oracle's seed (Keras Tuner: 0 is no seed)")
    args = parser.parse_args(argv)
    me = os.environ.get("KERASTUNER_TUNER_ID", "tuner0")

    import keras_tuner as kt

    import _lesson55
    import data

    coursekit.set_seed(args.seed + sum(map(ord, me)))  # each process its own initial weights' stream
    churn = data.prepare_churn()

    class Reporting(kt.RandomSearch):
        """The tuner, printing each trial it runs (a worker) -- nothing else is changed."""

        def run_trial(self, trial, *fit_args, **fit_kwargs):
            shown = {k: (f"{v:.2g}" if isinstance(v, float) else v) for k, v in trial.hyperparameters.values.items()}
            print(f"{me}: trial {trial.trial_id} starts: {shown}", flush=True)
            results = super().run_trial(trial, *fit_args, **fit_kwargs)
            print(f"{me}: trial {trial.trial_id} ends: validation cost {results[0]['cost']:.4f}", flush=True)
            return results

    tuner = Reporting(_lesson55.churn_cost_hypermodel(churn.n_features), objective=kt.Objective("cost", "min"),
                      max_trials=args.trials, seed=args.seed,
                      directory=args.directory, project_name="churn", overwrite=True)
    tuner.search(churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val), epochs=args.epochs,
                 verbose=0)
    if me == "chief":  # search() returned: the workers are done; the oracle's trials are the results
        for trial in sorted(tuner.oracle.trials.values(), key=lambda t: t.trial_id):
            print(f"chief: trial {trial.trial_id} {trial.status.lower()}: validation cost {trial.score:.4f}", flush=True)
        print(f"chief: the search is over, {len(tuner.oracle.trials)} trials; the lowest cost "
              f"{tuner.oracle.get_best_trials(1)[0].score:.4f}", flush=True)
    else:
        print(f"{me}: the chief says the search is over", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
