"""Helpers shared by the graders of lesson 5.3: preventing overfitting.

The graders of this lesson own the harness: they call the student's functions with training and
validation data only (or with models and data of their own), train every graded network themselves
(:func:`coursekit.grading.train`, on ``coursekit.training.fast_fit``: ``tf.data`` pipelines, validation every epoch,
early stopping where the task says so) with the optimizer and loss the student compiled, and compute
every graded number themselves. Where an exercise claims that something helps, the grader trains the
alternative in the same run (the unregularised network, the raw inputs, the network trained from
scratch, the source network used as it is). Each target comes from the reference solution's spread
over seeds 0-4 (the comment above it gives the numbers) with a margin.
"""

from __future__ import annotations

import numpy as np


def rmse(a, b) -> float:
    """Root mean squared difference of two arrays of any shape with as many values."""
    return float(np.sqrt(np.mean((np.asarray(a, dtype=np.float64).ravel() - np.asarray(b, dtype=np.float64).ravel()) ** 2)))
