"""Exercise 5.2.3 -- Diagnose and fix: a deep sigmoid network that does not train.

Goal: measure, layer by layer, how much gradient reaches a deep churn network that does not
learn, then make the same network learn while keeping its sigmoid hidden layers.
Read first: README.md section 5 (the chain rule's product, the cures: batch normalisation and
residual connections) and section 7 (a custom callback), demo_chain_rule.py, demo_gradients.py

``given_network`` is the patient: 10 hidden Dense layers of 32 sigmoid units, initialised with
tiny random weights, compiled with Adam. Trained on churn, it ranks customers no better than a
coin. First write the instrument: ``gradient_norm_logger(X, y)`` returns a Keras callback with a
list attribute ``norms`` that gets one row at the end of every epoch: the L2 norm of the gradient
of the model's mean loss on (X, y), computed in inference mode, with respect to the kernel
(weight matrix) of every Dense layer, input side first. Then the cure, ``build_fixed``: the same
10 hidden layers of 32 units, each still followed by a sigmoid (say a downstream system needs
bounded activations), and whatever else you decide makes the gradient reach the first layers.

What the rubric does and measures (you do not write any of it):
- trains its own copy of the given network for 2 epochs with your logger on 512 training rows:
  one row per epoch, one norm per Dense layer (11), the last row equal to the rubric's own
  gradient norms (within 1%); then two of your loggers, given different hidden rows, watch a
  small network of another shape train for 3 epochs: every row of each must equal the rubric's;
- checks that your network keeps 10 hidden Dense layers of 32 units, each followed by a sigmoid,
  with no path from the input to the output around the first of them, one sigmoid output unit
  and binary cross-entropy;
- trains it with your optimizer for 5 epochs of batch 128 and measures the gradient norms
  itself: the first layer's norm must be >= 0.001 times the output layer's (the given network:
  1e-15 to 1e-11), and the test ROC AUC >= 0.8.

Run this file to see what the rubric measures; ``course check 5.2.3`` records the verdict and
``course hint 5.2.3`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np
import tensorflow as tf

DEPTH, WIDTH = 10, 32  # the architecture of the task


def given_network(n_features: int) -> keras.Model:
    """The network that does not train (compiled); the rubric builds its own copy."""
    tiny = keras.initializers.RandomNormal(stddev=0.01)
    layers = [keras.Input(shape=(n_features,))]
    layers += [keras.layers.Dense(WIDTH, activation="sigmoid", kernel_initializer=tiny) for _ in range(DEPTH)]
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def gradient_norm_logger(X: np.ndarray, y: np.ndarray) -> keras.callbacks.Callback:
    """A callback whose ``norms`` list gets, after every epoch, one norm per Dense kernel (input side first)."""
    # TODO: the gradient of the model's loss on (X, y) with respect to each kernel, as one row of norms.
    return _GradientNorms(X, y)


class _GradientNorms(keras.callbacks.Callback):
    def __init__(self, X, y):
        super().__init__()
        self.X = tf.constant(X)
        self.y = tf.reshape(tf.constant(y, dtype=tf.float32), (-1, 1))
        self.norms = []

    def on_epoch_end(self, epoch, logs=None):
        kernels = [layer.kernel for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        loss_fn = keras.losses.get(self.model.loss)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(self.y, self.model(self.X, training=False)))
        self.norms.append([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def build_fixed(n_features: int) -> keras.Model:
    """The compiled 10 x 32 sigmoid network, changed so that it trains."""
    # TODO: keep the depth, the width and the sigmoids; let the gradient reach the first layers.
    x = inputs = keras.Input(shape=(n_features,))
    x = keras.layers.Dense(WIDTH, activation="sigmoid")(x)
    for _ in range(DEPTH - 1):
        x = keras.layers.Add()([x, keras.layers.Dense(WIDTH, activation="sigmoid")(x)])
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
