"""Helpers shared by the graders of lesson 5.2: training networks.

The graders of this lesson own the harness: they call the student's functions with training and
validation data only, train every graded network themselves (``coursekit.training.fast_fit``:
``tf.data`` pipelines, validation every epoch) with the settings or the optimizer the student chose,
and compute every graded number themselves. Each target comes from the reference solution's spread
over seeds 0-4 (the comment above it gives the numbers) with a margin; the wrong answers in
``tests/graders/test_ex_5_2_K.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.

Here: the prepared churn data, the churn network of 5.2.1, 5.2.2 and 5.2.6, and the readings of what a
student's code returned as a number.
"""

from __future__ import annotations

import keras
import numpy as np



def as_number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


def churn_net(n_features: int, hidden=(32, 16)) -> keras.Model:
    """The churn network of 5.2.1 and 5.2.2 (uncompiled): the rubric's own copy."""
    return keras.Sequential([keras.Input(shape=(n_features,))] + [keras.layers.Dense(w, activation="relu") for w in hidden]
                            + [keras.layers.Dense(1, activation="sigmoid")])


def as_float(value) -> float:
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return float("nan")
