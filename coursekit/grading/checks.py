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


def nonlinear_hidden(v: Verdict, name: str, model) -> bool:
    """Every hidden Dense layer is followed by a non-linearity: without one, stacked layers compose to a
    single linear map and the depth the exercise is about does nothing."""
    acts = hidden_nonlinearities(model)
    linear = [i + 1 for i, act in enumerate(acts) if act == "linear"]
    return v.check(f"{name} hidden non-linearities", bool(acts) and not linear,
                   f"hidden layers {linear} linear" if linear else (acts or "no hidden layer"),
                   "a non-linear activation on every hidden layer",
                   "a hidden Dense layer without an activation is linear, and linear layers in a row collapse into "
                   "one linear map: the network is a logistic (or linear) regression, however deep it looks. Give "
                   "every hidden layer an activation such as relu")


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


def rubric_cache(fn):
    """``functools.lru_cache`` for what the rubric computes once per process (prepared data with its
    test split, trained reference models, their test predictions), refused while student code runs:
    a graded file that finds the rubric's module in ``sys.modules`` cannot call it for what it
    cached. (The data package's loaders refuse the same way.)"""
    cached = functools.lru_cache(maxsize=None)(fn)
    what = f"{fn.__module__}.{fn.__qualname__}, the rubric's own results"

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        from data import guard

        guard.protect(what)
        return cached(*args, **kwargs)

    guarded.cache_clear = cached.cache_clear
    guarded.cache_info = cached.cache_info
    return guarded


def prepared(name: str):
    """A prepared data set ("churn", "housing" or "digits"), built once per process and shared by
    every lesson's rubric (the split and the preprocessing do not depend on the seed). It holds the
    test split: refused while student code runs, like the data package's loaders."""
    from data import guard

    guard.protect(f"prepared({name!r}), the rubric's data with its test split")
    return _prepared(name)


@rubric_cache
def _prepared(name: str):
    import data

    makers = {"churn": data.prepare_churn, "housing": data.prepare_housing, "digits": data.prepare_digits}
    out = makers[name]()
    for split in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        getattr(out, split).setflags(write=False)  # shared by every grading in the process: nothing may change it
    return out


class _Opaque:
    """What a student returned that is not plain data: equal to nothing (an object whose ``__eq__``
    always answers True is never asked)."""

    def __init__(self, value):
        self.text = f"a {type(value).__name__}"

    def __repr__(self) -> str:
        return self.text


def plain(value):
    """A value the student's code returned as plain data: NumPy scalars as Python numbers, arrays as
    NumPy arrays (copied), lists, tuples and dicts of plain data; anything else opaque."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.dtype != object:
        return np.array(value)
    if isinstance(value, (list, tuple)):
        return type(value)(plain(x) for x in value) if type(value) in (list, tuple) else [plain(x) for x in value]
    if isinstance(value, dict):
        return {k: plain(x) for k, x in value.items()}
    return _Opaque(value)


def same_plain(mine, want, tol: float = 1e-9) -> bool:
    """Whether plain data agrees with the reference's: numbers within ``tol`` (ints and floats alike),
    arrays of the same shape and kind (integers, floats, booleans) within ``tol``, the same keys."""
    mine, want = plain(mine), plain(want)
    if isinstance(want, np.ndarray):
        return (isinstance(mine, np.ndarray) and mine.shape == want.shape
                and (mine.dtype.kind == want.dtype.kind or {mine.dtype.kind, want.dtype.kind} <= {"i", "u"})
                and bool(np.allclose(mine.astype(float), want.astype(float), rtol=tol, atol=tol, equal_nan=True)))
    if isinstance(want, bool) or isinstance(want, str):
        return type(mine) is type(want) and mine == want
    if isinstance(want, (int, float)):
        return (isinstance(mine, (int, float)) and not isinstance(mine, bool)
                and (mine == want or abs(mine - want) <= tol * max(1.0, abs(want)) or (mine != mine and want != want)))
    if isinstance(want, dict):
        return isinstance(mine, dict) and mine.keys() == want.keys() and all(same_plain(mine[k], want[k], tol) for k in want)
    if isinstance(want, (list, tuple)):
        return (isinstance(mine, (list, tuple)) and len(mine) == len(want)
                and all(same_plain(a, b, tol) for a, b in zip(mine, want)))
    return False


def _show(value) -> str:
    value = plain(value)
    if isinstance(value, np.ndarray):
        body = np.array2string(value.ravel()[:6], precision=4, separator=", ")
        return f"{value.dtype.name} array of shape {value.shape} {body}{' ...' if value.size > 6 else ''}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def varied(case, **changes) -> list[tuple]:
    """Cases that differ from ``case`` (``(label, args, kwargs)``) in one keyword argument each: for
    ``varied(base, beta=[2.0, 0.5])``, the base case with ``beta=2.0``, then with ``beta=0.5``. Given
    to :func:`agrees_with_reference` after the base case, they test that every argument is honoured:
    an answer that stays the base case's when the reference's changes is shown as that argument
    ignored."""
    label, args, kwargs = case if len(case) == 3 else (*case, {})
    out = []
    for key, values in changes.items():
        for value in values:
            out.append((f"{label}, with {key}={_show(value)}", args, {**kwargs, key: value}, (label, key)))
    return out


def agrees_with_reference(v: Verdict, student, name: str, reference, cases, *, check: str, hint: str,
                          tol: float = 1e-9, same=None) -> bool:
    """One check: the student's function ``name`` gives the reference's answer on every hidden case
    (``(label, args)`` or ``(label, args, kwargs)``, or a case from :func:`varied`), each call on fresh
    copies of its arguments, then on the first case once more (an answer that depends on earlier calls
    -- a memo, a module-level dict, a class attribute -- differs there). Answers are compared as plain
    data (:func:`plain`), with the reference's shape and kind of number; the engine checks that no
    argument was changed in place. A varied case whose answer stays its base case's, where the
    reference's changed, is reported as the varied argument ignored."""
    import copy

    same = same or (lambda mine, want: same_plain(mine, want, tol))
    cases = [(*c, None) if len(c) == 3 else (*c, {}, None) if len(c) == 2 else c for c in cases]
    order = [*range(len(cases)), 0]
    earlier, answers = [], {}
    for step, i in enumerate(order):
        label, args, kwargs, varies = cases[i]
        want = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        mine = student.call(name, *copy.deepcopy(args), **copy.deepcopy(kwargs))
        if not same(mine, want):
            again = step == len(order) - 1
            base = answers.get(varies[0]) if varies else None
            ignored = base is not None and same(mine, base[1]) and not same(want, base[1])
            stale = not ignored and (again or any(same(mine, answer) for answer in earlier))
            measured = f"{_show(mine)} for {label}" + (" asked again after the other cases" if again else "")
            lead = ""
            if ignored:
                lead = (f"the answer stayed the one for {varies[0]} when only {varies[1]} changed: the argument "
                        f"{varies[1]} is ignored or overwritten inside the function (or the answer of an earlier call "
                        f"came back): every argument must be used as given; ")
            elif stale:
                lead = ("the answer of an earlier call came back: the same arguments must give the same answer "
                        "whatever was asked before, so keep no state between calls (no module-level dict, no class "
                        "attribute, no memo keyed on the shape); ")
            v.check(check, False, measured, _show(want), lead + hint)
            return False
        earlier.append(want)
        answers.setdefault(label, (mine, want))
    return v.check(check, True, f"{len(cases)} hidden cases, the first asked twice", "the reference's answers", "")


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
