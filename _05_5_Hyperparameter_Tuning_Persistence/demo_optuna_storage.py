# %% [markdown]
# # Optuna studies that outlive their process: stored in SQLite, resumed after a stop, shared by workers
#
# A study kept in memory dies with its process. Kept in a database, it is a record that any process
# can open by name: a search stopped half-way (a closed laptop, a killed job) resumes where it was,
# and several worker processes fill one study without talking to each other. The objective here is
# a logistic regression's regularisation strength `C` on churn, scored by validation ROC AUC, so
# that each trial costs a tenth of a second and no worker pays a TensorFlow start-up; a Keras
# objective is the same code.
#
# Three things are shown:
#
# 1. a study stopped after 6 trials and resumed in a new study object for 6 more: the trial numbers
#    continue, nothing is lost;
# 2. why a resumed study can repeat itself: the sampler is not stored with the study, and one created
#    again with the same seed starts its random draws again, so trials after the restart repeat
#    earlier ones -- unless its seed also counts the trials already done;
# 3. two worker processes sharing one study in one SQLite file.
#
# Run it as a script, `python demo_optuna_storage.py` (or `course run 5.5 optuna_storage`), or as a
# notebook: `course notebook 5.5`. It takes about 10 s on 2 cores.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import coursekit.catalog
import matplotlib.pyplot as plt
import optuna
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import data

# %% [markdown]
# ## Set-up
#
# The prepared churn arrays and an objective that asks the trial for C on a log scale.

# %%
coursekit.set_seed(args.seed)
optuna.logging.set_verbosity(optuna.logging.WARNING)
churn = data.prepare_churn()


def objective(trial) -> float:
    c = trial.suggest_float("C", 1e-4, 1e2, log=True)
    model = LogisticRegression(C=c, max_iter=1000).fit(churn.X_train, churn.y_train)
    return float(roc_auc_score(churn.y_val, model.predict_proba(churn.X_val)[:, 1]))


def open_study(storage: str, name: str, startup: int, seed: int):
    """Created the first time, loaded afterwards: the same call starts and resumes a search."""
    return optuna.create_study(storage=storage, study_name=name, load_if_exists=True, direction="maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup))


tmp = tempfile.TemporaryDirectory(prefix="demo_optuna_")  # the databases never land in the repository
storage = f"sqlite:///{Path(tmp.name) / 'studies.db'}"

# %% [markdown]
# ## 1. Stop and resume
#
# The first process runs 6 trials and "stops" (its study object is dropped); a second call opens
# the same study from the file and adds 6 trials.

# %%
first = open_study(storage, "resume", startup=3, seed=args.seed)
first.optimize(objective, n_trials=6)
del first
resumed = open_study(storage, "resume", startup=3, seed=args.seed)
print(f"reopened from the file: {len(resumed.trials)} trials already there")
resumed.optimize(objective, n_trials=6)
print(f"after the resumed run: trials {[t.number for t in resumed.trials]}, best validation AUC "
      f"{resumed.best_value:.4f} at C = {resumed.best_params['C']:.3g}")

# %% [markdown]
# ## 2. The restart trap
#
# The sampler is not stored with the study: the second run creates a new one, and with the same
# seed it draws the same random numbers as the first run did. During TPE's random start-up the
# trials after the restart are then copies of the first ones; after it, TPE's first proposals can
# still repeat earlier ones. A seed made of the seed and the number of trials already in the study
# continues the search instead (and a replay from scratch is still the same).

# %%
def repeats(startup: int, seed_of) -> int:
    name = f"trap-{startup}-{seed_of.__name__}"
    study = open_study(storage, name, startup, seed_of(args.seed, 0))
    study.optimize(objective, n_trials=6)
    study = open_study(storage, name, startup, seed_of(args.seed, len(study.trials)))
    study.optimize(objective, n_trials=6)
    before = {t.params["C"] for t in study.trials[:6]}
    return sum(t.params["C"] in before for t in study.trials[6:])


def same_seed(seed, n_trials):
    return seed


def seed_and_count(seed, n_trials):
    return seed * 1000 + n_trials


for startup, seed_of in [(10, same_seed), (3, same_seed), (10, seed_and_count)]:
    print(f"random start-up of {startup} trials, sampler seed {seed_of.__name__.replace('_', ' ')}: "
          f"{repeats(startup, seed_of)} of the 6 trials after the restart repeat earlier ones")

# %% [markdown]
# ## 3. Two workers, one study
#
# Each worker process opens the study by name and asks it for trials, so they never run the same
# trial number twice. On many machines the URL is a database server's (`postgresql://user@host/db`).
# Which worker gets which trial depends on timing.

# %%
WORKER = textwrap.dedent("""
    import os
    from sys import argv
    import optuna
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    import data
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    churn = data.prepare_churn()
    def objective(trial):
        trial.set_user_attr("worker", os.getpid())
        c = trial.suggest_float("C", 1e-4, 1e2, log=True)
        model = LogisticRegression(C=c, max_iter=1000).fit(churn.X_train, churn.y_train)
        return roc_auc_score(churn.y_val, model.predict_proba(churn.X_val)[:, 1])
    study = optuna.load_study(study_name="shared", storage=argv[1])
    study.optimize(objective, n_trials=4)
""")
optuna.create_study(storage=storage, study_name="shared", direction="maximize",
                    sampler=optuna.samplers.TPESampler(seed=args.seed))
env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(coursekit.catalog.REPO), os.environ.get("PYTHONPATH", "")])}
workers = [subprocess.Popen([sys.executable, "-c", WORKER, storage], env=env) for _ in range(2)]
codes = [w.wait(timeout=300) for w in workers]
shared = optuna.load_study(study_name="shared", storage=storage)
per_worker: dict = {}
for t in shared.trials:
    per_worker.setdefault(t.user_attrs.get("worker"), []).append(t.number)
print(f"workers exited with {codes}; the shared study holds {len(shared.trials)} trials from "
      f"{len(per_worker)} workers, trial numbers per worker {sorted(per_worker.values())}")

# %% [markdown]
# ## The figure
#
# Each trial's validation AUC by trial number, the resumed run and the two workers.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
values = [t.value for t in resumed.trials]
left.plot(range(6), values[:6], "o", label="first run")
left.plot(range(6, 12), values[6:], "s", label="resumed from the file")
left.axvline(5.5, color="grey", ls=":")
left.set(xlabel="trial number", ylabel="validation ROC AUC", title="stopped after 6 trials, resumed")
left.legend(loc="lower right")
for k, (pid, numbers) in enumerate(sorted(per_worker.items(), key=lambda kv: kv[1])):
    right.plot(numbers, [shared.trials[n].value for n in numbers], "o^"[k % 2], label=f"worker {k + 1}")
right.set(xlabel="trial number", title="two processes, one study")
right.legend(loc="lower right")
coursekit.save_figure(fig, "optuna_storage")
tmp.cleanup()
