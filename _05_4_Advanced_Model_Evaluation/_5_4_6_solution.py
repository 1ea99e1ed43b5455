"""Exercise 5.4.6 -- Reading training histories: under-fitting, over-fitting, a learning rate too high.

Goal: read a training history as an engineer does -- say what went wrong and which epoch to keep
-- with code that the rubric runs on histories you have not seen.
Read first: README.md section 9 (the three patterns, the epoch to keep); demo_training_histories.py

A history is a dict like Keras's ``History.history``: "loss" (training) and "val_loss"
(validation), one float per epoch, epoch 1 first; a run that blew up records nan or inf.
``diagnose(history)`` returns one of ``DIAGNOSES``:

- "under-fitting": the run stopped while both losses were still falling (train longer, or
  faster): the model has not learned what it can;
- "over-fitting": the validation loss reached its lowest value and then rose clearly while the
  training loss kept falling: the model memorises the training rows;
- "learning rate too high": the training loss itself is erratic -- it jumps up from one epoch to
  the next, becomes nan, or makes no progress from the first epoch on. A smooth but slow fall
  is not this: it is under-fitting. (Every real history wiggles a little from epoch to epoch; a
  wiggle is not a jump.)

``best_epoch(history)`` returns the epoch whose weights early stopping would restore: the one with
the lowest validation loss, numbered as Keras prints epochs (ignore nan).

What the rubric does and measures (you do not write any of it): it draws 15 histories (5 of each
kind, of 12 to 60 epochs, with noise) from a generator you do not see, a new draw for each seed,
and checks your diagnosis of every one of them and your epoch for every one of them. It also asks
both functions about hand-made histories whose answer is not in doubt (ties in the validation loss,
nan and inf, a single epoch, a gap between the curves without a rise), several of one length, the
first asked again at the end: an answer must not depend on an earlier call.

Run this file to see what the rubric measures; ``course check 5.4.6`` records the verdict and
``course hint 5.4.6`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np

DIAGNOSES = ("under-fitting", "over-fitting", "learning rate too high")


def diagnose(history: dict) -> str:
    """One of DIAGNOSES for this history."""
    # TODO: decide from the shapes of the two curves, the training curve first.
    loss = np.asarray(history["loss"], dtype=np.float64)
    val_loss = np.asarray(history["val_loss"], dtype=np.float64)
    if not np.all(np.isfinite(loss)) or np.any(loss[1:] > 1.2 * loss[:-1]) or loss[-1] > 0.9 * loss[0]:
        return "learning rate too high"
    best = int(np.argmin(val_loss))
    if best < len(val_loss) - 3 and val_loss[-1] > 1.03 * val_loss[best]:
        return "over-fitting"
    return "under-fitting"


def best_epoch(history: dict) -> int:
    """The epoch (1 = the first) with the lowest finite validation loss."""
    # TODO: the epoch early stopping would restore, counted as Keras counts.
    val_loss = np.asarray(history["val_loss"], dtype=np.float64)
    return int(np.nanargmin(np.where(np.isfinite(val_loss), val_loss, np.nan))) + 1


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
