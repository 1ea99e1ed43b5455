"""Exercise 5.3.5 -- Transfer learning with scarce data, compared fairly.

Goal: reuse a price network trained on plentiful Ames sales for eight neighbourhoods with only
100 labelled sales, in two ways (a frozen body, and fine-tuning), and find out whether either
beats training from scratch and beats the source network used as it is.
Read first: README.md sections 8 (the recipe and its baselines) and 9 (the Keras listing: a frozen
body, a new head), demo_transfer_learning.py

The source network (a Sequential of Dense(64, relu), Dense(32, relu) and a Dense(1) output,
compiled, predicting the log price) is trained by the rubric on the 1,098 training sales of the
other neighbourhoods. Your code, two functions that receive it and return a new compiled model
for the target neighbourhoods: ``frozen_transfer`` reuses its hidden layers frozen (only what
follows them trains), ``fine_tuning`` reuses it with every layer trainable. Your decisions: the
head, the optimizers and their learning rates. Leave the source network itself unchanged.

What the rubric does and measures (you do not write any of it):
- draws 100 target training sales and 50 target validation sales (validation no larger than the
  training set) 3 times; for each draw it calls your functions on its source network, trains
  each returned model with your optimizer (at most 100 epochs of batches of 32, early stopping on
  the validation loss with patience 10, best epoch restored) and scores the RMSE of the log price
  on the 217 target test houses. It trains the same architecture from scratch on each draw and
  scores the source network as it is;
- checks that both models start from the source network's hidden weights, that every path from
  the inputs to the output passes those transferred layers (no branch around them), that the frozen
  model's hidden weights are bit-for-bit unchanged by its training while something else trains,
  that fine-tuning changes every layer, and that the source network is left as it was;
- averaged over the 3 draws: the frozen model's RMSE must be >= 0.03 below from scratch; the
  fine-tuned model's must be >= 0.03 below from scratch and at most 0.003 above the source
  network's. It prints all four averages.

Run this file to see what the rubric measures; ``course check 5.3.5`` records the verdict and
``course hint 5.3.5`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras


def frozen_transfer(source_model: keras.Model) -> keras.Model:
    """A compiled model for the target task: the source network's hidden layers with their trained
    weights, frozen, and trainable layers after them."""
    # TODO: a copy of what is reused (not the source's own layers), frozen, and what trains after it.
    model = keras.models.clone_model(source_model)
    model.set_weights(source_model.get_weights())
    for layer in model.layers[:-1]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def fine_tuning(source_model: keras.Model) -> keras.Model:
    """A compiled model for the target task that starts as the source network and trains every layer."""
    # TODO: a copy of the source network, every layer trainable, an optimizer that keeps what it learned.
    model = keras.models.clone_model(source_model)
    model.set_weights(source_model.get_weights())
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    return model


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
