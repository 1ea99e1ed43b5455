"""Exercise 5.2.7 -- Gradient checking: central finite differences against tf.GradientTape.

Goal: write the check that catches a wrong backward pass: a numerical gradient from loss values
alone, the gradient of automatic differentiation, and the relative error between the two.
Read first: README.md section 5 (Gradient checking)

The functions. ``loss_fn()`` takes no argument and returns the loss, a scalar tensor, for the
current values of ``variables`` (float64 ``tf.Variable``s).
- ``numerical_gradient(loss_fn, variables, eps)``: for every entry of every variable, central
  differences: the loss with that entry raised by eps and with it lowered by eps, their difference
  divided by 2 eps. Two loss evaluations per entry, no more; every entry back at its original
  value afterwards. One NumPy array per variable, shaped like it.
- ``autodiff_gradient(loss_fn, variables)``: the same gradient by automatic differentiation, as
  NumPy arrays in the order of the variables.
- ``relative_error(a, b)``: for two lists of arrays with the same shapes, ||a - b|| / (||a|| + ||b||),
  Euclidean norms over all entries of all the arrays together; 0 when both are 0.

What the rubric does and measures (you do not write any of it):
- calls ``numerical_gradient`` with eps = 1e-6 on hidden float64 functions whose gradient it knows,
  and on a tiny network, counting the loss evaluations: two per weight, the weights unchanged, and
  the relative error to the true gradient below 1e-8 (log10 -8; forward differences, accurate to
  order eps only, measure a few 1e-7 here, central ones 1e-10 or less); then with three larger
  epsilons on another hidden function, where the answer must be the central difference at that
  eps (within 1e-7 relative);
- compares ``autodiff_gradient`` with the true gradients, and ``relative_error`` with the formula
  on 22 hidden pairs (small, tiny, large, several arrays, all zeros, random lists), the first
  asked again at the end;
- gradient-checks a float64 40-4-1 tanh network on 64 churn training rows with your three
  functions: the relative error must be below 1e-7 (log10 -7) for the correct loss, and above 0.5
  for a loss whose hand-written backward pass forgets the 1/n of the mean.

Run this file to see what the rubric measures; ``course check 5.2.7`` records the verdict and
``course hint 5.2.7`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np
import tensorflow as tf


def numerical_gradient(loss_fn, variables: list, eps: float) -> list:
    """Central finite differences of ``loss_fn()`` for every entry of every variable."""
    # TODO: nudge each entry down and up in turn, read the loss, and leave the variables as they were.
    raise NotImplementedError("numerical_gradient: return one array of central differences per variable")


def autodiff_gradient(loss_fn, variables: list) -> list:
    """The gradient of ``loss_fn()`` by reverse-mode automatic differentiation."""
    # TODO: let TensorFlow record one evaluation of the loss and differentiate it.
    raise NotImplementedError("autodiff_gradient: return the gradient of the loss for each variable")


def relative_error(a: list, b: list) -> float:
    """||a - b|| / (||a|| + ||b||) over all entries of two lists of arrays (0 when both are 0)."""
    # TODO: one norm over all the entries of each list, and the case where both are zero.
    raise NotImplementedError("relative_error: return the relative error of the two gradients as a float")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
