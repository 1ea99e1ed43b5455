"""Exercise 5.3.4 -- The regularisation case study: beat the unregularised network it replaces.

Goal: regularise an over-sized churn network trained on 400 customers, choosing the method and
its strength with a budget of trials scored on validation data, so that it clearly beats the
same network without regularisation on the test split.
Read first: README.md sections 1, 2, 4, 5 and 7, and 9 (the Keras listing: penalties, dropout,
early stopping), demo_overfitting_curves.py

The architecture is fixed: three hidden Dense layers of 256 ReLU units and one sigmoid output
unit, compiled with Adam or AdamW at a learning rate of 0.001 and binary cross-entropy. With 400
training rows it memorises them. Your decisions: how to regularise it (L1 or L2 penalties,
dropout, AdamW's decoupled weight decay, early stopping, a mix) and how strongly, tried within a
budget of 4 trials. A configuration is a dict of your own design that ``build_network`` reads
({} means no regularisation); the rubric reads one key itself: "patience", if present, makes its
training stop early on the validation loss after that many epochs without improvement and
restore the best epoch. ``choose(evaluate, budget)`` calls ``evaluate(config)`` at most
``budget`` times -- each call trains the network of that configuration and returns its
validation loss -- and returns the configuration it picks.

What the rubric does and measures (you do not write any of it):
- gives ``evaluate`` 400 training and 400 validation rows of the churn table; each trial builds
  your network for the configuration, checks the architecture and the optimizer, trains it (at
  most 40 epochs of batches of 64 rows) and returns the binary cross-entropy on the validation
  rows computed from the predictions (without the penalties Keras adds to the loss it reports);
- requires at most 4 trials, that the configuration chosen is one of them and the one with the
  lowest validation loss, and that every number of a configuration (but "patience") shows in
  the network built from it: without the option, the penalties, the dropout layers or the
  optimizer differ;
- calls ``choose`` on 8 made-up tables of trials whose losses it knows (the best trial first,
  last, tied, a trial that diverged with a NaN loss, budgets of 2 and 3), then the first again:
  it must stay within each budget and return a configuration of the lowest loss (NaN is never
  the lowest);
- trains the same architecture without any regularisation, with the same seed, in the same run,
  and scores both on the churn test split (1,409 customers): the test log loss of your choice
  must be at least 0.5 lower, its test ROC AUC >= 0.8, and its validation loss at most 0.15 above
  its training loss. It prints both networks' numbers and a logistic regression's on the same
  400 rows.

Run this file to see what the rubric measures; ``course check 5.3.4`` records the verdict and
``course hint 5.3.4`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras

HIDDEN = (256, 256, 256)  # the architecture of the task
LEARNING_RATE = 0.001


def build_network(n_features: int, config: dict) -> keras.Model:
    """The task's network for ``n_features`` inputs, compiled, with the regularisation ``config`` describes."""
    # TODO: the fixed architecture, with each kind of regularisation your configurations can ask for.
    raise NotImplementedError("build_network: return the compiled network of the task, regularised as the configuration says")


def choose(evaluate, budget: int) -> dict:
    """The configuration with the lowest validation loss among at most ``budget`` trials of ``evaluate``."""
    # TODO: which configurations are worth a trial, and which one to keep.
    raise NotImplementedError("choose: return the configuration your trials chose")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
