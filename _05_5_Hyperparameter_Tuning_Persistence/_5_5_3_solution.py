"""Exercise 5.5.3 -- An Optuna study that is seeded, pruned, stored on disk and resumed after a stop.

Goal: tune a churn network with Optuna's Bayesian sampler (TPE), stop hopeless trials early, keep
the study in an SQLite file so that a stopped search resumes where it was, and make a replay with
the same seed propose the same trials.
Read first: README.md sections 4 and 5, demo_optuna_storage.py

The network and its training are the rubric's: ``train(params, report)`` builds a churn network
from ``params`` (any of the keys below; a key you leave out keeps its default), trains it for at
most 8 epochs and, after each epoch, calls ``report(epoch, val_auc)`` with the validation ROC AUC
it measured (``epoch`` counts from 0). If ``report`` raises ``optuna.TrialPruned``, training stops
there. ``train`` returns the list of validation AUCs of the epochs it ran. Call it once per trial.

    learning_rate   Adam's learning rate, in (0, 1]        (default 1e-3)
    units           ReLU units per hidden layer, 4 to 256  (default 32)
    hidden_layers   1 to 3                                 (default 1)
    dropout         after each hidden layer, 0 to 0.6      (default 0)

Your code:
- ``suggest(trial)``: the search space, asked of the trial (ranges and scales are your decision);
- ``objective(trial, train)``: one trial: its parameters, the training, pruning decisions after
  each epoch, and the trial's value: the best validation AUC it reached;
- ``open_study(storage, name, seed)``: the study named ``name`` in the database ``storage`` (an
  SQLite URL), created if it does not exist and continued if it does; maximising; a TPE sampler
  seeded from ``seed`` (the same seed, the same search); a pruner of your choice;
- ``run_search(storage, name, seed, n_trials, train)``: open the study and run ``n_trials`` more
  trials in it; return the study.

What the rubric does and measures (you do not write any of it):
- asks ``suggest`` for 30 trials: the learning rate is searched on a log scale over at least a
  factor of 10, the values come from the trial, every key is one of the four above;
- with a quick stand-in for ``train`` (made-up learning curves, no network): runs 5 trials (exactly
  ``n_trials``, each calling ``train`` once), then,
  as after a stop, runs 4 more in the same storage: the database must hold 9 trials numbered
  0-8, the first 5 unchanged, and none of the 4 new trials may repeat one of the first 5 (a sampler
  created again draws again what it drew before, unless its seed says otherwise); every value
  stored is the best AUC ``train`` reported for that trial;
  some trials are pruned (fewer than 8 epochs); the same calls in a new database with the same seed
  give the same trials, and another seed other ones;
- with the real ``train``: runs 6 trials in a new database and, from the AUCs it measured itself,
  requires a best validation ROC AUC of at least 0.83; that trial's network is then scored once on
  the test split: ROC AUC at least 0.83.

Run this file to see what the rubric measures; ``course check 5.5.3`` records the verdict and
``course hint 5.5.3`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import optuna

MAX_EPOCHS = 8
optuna.logging.set_verbosity(optuna.logging.WARNING)


def suggest(trial) -> dict:
    """The search space: a dict of the parameters this trial tries, asked of ``trial``."""
    # TODO: the dials you search, each with its range and scale.
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 3e-2, log=True),
        "units": trial.suggest_int("units", 16, 128, log=True),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }


def objective(trial, train) -> float:
    """One trial: train the parameters ``suggest`` gives, prune if hopeless, return the best validation AUC."""
    # TODO: report every epoch's value to the trial, stop when the pruner says so, return the trial's value.
    params = suggest(trial)

    def report(epoch: int, val_auc: float) -> None:
        trial.report(val_auc, step=epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch}")

    return max(train(params, report))


def open_study(storage: str, name: str, seed: int):
    """The study ``name`` in ``storage``: created or continued, maximising, seeded TPE, a pruner."""
    # TODO: create the study the first time and load it afterwards, with a sampler that does not redraw old trials.
    study = optuna.create_study(
        storage=storage, study_name=name, load_if_exists=True, direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    # The sampler is not stored with the study: a new one seeded by ``seed`` alone would draw again
    # what the first run drew. Seeding it with the number of trials already done continues instead.
    study.sampler = optuna.samplers.TPESampler(seed=seed * 1000 + len(study.trials), n_startup_trials=3)
    return study


def run_search(storage: str, name: str, seed: int, n_trials: int, train):
    """Open the study and run ``n_trials`` more trials in it; return the study."""
    # TODO: open the study, then optimise the objective for n_trials trials.
    study = open_study(storage, name, seed)
    study.optimize(lambda trial: objective(trial, train), n_trials=n_trials)
    return study


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
