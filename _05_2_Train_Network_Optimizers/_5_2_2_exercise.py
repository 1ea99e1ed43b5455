"""Exercise 5.2.2 -- Optimizers compared honestly: each at its own rate, over seeds.

Goal: rank SGD, SGD with momentum, Nesterov momentum, RMSprop, Adam and AdamW on churn under one
training budget, with a learning rate chosen for each, and report the ranking with its spread
over seeds.
Read first: README.md sections 3 (the learning rate) and 4 (optimizers), demo_optimizers.py

A comparison that gives every optimizer the same learning rate, or one seed, measures the rate
and the luck rather than the optimizer. The budget, the same for all: the network of the task
(``task_network``), 4 epochs of batches of 128 rows, binary cross-entropy; the score of one run
is the validation loss of its best epoch. Your decisions: the settings of each optimizer (its
learning rate above all). Your code: the comparison and the ranking.

``compare(make_optimizer, build_model, fit, names, seeds)`` runs, for every name and every seed:
seed the run with the course's seeding function, build a model with ``build_model``, compile it
with a new optimizer from ``make_optimizer`` and binary cross-entropy, and train it by passing
the model and the seed to ``fit`` (the budget: it trains, validates and returns the History).
It returns {name: [the score of each seed, in the order of ``seeds``]}. ``rank(results)`` turns
such a dict into a list of (name, mean, lowest, highest) tuples, the lowest mean first.

What the rubric does and measures (you do not write any of it):
- makes each optimizer three times: a new, unused object of the right kind each time (one
  optimizer cannot serve two models) with the same settings, with momentum for "momentum" and
  "nesterov" and weight decay for "adamw";
- runs your ``compare`` on made-up runs first (three of the names, three seeds, functions of its
  own, a ``fit`` that trains nothing and returns a made-up History): the functions given must be
  used, each name and seed run once, each run seeded with its own seed before its model is built
  (the rubric compares the model's starting weights), and each score must be the run's lowest
  validation loss, in the order of the seeds;
- runs your ``compare`` on all six optimizers and two seeds with its own ``fit``, which records
  every run: each model must get a new optimizer, and every score you report must be the best
  validation loss of its run (within 0.0001);
- from those runs: every optimizer's mean score over the two seeds must be <= 0.47;
- calls ``rank`` on results it made up and checks the order and the numbers.

Run this file to see what the rubric measures; ``course check 5.2.2`` records the verdict and
``course hint 5.2.2`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
EPOCHS, BATCH = 4, 128  # the budget, the same for every optimizer


def task_network(n_features: int) -> keras.Model:
    """The network of the task (uncompiled); the rubric builds its own copy."""
    return keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])


def make_optimizer(name: str) -> keras.optimizers.Optimizer:
    """A new optimizer of the kind ``name`` (one of OPTIMIZERS), with the settings you chose."""
    # TODO: one new optimizer per call, of the named kind, with a rate that suits it on this budget.
    raise NotImplementedError("make_optimizer: return a new optimizer of the named kind with the settings you chose")


def compare(make_optimizer, build_model, fit, names, seeds) -> dict:
    """{name: [best-epoch validation loss for each seed]} for the optimizers ``names``."""
    # TODO: every optimizer with every seed on the same budget, scored on the validation rows.
    raise NotImplementedError("compare: return each optimizer's validation scores, one per seed")


def rank(results: dict) -> list:
    """[(name, mean, lowest, highest), ...] over the seeds, the lowest mean validation loss first."""
    # TODO: one row per optimizer, best first.
    raise NotImplementedError("rank: return the optimizers best first, with mean, lowest and highest score")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
