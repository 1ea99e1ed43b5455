"""Grader of exercise 5.2.7 (lesson 5.2, training networks): gradient checking.

The student writes ``numerical_gradient``, ``autodiff_gradient`` and ``relative_error``. The grader calls
them on hidden float64 functions (``_gradient_cases``: a quadratic, a sum of exponentials and a 40-4-1 tanh
network on 64 churn training rows) whose true gradients it knows, counts the loss evaluations, checks that
the weights are left unchanged, checks ``relative_error`` on hidden pairs (``_relative_error_cases``)
against its own (``_rel``, through ``agrees_with_reference``: named edge cases and random lists of arrays
from tiny to large scales, the first asked again), checks that the numerical gradient uses the ``eps`` it is
given (``_eps_cases``: a function whose central difference at any eps is known exactly), and finally has the student's check tell a correct backward pass from one that
forgets the 1/n (``_bce_backward_without_mean``).

Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_2_7.py`` show that the check aimed at
each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from coursekit.grading import agrees_with_reference, as_float, Exercise, prepared, Student


EX = Exercise("5.2.7", ("numerical_gradient", "autodiff_gradient", "relative_error"),
              targets={"log10 error of the numerical gradient": -8, "log10 relative error, correct loss": -7,
                       "relative error, broken backward pass": 0.5})
EPS_5_2_7 = 1e-6
GRAD_ROWS, GRAD_HIDDEN = 64, 4


def _rel(a, b) -> float:
    """The rubric's own relative error."""
    a = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in a])
    b = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in b])
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _bce(y, logits):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))


@tf.custom_gradient
def _bce_backward_without_mean(logits, y):
    """The right loss forward; a hand-written backward pass that forgets to divide by the number of rows."""
    def backward(upstream):
        return upstream * (tf.sigmoid(logits) - y), tf.zeros_like(y)

    return _bce(y, logits), backward


def _gradient_cases(seed: int) -> list[tuple]:
    """Hidden float64 functions: (name, loss_fn, variables, their true gradient as a function)."""
    rng = np.random.default_rng(5207 + seed)
    A = rng.normal(size=(5, 5))
    A = A @ A.T + np.eye(5)
    b, C = rng.normal(size=5), rng.normal(size=(2, 3))
    w, M = tf.Variable(rng.normal(size=5)), tf.Variable(rng.normal(size=(2, 3)))
    quadratic = ("a quadratic", lambda: 0.5 * tf.tensordot(w, tf.linalg.matvec(A, w), 1) + tf.reduce_sum(b * w)
                 + tf.reduce_sum(C * M**2), [w, M], lambda: [A @ w.numpy() + b, 2 * C * M.numpy()])
    s, u, c = rng.uniform(0.5, 2.0, size=(3, 4)), tf.Variable(rng.normal(size=(3, 4))), tf.Variable(np.float64(rng.normal()))
    exps = ("a sum of exponentials", lambda: tf.reduce_sum(tf.exp(s * u)) + tf.sin(c), [u, c],
            lambda: [s * np.exp(s * u.numpy()), np.cos(c.numpy())])
    return [quadratic, exps, _network(seed)]


def _network(seed: int):
    """A float64 40-4-1 tanh network on 64 churn training rows, with its correct loss and its tape gradient."""
    churn = prepared("churn")
    rng = np.random.default_rng(seed)
    X = tf.constant(churn.X_train[:GRAD_ROWS], tf.float64)
    y = tf.constant(churn.y_train[:GRAD_ROWS].reshape(-1, 1), tf.float64)
    n = churn.n_features
    variables = [tf.Variable(rng.normal(scale=np.sqrt(2 / (n + GRAD_HIDDEN)), size=(n, GRAD_HIDDEN))),
                 tf.Variable(rng.normal(scale=0.1, size=GRAD_HIDDEN)),
                 tf.Variable(rng.normal(scale=np.sqrt(2 / (GRAD_HIDDEN + 1)), size=(GRAD_HIDDEN, 1))),
                 tf.Variable(np.zeros(1))]
    W1, b1, W2, b2 = variables

    def logits():
        return tf.tanh(X @ W1 + b1) @ W2 + b2

    def tape():
        with tf.GradientTape() as t:
            loss = _bce(y, logits())
        return [g.numpy() for g in t.gradient(loss, variables)]

    network = ("a 40-4-1 network", lambda: _bce(y, logits()), variables, tape)
    return network + (lambda: _bce_backward_without_mean(logits(), y),)


def _counted(loss_fn):
    calls = [0]

    def counted():
        calls[0] += 1
        return loss_fn()

    return counted, calls


@EX.part("numerical gradient", points=5)
def _numerical(student: Student, ctx, v):
    shapes_ok, counts, moved, errors = True, [], [], []
    for name, loss_fn, variables, true_gradient, *_ in _gradient_cases(ctx.seed):
        before = [var.numpy().copy() for var in variables]
        counted, calls = _counted(loss_fn)
        grads = student.call("numerical_gradient", counted, list(variables), EPS_5_2_7)
        n = sum(b.size for b in before)
        counts.append((name, calls[0], n))
        moved += [name for b, var in zip(before, variables) if not np.array_equal(b, var.numpy())]
        for var, b in zip(variables, before):
            var.assign(b)  # the rubric's own true gradient is taken at the original weights
        try:
            got = [np.asarray(g, np.float64) for g in grads]
        except (TypeError, ValueError):
            got = []
        if len(got) != len(variables) or any(g.shape != b.shape for g, b in zip(got, before)):
            shapes_ok = False
            v.check("numerical gradient shapes", False, [g.shape for g in got] or type(grads).__name__,
                    f"{[b.shape for b in before]} for {name}", "return one NumPy array per variable, with its shape")
            break
        errors.append((name, _rel(got, true_gradient())))
    if shapes_ok:
        v.check("numerical gradient shapes", True, f"{len(counts)} functions", "one array per variable, its shape", "")
    wrong = [(name, c, n) for name, c, n in counts if c != 2 * n]
    v.check("loss evaluations per weight", not wrong,
            f"{wrong[0][1]} evaluations for {wrong[0][2]} weights of {wrong[0][0]}" if wrong else "2 per weight",
            "exactly 2 per weight", "central differences evaluate the loss twice per weight, at w + eps and at "
            "w - eps: no evaluation at w itself, none twice")
    v.check("weights unchanged", not moved, f"changed in {moved[0]}" if moved else "unchanged", "the original values",
            "put every entry back to its original value after its two evaluations: the next entry's differences "
            "must be taken at the original point, and the caller's weights must not move")
    if shapes_ok:
        name, worst = max(errors, key=lambda e: e[1])
        v.metric("numerical_gradient_error", worst)
        # Measured over seeds 0-4 with eps 1e-6, the worst of the three functions: central differences
        # 2.1e-10 to 8.4e-10 (log10 -9.7 to -9.1; 5e-11 on the quadratic); forward differences 3.6e-7 to 5.7e-7
        # (log10 -6.4 to -6.2; at least 1.7e-7 on every function).
        v.at_most("log10 error of the numerical gradient", math.log10(max(worst, 1e-300)),
                  EX.target("log10 error of the numerical gradient"),
                  f"on {name}: use central differences, (L(w + eps) - L(w - eps)) / (2 eps), accurate to order "
                  "eps^2; forward differences (L(w + eps) - L(w)) / eps are accurate to order eps only")
    _eps_honoured(student, ctx, v)


def _eps_cases(seed: int) -> list[tuple]:
    """A hidden float64 function whose central difference at any eps is known in closed form, and the
    epsilons to take it with: (eps, loss_fn, variables, the central difference at that eps)."""
    rng = np.random.default_rng(5270 + seed)
    s = rng.uniform(0.5, 2.0, size=(2, 3))
    u, c = tf.Variable(rng.normal(size=(2, 3))), tf.Variable(np.float64(rng.normal()))

    def loss_fn():
        return tf.reduce_sum(tf.exp(s * u)) + tf.sin(c)

    def central(eps):  # (L(w + eps) - L(w - eps)) / (2 eps), entry by entry, exactly
        return [np.exp(s * u.numpy()) * np.sinh(s * eps) / eps, np.cos(c.numpy()) * np.sin(eps) / eps]

    return [(eps, loss_fn, [u, c], central) for eps in (0.1, 0.02, 3e-4)]


def _eps_honoured(student, ctx, v):
    """The eps given is the one used: at a large eps the central difference differs from the true gradient
    by a known amount, which an eps fixed inside the function (or a forward difference) does not give."""
    for eps, loss_fn, variables, central in _eps_cases(ctx.seed):
        before = [var.numpy().copy() for var in variables]
        grads = student.call("numerical_gradient", loss_fn, list(variables), eps)
        for var, b in zip(variables, before):
            var.assign(b)
        try:
            err = _rel([np.asarray(g, np.float64) for g in grads], central(eps))
        except (TypeError, ValueError):
            err = math.inf
        if not err <= 1e-7:
            v.check("numerical gradient honours eps", False, f"relative difference {err:.3g} at eps={eps:g}",
                    "the central difference at that eps (within 1e-7)",
                    "take the differences with the eps you are given (the rubric varies it; an eps fixed inside the "
                    "function is ignored): (L(w + eps) - L(w - eps)) / (2 eps), moving one entry at a time")
            return
    v.check("numerical gradient honours eps", True, "3 epsilons", "the central difference at each eps", "")


@EX.part("autodiff gradient", points=1)
def _autodiff(student, ctx, v):
    for name, loss_fn, variables, true_gradient, *_ in _gradient_cases(ctx.seed):
        grads = student.call("autodiff_gradient", loss_fn, list(variables))
        try:
            err = _rel([np.asarray(g, np.float64) for g in grads], true_gradient())
        except (TypeError, ValueError):
            err = math.inf
        if not err <= 1e-12:
            v.check("autodiff gradient", False, f"relative error {err:.3g} on {name}", "<= 1e-12",
                    "record one evaluation of loss_fn() under tf.GradientTape and return the tape's gradient for "
                    "the variables, as NumPy arrays in the variables' order")
            return
    v.check("autodiff gradient", True, "3 functions", "the true gradients", "")


def _relative_error_cases():
    rng = np.random.default_rng(57)
    big = [rng.normal(scale=1e6, size=(4, 3)), rng.normal(scale=1e6, size=7)]
    named = [
        ("two vectors", [np.array([1.0, 2.0, 3.0])], [np.array([1.0, 2.0, 4.0])]),
        ("several arrays of different sizes", [rng.normal(size=(3, 2)), rng.normal(size=5) * 10],
         [rng.normal(size=(3, 2)), rng.normal(size=5)]),
        ("gradients of a large scale", big, [g * (1 + 1e-3 * rng.normal(size=g.shape)) for g in big]),
        ("gradients of a tiny scale", [rng.normal(scale=1e-9, size=6)], [rng.normal(scale=1e-9, size=6)]),
        ("gradients of a tinier scale", [rng.normal(scale=1e-13, size=(2, 2))], [rng.normal(scale=1e-13, size=(2, 2))]),
        ("one list all zeros", [np.zeros(3), np.zeros((2, 2))], [rng.normal(size=3), rng.normal(size=(2, 2))]),
        ("both all zeros", [np.zeros(4), np.zeros(1)], [np.zeros(4), np.zeros(1)]),
        ("equal lists", big, [g.copy() for g in big]),
        ("opposite gradients", [np.array([0.5, -2.0])], [np.array([-0.5, 2.0])]),
        ("a scalar and a matrix", [np.array(3.0), np.eye(2)], [np.array(-1.0), 2 * np.eye(2)]),
    ]
    for i in range(12):  # random lists: 1-4 arrays, scales from 1e-8 to 1e4, b near or far from a
        shapes = [tuple(rng.integers(1, 5, size=rng.integers(0, 3))) for _ in range(rng.integers(1, 5))]
        scale, near = 10.0 ** rng.uniform(-8, 4), rng.random() < 0.5
        a = [rng.normal(scale=scale, size=shape) for shape in shapes]
        b = [x * (1 + 1e-4 * rng.normal(size=x.shape)) if near else rng.normal(scale=scale, size=x.shape) for x in a]
        named.append((f"random lists {i + 1} ({len(shapes)} arrays, scale {scale:.1g})", a, b))
    return named


def _same_error(mine, want) -> bool:
    got = as_float(mine)
    return math.isfinite(got) and abs(got - want) <= 1e-9 * max(want, 1e-12) + 1e-15


@EX.part("relative error", points=2)
def _relative(student, ctx, v):
    cases = [(name, (a, b)) for name, a, b in _relative_error_cases()]
    agrees_with_reference(v, student, "relative_error", _rel, cases, check="relative_error", same=_same_error,
                          hint="divide ||a - b|| by ||a|| + ||b||, Euclidean norms over all entries of all arrays "
                               "together, so the error does not depend on the gradients' scale; 0 only when both "
                               "lists are all zeros (a small constant added to the denominator, or a larger guard, "
                               "changes the error of tiny gradients)")


@EX.part("checking a network's backward pass", points=2)
def _check_network(student, ctx, v):
    name, loss_fn, variables, tape, broken_loss = _network(ctx.seed)
    results = {}
    for kind, fn in (("correct", loss_fn), ("broken", broken_loss)):
        analytic = student.call("autodiff_gradient", fn, list(variables))
        numeric = student.call("numerical_gradient", fn, list(variables), EPS_5_2_7)
        results[kind] = as_float(student.call("relative_error", analytic, numeric))
        v.metric(f"rubric_relative_error_{kind}", _rel(analytic, numeric))
    # Measured over seeds 0-4 (reference): correct loss 2e-10 to 8e-10 (log10 about -9.3); the backward pass
    # without the 1/n is 64 times too large: (64 - 1) / (64 + 1) = 0.969 on every seed.
    v.at_most("log10 relative error, correct loss", math.log10(max(results["correct"], 1e-300)),
              EX.target("log10 relative error, correct loss"),
              "for a correct backward pass central differences in float64 agree with the tape to about 1e-9; "
              "check the numerical gradient and the relative error")
    v.at_least("relative error, broken backward pass", results["broken"],
               EX.target("relative error, broken backward pass"),
               "the numerical gradient must come from loss values only (never from the tape): only then does it "
               "disagree with a wrong hand-written backward pass")
