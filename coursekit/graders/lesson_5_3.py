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


# --------------------------------------------------------------------------- what a built model is made of


def _flat_layers(model) -> list:
    """Every layer of a model, nested models' layers included, in order (no InputLayer)."""
    import keras

    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        out += _flat_layers(layer) if isinstance(layer, keras.Model) else [layer]
    return out


def path_around(model, through) -> list[str] | None:
    """A path from an input of ``model`` to its output that passes no layer for which ``through(layer)``
    is true, as the names of the layers along it (input first), or None when every path passes one.

    For the exercises where a kind of layer is the concept (dropout, a normalisation, the frozen
    layers, the penalised first layer): a network that also routes its inputs around those layers
    (a second branch from the input to a concatenation, a skip connection to the head) lets the
    output learn without them, whatever the layers themselves do. Sequential models and nested
    models are followed; a subclassed model, whose graph cannot be read, counts as passing."""
    import keras

    if isinstance(model, keras.Sequential):
        path = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            if isinstance(layer, keras.Model):
                inner = path_around(layer, through)
                if inner is None:
                    return None
                path += inner
            elif through(layer):
                return None
            else:
                path.append(layer.name)
        return path
    outputs, inputs = getattr(model, "outputs", None), getattr(model, "inputs", None)
    if not outputs or not inputs:
        return None  # a subclassed model: its graph cannot be read
    input_ids = {id(t) for t in inputs}
    seen = set()

    def back(tensor, path):
        if id(tensor) in input_ids:
            return path
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return None
        op, node_index = history[0], history[1]
        key = (id(op), node_index)
        if key in seen:
            return None
        seen.add(key)
        if isinstance(op, keras.layers.InputLayer):
            return path
        if isinstance(op, keras.Model):
            inner = path_around(op, through)
            if inner is None:
                return None
            here = inner
        elif through(op):
            return None
        else:
            here = [op.name]
        try:
            node = op._inbound_nodes[node_index]
        except (AttributeError, IndexError):
            return None
        for t in node.input_tensors:
            found = back(t, here + path)
            if found is not None:
                return found
        return None

    for out in outputs:
        found = back(out, [])
        if found is not None:
            return found
    return None


def penalty_strengths(variable) -> tuple[float, float]:
    """(l1, l2): the penalty a Keras variable really carries into the loss (its regulariser as the
    layer attached it when it created the variable), read by evaluating that regulariser; (0, 0) for
    none. A regulariser set on a layer after it was built, or on a frozen layer, adds nothing to the
    loss: Keras applies a variable's own regulariser, to trainable variables only."""
    import keras

    reg = getattr(variable, "regularizer", None)
    if reg is None or not getattr(variable, "trainable", True):
        return 0.0, 0.0
    n = float(np.prod(variable.shape))
    try:
        ones = keras.ops.ones(variable.shape, dtype="float32")
        a, b = float(reg(ones)), float(reg(2.0 * ones))
    except Exception:  # noqa: BLE001 -- a regulariser of the student's own that cannot be evaluated
        return 0.0, 0.0
    # a = (l1 + l2) n, b = (2 l1 + 4 l2) n
    return max((4 * a - b) / (2 * n), 0.0), max((b - 2 * a) / (2 * n), 0.0)


_NOISE_LAYERS = ("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout")


def regularisation_signature(model) -> dict:
    """What a built model does to regularise, as plain data two builds can be compared on: the penalty
    each trainable weight carries (l1, l2), each activity regulariser, the rate of each dropout or
    noise layer, the kinds of layers in order, and the optimizer's kind and weight decay. Two builds
    of a configuration with and without an option that has the same signature ignored the option."""
    layers = _flat_layers(model)
    penalties = []
    for layer in layers:
        for weight in layer.trainable_weights:
            l1, l2 = penalty_strengths(weight)
            penalties.append((round(l1, 9), round(l2, 9)))
    activity = [type(layer.activity_regularizer).__name__ if getattr(layer, "activity_regularizer", None) else ""
                for layer in layers]
    noise = [(type(layer).__name__, round(float(getattr(layer, "rate", getattr(layer, "stddev", 0)) or 0), 9))
             for layer in layers if any(k in type(layer).__name__ for k in _NOISE_LAYERS)]
    opt = getattr(model, "optimizer", None)
    decay = getattr(opt, "weight_decay", None)
    return {"penalties": penalties, "activity": activity, "noise": noise,
            "layers": [type(layer).__name__ for layer in layers],
            "optimizer": (type(opt).__name__, round(float(decay or 0.0), 12))}


class BuildsArguments:
    """A stand-in for the student in :func:`coursekit.grading.agrees_with_reference` when the function
    takes an object that cannot be copied or compared (a Keras model): each case holds plain data
    (weight matrices, flags), and every call of the student's function gets a fresh object built from
    it by ``build``. The reference is then written on the plain data."""

    def __init__(self, student, build):
        self.student, self.build = student, build

    def call(self, name: str, *args, **kwargs):
        return self.student.call(name, self.build(*args, **kwargs))
