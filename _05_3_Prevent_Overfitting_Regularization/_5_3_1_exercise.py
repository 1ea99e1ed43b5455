"""Exercise 5.3.1 -- L1 as feature selection: real churn inputs vs pure noise.

Goal: put an L1 penalty on the first layer of a churn network so that it stops using inputs that
carry no signal, and write the rule that reads off which inputs a trained network still uses.
Read first: README.md sections 3 (L1) and 9 (the Keras listing), demo_l1_l2_geometry.py,
demo_regularisers.py

The rubric appends 20 columns of pure standard-normal noise to the 40 churn inputs and shuffles
the 60 columns (the same order in every split; you are not told which columns are noise). Your
decisions: the network, the strength of the L1 penalty on its first layer, the optimizer. Your
code: ``selected_inputs``, the rule that turns a trained network's first-layer weights into the
inputs it uses. An input's importance is the mean absolute weight of its row in the kernel of
the first Dense layer (the kernel has one row per input and one column per unit).

What the rubric does and measures (you do not write any of it):
- checks that the first layer is a Dense layer on the 60 inputs with an L1 penalty on its
  kernel that Keras really adds to the loss, that every path from the inputs to the output
  passes that layer, one sigmoid output unit and binary cross-entropy;
- trains your network (at most 60 epochs of batches of 256 rows, early stopping on the
  validation loss, best epoch restored) and measures each input's importance itself: the mean
  importance of the noise columns must be <= 0.2 times that of the 10 strongest real inputs, no
  noise column may rank among the 10 most important inputs, and the test ROC AUC must be >= 0.825;
- calls ``selected_inputs`` on 10 networks of its own whose first-layer weights it set (some
  inputs used, the others jittering near zero as Adam leaves them; weights on scales from 0.02 to
  30 times each other, every input used or a single one, ties, a layer before the first Dense
  one), each on a fresh network and the first once more at the end: exactly the used inputs must
  come back, as integer column indices. On your trained network it prints how many real and noise columns your rule keeps,
  and the test ROC AUC of a logistic regression on the kept columns alone.

Run this file to see what the rubric measures; ``course check 5.3.1`` records the verdict and
``course hint 5.3.1`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


def build_selector(n_features: int) -> keras.Model:
    """A compiled churn classifier whose first layer, a Dense layer on the ``n_features`` inputs,
    carries an L1 penalty on its kernel."""
    # TODO: a network with the L1 penalty where it can switch inputs off, strong enough to do so.
    raise NotImplementedError("build_selector: return the compiled network with an L1 penalty on its first layer")


def selected_inputs(model: keras.Model) -> np.ndarray:
    """The column indices of the inputs the trained ``model`` uses, read from the kernel of its
    first Dense layer."""
    # TODO: each input's importance, and a rule that separates the used inputs from the rest.
    raise NotImplementedError("selected_inputs: return the indices of the inputs the trained network uses")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
