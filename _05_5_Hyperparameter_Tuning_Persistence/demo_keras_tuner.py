# %% [markdown]
# # Keras Tuner, run for real: random search, Bayesian optimisation and Hyperband on one conditional space
#
# The churn network's width, an optional dropout layer whose rate exists only when the layer does,
# and Adam's learning rate, tuned by Keras Tuner's three tuners at the same budget in epochs.
# The objective is lesson 5.4's other one: the validation cost per customer when a churner missed
# costs 5 and an offer wasted on a loyal customer 1, at the threshold cheapest on the validation
# data -- minimised. Before the searches, two traps of Keras Tuner 1.4 are shown as they happen: a
# conditional hyperparameter declared only inside an `if` is unknown to the tuner when it starts,
# and a seed of 0 is no seed at all.
#
# Run it as a script, `python demo_keras_tuner.py` (or `course run 5.5 keras_tuner`), or as a
# notebook: `course notebook 5.5`. It takes about 15-25 s on 2 cores; every trial pays about a
# second of TensorFlow tracing, whatever its length.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import shutil
import tempfile
import time
import warnings

import keras
import keras_tuner as kt
import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_curve

import data

# %% [markdown]
# ## Set-up
#
# The churn arrays, and the objective. A threshold on the probabilities flags customers; the
# cheapest threshold on the validation rows is found from the ROC curve, where every distinct score
# is a candidate: cost = (5 x missed churners + 1 x wasted offers) / customers.

# %%
# Bayesian optimisation's Gaussian process warns about its length scales on 2 or 3 points, and a
# model Hyperband continues gets its parent's weights but a fresh Adam (Keras says it skips the
# saved optimizer's variables): both expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")

coursekit.set_seed(args.seed)
churn = data.prepare_churn()
COST_MISS, COST_OFFER, EPOCHS = 5.0, 1.0, 5


def lowest_cost(y, p) -> float:
    fpr, tpr, _ = roc_curve(y, p)
    positives, negatives = y.sum(), len(y) - y.sum()
    return float(np.min(COST_MISS * (1 - tpr) * positives + COST_OFFER * fpr * negatives) / len(y))


print(f"validation cost per customer of an offer to everyone: {lowest_cost(churn.y_val, np.ones(len(churn.y_val))):.4f}")


# %% [markdown]
# ## The hypermodel
#
# `dropout_rate` is declared inside a conditional scope that is entered on every build, so the
# tuner knows it from the start; inside the scope it is None when the switch is off.

# %%
def network(units, rate, learning_rate):
    model = keras.Sequential([keras.Input(shape=(churn.n_features,)), keras.layers.Dense(units, activation="relu")])
    if rate is not None:
        model.add(keras.layers.Dropout(rate))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy", steps_per_execution=32)
    return model


class ChurnCost(kt.HyperModel):
    def build(self, hp):
        units = hp.Int("units", 8, 64, sampling="log")
        dropout = hp.Boolean("dropout")
        with hp.conditional_scope("dropout", [True]):
            rate = hp.Float("dropout_rate", 0.1, 0.5)
        return network(units, rate if dropout else None, hp.Float("learning_rate", 3e-4, 3e-2, sampling="log"))

    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=EPOCHS, **kwargs):
        model.fit(x, y, batch_size=256, epochs=epochs, initial_epoch=kwargs.get("initial_epoch", 0),
                  callbacks=callbacks, verbose=0)
        X_val, y_val = validation_data
        return {"cost": lowest_cost(y_val, np.asarray(model(X_val, training=False)).ravel())}  # eager: nothing to trace


class OnlyInsideIf(ChurnCost):
    def build(self, hp):  # the same space, but dropout_rate is asked for only when dropout is on
        units, rate = hp.Int("units", 8, 64, sampling="log"), None
        if hp.Boolean("dropout"):
            with hp.conditional_scope("dropout", [True]):
                rate = hp.Float("dropout_rate", 0.1, 0.5)
        return network(units, rate, hp.Float("learning_rate", 3e-4, 3e-2, sampling="log"))


OBJECTIVE = kt.Objective("cost", direction="min")
folder = tempfile.mkdtemp(prefix="course_keras_tuner_")  # outside the repository; removed at the end


def tuner(cls, hypermodel, name, **kwargs):
    return cls(hypermodel, objective=OBJECTIVE, directory=folder, project_name=name, overwrite=True, **kwargs)


# %% [markdown]
# ## Trap 1: what the tuner knows before its first trial
#
# Keras Tuner learns a space by building the model, first with the defaults (dropout off), then
# with each conditional scope it saw switched on.

# %%
for cls in (ChurnCost, OnlyInsideIf):
    names = [h.name for h in tuner(kt.RandomSearch, cls(), "space", max_trials=1, seed=1).oracle.get_space().space]
    print(f"{cls.__name__}: the tuner starts with {len(names)} hyperparameters {names}")

# %% [markdown]
# ## Trap 2: seeds
#
# Keras Tuner 1.4 keeps `seed or random.randint(1, 10000)`, so `seed=0` is no seed; and it draws
# the k-th value of a search from seed + k, so neighbouring seeds share most of their draws.

# %%
def first_proposals(seed, n=5):
    oracle = tuner(kt.RandomSearch, ChurnCost(), "seeds", max_trials=n, seed=seed).oracle
    oracle.verbose = 0
    out = []
    for _ in range(n):
        trial = oracle.create_trial("demo")
        out.append(tuple(sorted(trial.hyperparameters.values.items())))
        oracle.update_trial(trial.trial_id, {"cost": 1.0})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return out


print("seed=0 twice, the same first proposals:", first_proposals(0) == first_proposals(0))
print("seed=1 twice, the same first proposals:", first_proposals(1) == first_proposals(1))
values = [{v for p in first_proposals(s) for k, v in p if k == "learning_rate"} for s in (1, 2, 1001)]
print(f"learning rates seed 2 shares with seed 1: {len(values[0] & values[1])} of 5; seed 1001 with seed 1: "
      f"{len(values[0] & values[2])} of 5")

# %% [markdown]
# ## Hyperband's budget, counted before it runs
#
# Hyperband's `max_epochs` caps one model, not the search. Its oracle is driven here with made-up
# scores, without training, and each bracket's proposals are added up: how many models each round
# trains, to which epoch, and how many epochs a continued model adds (`tuner/epochs` minus
# `tuner/initial_epoch`). First the pair "at most 10 epochs per model" invites, then this demo's.

# %%
def hyperband_plan(max_epochs, factor):
    oracle = tuner(kt.Hyperband, ChurnCost(), "plan", max_epochs=max_epochs, factor=factor, seed=1).oracle
    oracle.verbose = 0
    rounds = {}  # (bracket, round) -> [models, epochs reached, epochs added per model]
    while (trial := oracle.create_trial("demo")).status == "RUNNING":
        hp = trial.hyperparameters.values
        entry = rounds.setdefault((hp["tuner/bracket"], hp["tuner/round"]), [0, hp["tuner/epochs"], 0])
        entry[0] += 1
        entry[2] = hp["tuner/epochs"] - hp["tuner/initial_epoch"]
        oracle.update_trial(trial.trial_id, {"cost": float(np.random.default_rng(len(oracle.trials)).random())})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    print(f"Hyperband max_epochs={max_epochs}, factor={factor}: {len({b for b, _ in rounds})} brackets")
    for bracket in sorted({b for b, _ in rounds}, reverse=True):
        steps = [rounds[b, r] for b, r in sorted(rounds) if b == bracket]
        text = ", then ".join(f"{n} model{'s' * (n > 1)} to epoch {e} (+{a} each)" for n, e, a in steps)
        print(f"  bracket {bracket}: {text} = {sum(n * a for n, _, a in steps)} epochs")
    print(f"  in all: {sum(n for n, _, _ in rounds.values())} trials, {sum(n * a for n, _, a in rounds.values())} epochs")


for max_epochs, factor in [(10, 3), (4, 4)]:
    hyperband_plan(max_epochs, factor)

# %% [markdown]
# ## The three searches, 15 epochs each
#
# 3 trials of 5 epochs for random and Bayesian search (2 random starts, then one proposal of the
# Gaussian process); Hyperband with `max_epochs` 4 and `factor` 4 runs two brackets -- 4 models of
# 1 epoch, the best continued to 4, then 2 models of 4. The seconds of each trial are read by a
# callback that Keras Tuner hands every trial's fit.

# %%
class Clock(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ends = []

    def __deepcopy__(self, memo):  # Keras Tuner copies the search's callbacks for each trial: keep this one
        return self

    def on_train_end(self, logs=None):
        self.ends.append(time.perf_counter())


searches = {
    "random": tuner(kt.RandomSearch, ChurnCost(), "random", max_trials=3, seed=1000 * args.seed + 1),
    "bayesian": tuner(kt.BayesianOptimization, ChurnCost(), "bayesian", max_trials=3, num_initial_points=2,
                      seed=1000 * args.seed + 1),
    "hyperband": tuner(kt.Hyperband, ChurnCost(), "hyperband", max_epochs=4, factor=4, seed=1000 * args.seed + 1),
}
runs = {}
for name, search in searches.items():
    coursekit.set_seed(args.seed)
    clock, start = Clock(), time.perf_counter()
    search.search(churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val), epochs=EPOCHS,
                  callbacks=[clock], verbose=0)
    seconds = time.perf_counter() - start
    trials = [search.oracle.trials[i] for i in search.oracle.start_order]
    epochs = [t.hyperparameters.values.get("tuner/epochs", EPOCHS) - t.hyperparameters.values.get("tuner/initial_epoch", 0)
              for t in trials]
    runs[name] = {"scores": [float(t.score) for t in trials], "epochs": np.cumsum(epochs),
                  "seconds": np.array(clock.ends) - start}
    best = search.oracle.get_best_trials(1)[0]
    shown = {k: (f"{v:.3g}" if isinstance(v, float) else v) for k, v in best.hyperparameters.values.items()
             if not k.startswith("tuner/")}
    print(f"{name:<9} {len(trials)} trials, {int(np.sum(epochs))} epochs, ~{seconds:.0f} s: lowest validation cost "
          f"{best.score:.4f} per customer with {shown}")

# %% [markdown]
# ## The figure
#
# The lowest validation cost found so far, against the epochs spent and against the seconds.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
styles = {"random": ("tab:blue", "--", "s"), "bayesian": ("tab:green", "-", "o"), "hyperband": ("tab:red", "-", "o")}
for name, run in runs.items():  # random and Bayesian search share their first two trials: the same seeded draws
    colour, line, marker = styles[name]
    best_so_far = np.minimum.accumulate(run["scores"])
    for ax, x in zip(axes, (run["epochs"], run["seconds"])):
        ax.step(x, best_so_far, where="post", color=colour, linestyle=line, marker=marker, label=name)
axes[0].set_xlabel("epochs spent")
axes[1].set_xlabel("seconds")
axes[0].set_ylabel("lowest validation cost per customer so far")
axes[0].legend()
fig.suptitle("Keras Tuner's three tuners on one conditional space, 15 epochs each")
coursekit.save_figure(fig, "keras_tuner")
shutil.rmtree(folder, ignore_errors=True)
