"""Helpers shared by the graders of lesson 5.3: preventing overfitting.

The graders of this lesson own the harness: they call the student's functions with training and
validation data only (or with models and data of their own), train every graded network themselves
(:func:`train`, on ``coursekit.training.fast_fit``: ``tf.data`` pipelines, validation every epoch,
early stopping where the task says so) with the optimizer and loss the student compiled, and compute
every graded number themselves. Where an exercise claims that something helps, the grader trains the
alternative in the same run (the unregularised network, the raw inputs, the network trained from
scratch, the source network used as it is). Each target comes from the reference solution's spread
over seeds 0-4 (the comment above it gives the numbers) with a margin.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import prepared
from coursekit.training import fast_compile, fast_fit


def churn_data():
    """The prepared churn split (``prepared("churn")``)."""
    return prepared("churn")


def housing_data():
    """The prepared house-price split (``prepared("housing")``)."""
    return prepared("housing")


def train(model, X_train, y_train, X_val, y_val, *, seed, epochs, batch_size, patience=None):
    """The rubric's protocol: the student's optimizer and loss, ``tf.data`` pipelines, early stopping
    on the validation loss (best epoch restored) when ``patience`` is given. Without early stopping
    nothing needs the validation rows during training (a fit without them takes about half the time)."""
    fast_compile(model)
    if patience is None:
        X_val = y_val = None
    return fast_fit(model, X_train, y_train, X_val, y_val, epochs=epochs, batch_size=batch_size, patience=patience,
                    seed=seed)


def rmse(a, b) -> float:
    """Root mean squared difference of two arrays of any shape with as many values."""
    return float(np.sqrt(np.mean((np.asarray(a, dtype=np.float64).ravel() - np.asarray(b, dtype=np.float64).ravel()) ** 2)))
