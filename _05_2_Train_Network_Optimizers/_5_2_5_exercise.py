"""Exercise 5.2.5 -- Gradient checking: finite differences against tf.GradientTape.

Goal: verify automatic differentiation the way one verifies a hand-written backward pass:
nudge every weight up and down by a tiny ``eps``, read the change of the loss, and compare the
resulting numerical gradient with ``tf.GradientTape``'s. Do it on a tiny churn model in float64
(in float32 the rounding error of the loss would swamp a difference of ``eps``).

Steps:
1. ``numerical_gradient(loss_fn, variables, eps)``: central differences. For every entry ``i`` of
   every variable ``w``: set ``w[i] + eps``, evaluate ``loss_fn()``, set ``w[i] - eps``, evaluate,
   put ``w[i]`` back, and store ``(loss_plus - loss_minus) / (2 * eps)``. Return one NumPy array per
   variable, shaped like it.
2. ``autodiff_gradient(loss_fn, variables)``: the same gradients from ``tf.GradientTape``, as NumPy
   arrays.
3. ``relative_error(a, b)``: for two lists of arrays, ``||a - b|| / (||a|| + ||b||)`` over all
   entries together (0 when both are 0).
4. ``run()`` (given) builds a 40-4-1 float64 network, checks the gradient of its correct loss and
   of a loss whose hand-written backward pass has a bug (it forgets the 1/n of the mean).

Targets the grader checks (seeds 0-4):
- correct loss: relative error below 1e-7 (autodiff and central differences agree);
- broken backward pass: relative error above 0.5 (the check catches the bug);
- the numerical gradient evaluated the loss exactly twice per weight (169 weights -> 338 calls)
  and has the shapes of the variables; the weights are left unchanged.

Hints: ``w.assign(new_value)`` changes a variable; ``w.numpy()`` copies it; work on a flat copy
(``.ravel()``) and ``reshape`` back. Central differences have an error of order eps**2; eps = 1e-6
in float64 is a good choice.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
import tensorflow as tf

import data

N_ROWS = 64
HIDDEN = 4


def _build(n_features: int) -> keras.Model:
    """A tiny network computing in float64 (per layer, so no global Keras setting changes)."""
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,), dtype="float64"),
            keras.layers.Dense(HIDDEN, activation="tanh", dtype="float64"),
            keras.layers.Dense(1, dtype="float64"),  # a logit
        ]
    )


def _bce_from_logits(y, logits):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))


@tf.custom_gradient
def _buggy_bce_from_logits(logits, y):
    """The right loss going forward; a backward pass that forgets the 1/n of the mean."""
    loss = _bce_from_logits(y, logits)

    def grad(upstream):
        return upstream * (tf.sigmoid(logits) - y), tf.zeros_like(y)  # should be divided by n

    return loss, grad


def numerical_gradient(loss_fn, variables, eps: float = 1e-6) -> list:
    """Central finite differences of ``loss_fn()`` with respect to every entry of every variable."""
    # TODO: for each variable: original = var.numpy(); for each flat index i, assign the variable
    # with entry i raised by eps, read float(loss_fn()), then lowered by eps, read it again,
    # grad[i] = (plus - minus) / (2 * eps); finally var.assign(original). Return the list of arrays.
    raise NotImplementedError("numerical_gradient: central differences, (loss(w_i + eps) - loss(w_i - eps)) / (2 eps) for every weight, weights restored")


def autodiff_gradient(loss_fn, variables) -> list:
    """The gradient of ``loss_fn()`` by reverse-mode automatic differentiation."""
    # TODO: with tf.GradientTape() as tape: loss = loss_fn(); return [g.numpy() for g in tape.gradient(loss, variables)].
    raise NotImplementedError("autodiff_gradient: record loss_fn() under tf.GradientTape and return tape.gradient(...) as NumPy arrays")


def relative_error(a: list, b: list) -> float:
    """||a - b|| / (||a|| + ||b||) over all entries of two lists of arrays."""
    # TODO: flatten and concatenate each list, then return ||a - b|| / (||a|| + ||b||) (0.0 if both are 0).
    raise NotImplementedError("relative_error: np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)) over all entries")


def run(seed: int = 0) -> dict:
    """Gradient-check a tiny float64 churn model with a correct and a broken loss."""
    coursekit.set_seed(seed)
    churn = data.prepare_churn()
    X = tf.constant(churn.X_train[:N_ROWS], dtype=tf.float64)
    y = tf.constant(churn.y_train[:N_ROWS].reshape(-1, 1), dtype=tf.float64)
    model = _build(churn.n_features)
    variables = model.trainable_variables
    before = [v.numpy().copy() for v in variables]
    calls = {"n": 0}

    def loss_correct():
        calls["n"] += 1
        return _bce_from_logits(y, model(X))

    def loss_broken():
        return _buggy_bce_from_logits(model(X), y)

    numeric = numerical_gradient(loss_correct, variables)
    n_calls = calls["n"]
    result = {
        "n_weights": int(sum(np.size(b) for b in before)),
        "loss_evaluations": n_calls,
        "rel_error_correct": relative_error(autodiff_gradient(loss_correct, variables), numeric),
        "rel_error_broken": relative_error(autodiff_gradient(loss_broken, variables), numerical_gradient(loss_broken, variables)),
        "weights_unchanged": all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables)),
        "numeric_gradient": numeric,
        "variable_shapes": [tuple(v.shape) for v in variables],
        "model": model,
        "X": X,
        "y": y,
    }
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    result = run(args.seed)
    coursekit.print_metrics("Gradient checking a tiny float64 model", result, "5.2.5")
    print(f"relative error, correct loss: {result['rel_error_correct']:.2e}; "
          f"broken backward pass: {result['rel_error_broken']:.3f}")
