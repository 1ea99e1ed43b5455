"""Exercise 5.3.1 -- L2 regularization tames an over-sized MLP on scarce churn data.

Goal: see overfitting and cure it with an L2 penalty. A network of three hidden layers of 256
ReLU units (142,337 weights) is trained on only 400 churn customers for a fixed 30 epochs,
once without regularization and once with ``kernel_regularizer=keras.regularizers.L2(0.03)`` on
every hidden layer. The unregularized one memorises the 400 rows (training loss near 0) while its
validation loss climbs far above where it started; the penalty keeps the weights small.

Steps:
1. ``build_model(n_features, l2=0.0)``: Input -> 3 x Dense(256, relu) -> Dense(1, sigmoid).
   When ``l2 > 0`` every hidden Dense layer gets ``kernel_regularizer=keras.regularizers.L2(l2)``;
   when ``l2 == 0`` no regularizer at all. Return ``_compile(model)``.
2. ``run()`` (given) trains both models on the same 400 rows with the same seed and measures the
   binary cross-entropy WITHOUT the penalty (``_lesson53.bce``) on the training rows and on the
   validation split. The factor 0.03 was chosen on the validation split (demo_strength_sweep.py).

Targets the grader checks (seeds 0-4):
- the L2 model's validation loss is at least 0.5 below the unregularized model's
  (``val_loss_plain - val_loss_l2 >= 0.5``) and at most 0.5 in absolute terms;
- the regularized model has an L2 regularizer with a positive factor on each of its 3 hidden
  Dense layers; the plain model has none; hidden widths [256, 256, 256], one sigmoid output.

Hints: ``keras.regularizers.L2(0.03)`` adds 0.03 * sum(w**2) of that layer to the training loss.
Keras also adds the penalty to ``val_loss`` in the history -- that is why ``run()`` computes
the plain cross-entropy from predictions instead.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras

import data
from _lesson53 import compile_binary as _compile
from _lesson53 import train_variants

L2_FACTOR = 0.03
EPOCHS = 30  # fixed on purpose: no early stopping, so the penalty alone is what differs



def build_model(n_features: int, l2: float = 0.0) -> keras.Model:
    """Three hidden Dense(256, relu) layers, each with an L2 kernel penalty when l2 > 0; sigmoid output."""
    # TODO: reg = keras.regularizers.L2(l2) if l2 > 0 else None; a keras.Sequential of
    # keras.Input(shape=(n_features,)), three Dense(256, activation="relu", kernel_regularizer=reg)
    # and Dense(1, activation="sigmoid"); then return _compile(model).
    raise NotImplementedError(
        "build_model: stack Input -> 3 x Dense(256, relu, kernel_regularizer=L2(l2) if l2 > 0 else None) "
        "-> Dense(1, sigmoid), then return _compile(model)"
    )


def run(seed: int = 0) -> dict:
    """Train the over-sized model with and without L2 on 400 churn rows; return losses and models."""
    churn = data.prepare_churn()
    result = train_variants(
        lambda **kwargs: build_model(churn.n_features, **kwargs),
        {"plain": {"l2": 0.0}, "l2": {"l2": L2_FACTOR}}, churn, seed, EPOCHS,
    )
    result["val_loss_improvement"] = result["val_loss_plain"] - result["val_loss_l2"]
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("L2 on an over-sized MLP (400 churn rows)", run(args.seed), "5.3.1")
