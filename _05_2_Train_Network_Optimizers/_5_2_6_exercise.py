"""Exercise 5.2.6 -- Checkpoint and resume: training that survives an interruption.

Goal: write the training call of a job that can be killed at any epoch and restarted: the
restart must carry on from where the job stopped, with the same weights, the same optimizer
state and the same early-stopping state, not start again.
Read first: README.md section 6 (callbacks, and what BackupAndRestore does not restore),
demo_callbacks.py

``fit_resumable(model, train, epochs, backup_dir, callbacks)`` trains the compiled ``model`` on
the training rows (validation on the validation rows, batches of 128, at most ``epochs`` epochs
counted from the very first start) with the given ``callbacks``. If ``backup_dir`` holds the
backup of an interrupted run, it resumes it. A restart is a new process: the model and every
callback are new objects, so anything that must survive has to be on disk in ``backup_dir``.
Keras's ``BackupAndRestore`` keeps the weights, the optimizer state and the epoch counter, but
not the state of the other callbacks: an ``EarlyStopping`` among ``callbacks`` would forget its
best validation loss and how many epochs it has waited. Your code keeps that state too.

What the rubric does and measures (you do not write any of it):
- interrupts your training at the start of epoch 4 (0-based) by raising an exception from a
  callback, then calls ``fit_resumable`` again with a newly initialised model and new callbacks
  on the same ``backup_dir``, as a restarted job would;
- the restart must begin with the weights the interrupted run had reached (equal to 1e-06), run
  only the remaining epochs (4 of 8) and end with the optimizer's step count of 8 full epochs;
- repeats the interruption with an ``EarlyStopping(patience=3)`` (restore_best_weights off)
  among the callbacks, then moves ``backup_dir`` to another place and restarts the job in a new
  Python process, in another working folder: it must resume from the moved folder (the epoch and
  the weights), and its EarlyStopping must know the best validation loss of the epochs before the
  interruption and stop exactly when an uninterrupted run's would, on the validation losses
  recorded across both parts;
- nothing is left in ``backup_dir`` after a run that finished (in either process).

Run this file to see what the rubric measures; ``course check 5.2.6`` records the verdict and
``course hint 5.2.6`` gives a hint.
"""

import json
from pathlib import Path

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras

import data

BATCH = 128


def fit_resumable(model: keras.Model, train: data.TrainVal, epochs: int, backup_dir: str, callbacks=()) -> keras.callbacks.History:
    """Fit ``model`` for at most ``epochs`` epochs, resuming from ``backup_dir`` when it holds a backup."""
    # TODO: a training call that backs up everything a restart needs, and restores it when it exists.
    raise NotImplementedError("fit_resumable: return the History of a training run that resumes from its backup")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
