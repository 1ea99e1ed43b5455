"""Grid, random, Bayesian (TPE) and Hyperband search at an equal budget, on churn.

Four ways to spend the same budget -- 24 epochs of training, e.g. 4 trials of 6 epochs -- on the
learning rate and width of a churn MLP, all with Optuna so that only the strategy differs:
a 2 x 2 grid, random sampling, a Tree-structured Parzen Estimator (a Bayesian method: a model of
good and bad trials proposes the next one), and Hyperband (many short trials, the promising ones
trained longer, through Optuna's HyperbandPruner). Then one study in an SQLite file is shared by
two worker processes -- the pattern that scales to many machines with a database server.

The budget is tiny so the demo runs in seconds; with 4 trials the ranking of the strategies is
mostly luck. What it shows is the mechanics and the bookkeeping: best score against epochs spent.

Run: ``python demo_search_strategies.py`` (about 25-45 s on 2 cores).
"""

# %%
# Set-up: prepared churn arrays, tf.data pipelines, one objective shared by every strategy.
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import coursekit
import keras
import matplotlib.pyplot as plt
import optuna
from optuna_integration import KerasPruningCallback

import _lesson55
import data

args = coursekit.script_args(__doc__)
coursekit.set_seed(args.seed)
optuna.logging.set_verbosity(optuna.logging.WARNING)
churn = data.prepare_churn()
MAX_EPOCHS, BUDGET = 6, 24  # epochs per full trial; epochs per strategy


def objective(trial) -> float:
    lr = trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
    units = trial.suggest_int("units", 8, 128, log=True)
    coursekit.set_seed(args.seed * 1000 + trial.number)
    model = keras.Sequential([
        keras.Input(shape=(churn.n_features,)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(keras.optimizers.Adam(lr), "binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")], steps_per_execution=32)
    train, val = _lesson55.array_datasets(churn, batch_size=256, seed=args.seed * 1000 + trial.number)
    seen = []
    try:
        history = model.fit(train, validation_data=val, epochs=MAX_EPOCHS, verbose=0, shuffle=False, callbacks=[
            keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["val_auc"])),
            KerasPruningCallback(trial, "val_auc"),
        ])
    finally:
        trial.set_user_attr("epochs", len(seen))
        trial.set_user_attr("best_seen", max(seen, default=0.0))
    return max(history.history["val_auc"])


def run_strategy(name, sampler, pruner=None):
    """Trials until the epoch budget is spent; returns (epochs, best so far, seconds) after each trial."""
    # A fixed study name: Hyperband assigns trials to brackets by hashing it (a random name, a new run).
    study = optuna.create_study(study_name=f"churn-{name}-seed{args.seed}", direction="maximize",
                                sampler=sampler, pruner=pruner or optuna.pruners.NopPruner())
    curve, spent, best, start = [], 0, 0.0, time.perf_counter()
    while spent < BUDGET:
        study.optimize(objective, n_trials=1)
        trial = study.trials[-1]
        spent += trial.user_attrs["epochs"]
        best = max(best, trial.user_attrs["best_seen"])
        curve.append((spent, best, time.perf_counter() - start))
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    print(f"{name:<10} trials {len(study.trials):>2} (pruned {pruned}), epochs {spent:>2}, "
          f"best val AUC {best:.4f}, {curve[-1][2]:.1f} s")
    return curve


# %%
# The four strategies. The grid must be written down in advance (2 x 2 = 4 trials of 6 epochs);
# random and TPE draw from the same ranges (TPE's first 2 trials are random, then it models);
# Hyperband starts trials at 2 epochs and lets about a third of them continue to 6. (With a budget
# of 3 trials Hyperband has nothing to compare yet, and prunes nothing.)
curves = {
    "grid": run_strategy("grid", optuna.samplers.GridSampler(
        {"learning_rate": [1e-3, 1e-2], "units": [16, 64]}, seed=args.seed)),
    "random": run_strategy("random", optuna.samplers.RandomSampler(seed=args.seed)),
    "TPE": run_strategy("TPE", optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=2)),
    "Hyperband": run_strategy("Hyperband", optuna.samplers.RandomSampler(seed=args.seed),
                              optuna.pruners.HyperbandPruner(min_resource=2, max_resource=MAX_EPOCHS, reduction_factor=3)),
}

# %%
# Best validation AUC found against epochs spent (left) and against seconds (right). On a
# model this small each trial pays about a second of graph tracing whatever its length, so
# Hyperband's saving in epochs shows less in seconds.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for name, curve in curves.items():
    epochs, best, secs = zip(*curve)
    axes[0].step(epochs, best, where="post", marker="o", label=name)
    axes[1].step(secs, best, where="post", marker="o", label=name)
axes[0].set_xlabel(f"epochs trained (budget {BUDGET})")
axes[1].set_xlabel("seconds")
axes[0].set_ylabel("best validation ROC AUC so far")
axes[0].legend()
fig.suptitle("Equal budget, four strategies (churn MLP: learning rate x width)")
coursekit.save_figure(fig, "search_strategies", __file__)

# %%
# One study, several processes. The study lives in an SQLite file; each worker process opens it by
# name and asks it for trials, so the workers never propose the same trial twice and never need to
# talk to each other. On many machines, replace the URL with a database server's
# (``postgresql://user@host/db``). The workers tune a logistic regression's C here, so that the demo
# does not pay a TensorFlow start-up per process; a Keras objective is the same code.
WORKER = textwrap.dedent("""
    import os, sys
    import optuna
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    import data
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    churn = data.prepare_churn()
    def objective(trial):
        trial.set_user_attr("worker", os.getpid())
        c = trial.suggest_float("C", 1e-3, 1e2, log=True)
        clf = LogisticRegression(C=c, max_iter=500).fit(churn.X_train, churn.y_train)
        return roc_auc_score(churn.y_val, clf.predict_proba(churn.X_val)[:, 1])
    study = optuna.load_study(study_name="churn-logreg", storage=sys.argv[1])
    study.optimize(objective, n_trials=3)
""")
with tempfile.TemporaryDirectory() as tmp:
    storage = f"sqlite:///{Path(tmp) / 'study.db'}"
    optuna.create_study(study_name="churn-logreg", storage=storage, direction="maximize",
                        sampler=optuna.samplers.TPESampler(seed=args.seed))
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, storage]) for _ in range(2)]
    codes = [w.wait(timeout=300) for w in workers]
    shared = optuna.load_study(study_name="churn-logreg", storage=storage)
    per_worker = {}
    for t in shared.trials:
        per_worker.setdefault(t.user_attrs.get("worker"), []).append(t.number)
    print(f"workers exited with {codes}; the shared study holds {len(shared.trials)} trials,",
          f"{len(per_worker)} workers, trial numbers per worker {sorted(per_worker.values())}")
    print(f"best C {shared.best_params['C']:.3g}, validation AUC {shared.best_value:.4f}")
