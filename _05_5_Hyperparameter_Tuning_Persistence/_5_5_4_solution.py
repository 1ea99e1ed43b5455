"""Exercise 5.5.4 -- Keras Tuner, run for real: a conditional search space tuned for F1 at a chosen threshold.

Goal: write a Keras Tuner hypermodel whose search space has conditional hyperparameters and whose
trials report the objective of lesson 5.4 (F1 at the threshold chosen on validation data), and
random, Bayesian and Hyperband tuners on one budget that replay exactly for a seed.
Read first: README.md section 4 (Hyperband) and section 5 (Keras Tuner, Hyperband's budget, pitfalls), demo_keras_tuner.py

The churn network is yours to shape, within a search space named so that the rubric can read the
trials (add other hyperparameters if you like):
- ``second_layer`` (hp.Boolean): a second hidden layer or not; its width ``second_units`` is a
  hyperparameter only when that layer exists;
- ``batch_norm`` (hp.Boolean): batch normalisation in the hidden layers or not; ``bn_momentum`` is
  a hyperparameter only when it is on;
- ``l2``, the L2 penalty of every hidden layer's kernel, and ``learning_rate``, Adam's rate, both
  searched on a log scale.
The objective is named "f1" and maximised: after training, ``fit`` returns the F1 of the model's
validation predictions at the threshold that maximises it there (``best_f1``). The budget: each
tuner spends at most 30 epochs -- 3 trials of 10 epochs for random and Bayesian search; Hyperband
gives no model more than 10 epochs and all its models together at most 30. Mind the second bound:
Hyperband's brackets start many short models and continue the best, so one run trains several
times ``max_epochs`` in all (README section 5, "Hyperband's budget, added up", shows how to count
them before you run anything).

What the rubric does and measures (you do not write any of it):
- calls ``best_f1`` on hidden cases (ties, few positives, a single row, scores outside [0, 1] or as
  an (n, 1) column, each argument changed alone, the first case asked again at the end): the F1 it
  returns, and F1 at the threshold it returns, must equal the rubric's best within 1e-09;
- lets Keras Tuner discover your space as a tuner does before its first trial and reads each
  hyperparameter's conditions; draws l2 and learning_rate 400 times each: each range spans at least
  2 decades, and between 0.35 and 0.65 of the draws fall below its geometric middle; builds your
  network with values it chooses to see that each hyperparameter does what its name says;
- runs each tuner's proposals on scores it makes up, without training: the class, the objective,
  the budget, at least one trial proposed by the Gaussian process, at least one Hyperband model
  trained further; the same seed (0 included) must propose the same hyperparameters, another seed
  others, and a new tuner in the same directory must start afresh;
- calls your ``fit`` once on made-up rows with a small model of its own and 2 epochs: it must train
  on every training row it is given, on no validation row, for the epochs it is given;
- runs your Bayesian tuner for real (training rows to train, validation data for the objective),
  takes the model each trial trained through the callbacks the tuner passes to ``fit``, and
  recomputes F1 at the best validation threshold itself: it must match what the tuner recorded
  within 0.001; a replay with the same seed must propose the same hyperparameters;
- retrains the best trial's hyperparameters with its own code (10 epochs, batches of 256), chooses
  the threshold on validation data and scores the test split once: test F1 at least 0.6 (it
  prints F1 at threshold 0.5 beside it).

Run this file to see what the rubric measures; ``course check 5.5.4`` records the verdict and
``course hint 5.5.4`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import keras_tuner
import numpy as np

TRIALS = 3  # trials of random and Bayesian search
EPOCHS = 10  # epochs of one random or Bayesian trial; for Hyperband a cap per model, not a max_epochs that fits
EPOCH_BUDGET = 30  # epochs of one tuner in all: for Hyperband, every bracket's epochs added up
BATCH = 256  # the batch size of the rubric's retraining


def best_f1(y_val, p_val) -> tuple[float, float]:
    """(F1, threshold): the highest F1 any threshold reaches on these labels and scores, and a
    threshold that reaches it. A case is flagged when its score is >= the threshold."""
    # TODO: try every threshold that changes which cases are flagged; keep the best.
    truth = np.asarray(y_val).astype(int).ravel()
    scores = np.asarray(p_val, dtype=np.float64).ravel()
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    last = np.r_[ranked[1:] != ranked[:-1], True]  # the last case of each run of equal scores
    true_pos = np.cumsum(hits)[last]
    flagged = np.flatnonzero(last) + 1
    f1 = 2 * true_pos / (flagged + truth.sum())  # 2 tp / (2 tp + fp + fn)
    best = int(np.argmax(f1))
    return float(f1[best]), float(ranked[last][best])


class ChurnHyperModel(keras_tuner.HyperModel):
    """The search space (``build``) and one trial's training and objective (``fit``)."""

    def __init__(self, n_features: int):
        super().__init__(name="churn")
        self.n_features = n_features

    def build(self, hp) -> keras.Model:
        """A compiled churn network (one sigmoid output, binary cross-entropy) whose second layer,
        batch normalisation, L2 penalty and learning rate are drawn from ``hp``."""
        # TODO: declare the hyperparameters the task names, and build the network they describe.
        second = hp.Boolean("second_layer")
        with hp.conditional_scope("second_layer", [True]):
            second_units = hp.Int("second_units", 8, 64, sampling="log")
        batch_norm = hp.Boolean("batch_norm")
        with hp.conditional_scope("batch_norm", [True]):
            momentum = hp.Float("bn_momentum", 0.5, 0.99)
        l2 = hp.Float("l2", 1e-6, 1e-2, sampling="log")
        learning_rate = hp.Float("learning_rate", 5e-4, 5e-2, sampling="log")
        model = keras.Sequential([keras.Input(shape=(self.n_features,))])
        for width in [32] + ([second_units] if second else []):
            model.add(keras.layers.Dense(width, kernel_regularizer=keras.regularizers.L2(l2)))
            if batch_norm:
                model.add(keras.layers.BatchNormalization(momentum=momentum))
            model.add(keras.layers.Activation("relu"))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy", steps_per_execution=32)
        return model

    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, epochs=EPOCHS, initial_epoch=0, **kwargs):
        """Train ``model`` on (x, y) for the epochs the tuner gives, passing on its callbacks; return
        the objective {"f1": ...} measured on ``validation_data`` = (X_val, y_val) after training."""
        # TODO: train, then measure the objective on the validation data and return it.
        model.fit(x, y, batch_size=BATCH, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=0)
        X_val, y_val = validation_data
        f1, _ = best_f1(y_val, model.predict(X_val, batch_size=4096, verbose=0))
        return {"f1": f1}


def make_tuner(kind: str, hypermodel, directory: str, seed: int):
    """A Keras Tuner tuner of ``kind`` ("random", "bayesian" or "hyperband") for ``hypermodel``,
    maximising "f1" on the budget, writing under ``directory`` from scratch, reproducible for ``seed``."""
    # TODO: one tuner per kind, on the budget, seeded, in the directory given.
    # Keras Tuner reads seed=0 as "no seed", and draws the k-th value of a search from seed + k: seeds kept apart.
    common = dict(objective=keras_tuner.Objective("f1", direction="max"), seed=1000 * seed + 1,
                  directory=directory, project_name=f"churn_{kind}", overwrite=True)
    if kind == "random":
        return keras_tuner.RandomSearch(hypermodel, max_trials=TRIALS, **common)
    if kind == "bayesian":
        return keras_tuner.BayesianOptimization(hypermodel, max_trials=TRIALS, num_initial_points=2, **common)
    if kind == "hyperband":  # 5 models of 2 epochs, the best 2 continued to 4, then 3 models of 4: 26 epochs
        return keras_tuner.Hyperband(hypermodel, max_epochs=4, factor=3, **common)
    raise ValueError(f"unknown kind of tuner {kind!r}: random, bayesian or hyperband")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
