"""Exercise 5.1.2 -- Activations where they matter: make a deep, narrow network train.

Goal: a churn classifier of 12 hidden layers of 16 units does not learn at all with sigmoid
hidden layers; make the same architecture learn by choosing how its layers compute.
Read first: README.md sections 2 (activations and the initialisation each needs) and 5 (the
Keras workflow); demo_activations.py

The architecture is fixed: 40 inputs, 12 hidden Dense layers of 16 units each, one output unit.
Your decisions: the hidden activation, the initialisation that goes with it, the output
activation, the loss and the optimizer you compile with.

What the rubric does and measures (you do not write any of it):
- builds your network and checks it keeps the architecture, that every hidden layer is
  non-linear, that every path from the input to the output runs through all 12 hidden layers
  (no shortcut around them), and its output layer and loss;
- trains the sigmoid version (12 sigmoid layers, Glorot initialisation) and yours the same way:
  10 epochs, batch 128, with the optimizer each was compiled with;
- scores both on the validation split and yours on the test split: test ROC AUC >= 0.79.

Run this file to see what the rubric measures; ``course check 5.1.2`` records the verdict and
``course hint 5.1.2`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras

DEPTH, WIDTH = 12, 16  # the architecture of the task


def build_deep_narrow(n_features: int) -> keras.Model:
    """The compiled 12 x 16 churn classifier, with hidden layers that let the gradient through."""
    # TODO: DEPTH hidden layers of WIDTH units and one output unit; your activation and initialiser.
    raise NotImplementedError("build_deep_narrow: return the compiled 12 x 16 network that trains, unlike the sigmoid one")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
