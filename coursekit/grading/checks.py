"""Checks and helpers the graders share: what a Keras model is made of, the checks every lesson
makes of a model, the prepared data sets, and ``assert_fails`` for the graders' wrong-answer tests."""

from __future__ import annotations

import functools

import numpy as np

from .engine import Verdict

# --------------------------------------------------------------------------- helpers for Keras models


def model_layers(model) -> list:
    """Layers of a Keras model that hold computation (no InputLayer)."""
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def dense_layers(model) -> list:
    import keras

    return [layer for layer in model_layers(model) if isinstance(layer, keras.layers.Dense)]


def activation_name(layer) -> str | None:
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "__name__", type(act).__name__).lower()


def loss_name(model) -> str:
    """The compiled loss as a lower-case name without underscores ("binarycrossentropy", "mse", ...)."""
    loss = getattr(model, "loss", None)
    if loss is None:
        return "none"
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    name = name.lower().replace("_", "")
    aliases = {"meansquarederror": "mse", "meanabsoluteerror": "mae", "logcosh": "logcosh"}
    return aliases.get(name, name)


_NONLINEAR_LAYERS = ("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")


def hidden_nonlinearities(model) -> list[str]:
    """For each hidden Dense layer, the non-linearity applied to its output: its own activation, or
    an activation layer that follows it (``Dense(16)`` then ``LeakyReLU()``). "linear" if none."""
    import keras

    layers = model_layers(model)
    dense = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    names = []
    for i in dense[:-1]:
        act = activation_name(layers[i]) or "linear"
        j = i + 1
        while act == "linear" and j < len(layers) and not isinstance(layers[j], keras.layers.Dense):
            kind = type(layers[j]).__name__
            if kind in _NONLINEAR_LAYERS:
                act = activation_name(layers[j]) if kind == "Activation" else kind.lower()
            j += 1
        names.append(act or "linear")
    return names


# --------------------------------------------------------------------------- checks the lessons share


def is_model(v: Verdict, name: str, model) -> bool:
    """The check that a student's function returned a Keras model."""
    import keras

    return v.check(f"{name} is a Keras model", isinstance(model, keras.Model), type(model).__name__, "keras.Model",
                   "return the model object itself, compiled")


def is_compiled(v: Verdict, name: str, model) -> bool:
    """The check that a student's model was compiled with an optimizer and a loss."""
    ok = getattr(model, "optimizer", None) is not None and getattr(model, "loss", None) is not None
    return v.check(f"{name} is compiled", ok, "yes" if ok else "no optimizer or loss", "compiled with an optimizer and a loss",
                   "call model.compile(optimizer=..., loss=...) before returning the model")


def output_layer(v: Verdict, name: str, model, units: int, act: str, hint: str) -> bool:
    """The check that the model's last Dense layer has ``units`` units and the activation ``act``. For a
    sigmoid or softmax, the logits form is the same classifier and passes: no activation, and a loss
    compiled ``from_logits=True`` (the rubric's ``predict`` then turns its outputs into probabilities)."""
    from coursekit.training import outputs_logits

    dense = dense_layers(model)
    out = dense[-1] if dense else None
    seen = f"Dense({getattr(out, 'units', None)}, {activation_name(out) if out else None})"
    logits = act in ("sigmoid", "softmax") and out is not None and outputs_logits(model)
    if logits:
        seen += " with a loss from_logits=True"
    ok = out is not None and out.units == units and (activation_name(out) == act or logits)
    return v.check(f"{name} output layer", ok, seen, f"Dense({units}, {act}), or its logits form", hint)


def loss_is(v: Verdict, name: str, model, allowed: tuple[str, ...], expected: str, hint: str) -> bool:
    """The check that the compiled loss is one of ``allowed`` (names as :func:`loss_name` gives them)."""
    got = loss_name(model)
    return v.check(f"{name} loss", got in allowed, got, expected, hint)


def assert_fails(verdict: Verdict, check: str, *words: str) -> None:
    """For the rubric's wrong-answer tests: ``check`` failed, and its hint names the mistake (every word)."""
    failed = {c.name: c for c in verdict.failures}
    assert check in failed, f"{check!r} did not fail:\n{verdict.report()}"
    hint = failed[check].hint.lower()
    assert all(w in hint for w in words), f"the hint of {check!r} does not name the mistake: {hint}"


@functools.lru_cache(maxsize=None)
def prepared(name: str):
    """A prepared data set ("churn", "housing" or "digits"), built once per process and shared by
    every lesson's rubric (the split and the preprocessing do not depend on the seed)."""
    import data

    makers = {"churn": data.prepare_churn, "housing": data.prepare_housing, "digits": data.prepare_digits}
    out = makers[name]()
    for split in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        getattr(out, split).setflags(write=False)  # shared by every grading in the process: nothing may change it
    return out


def as_float(value) -> float:
    """A number the student's code returned, as a float; NaN for anything that is not one number."""
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return float("nan")


def train(model, X_train, y_train, X_val, y_val, *, seed, epochs, batch_size, patience=None):
    """The rubric's training protocol: the student's optimizer and loss, ``tf.data`` pipelines, early
    stopping on the validation loss (best epoch restored) when ``patience`` is given. Without early
    stopping nothing needs the validation rows during training (a fit without them takes about half
    the time)."""
    from coursekit.training import fast_compile, fast_fit

    fast_compile(model)
    if patience is None:
        X_val = y_val = None
    return fast_fit(model, X_train, y_train, X_val, y_val, epochs=epochs, batch_size=batch_size, patience=patience,
                    seed=seed)
