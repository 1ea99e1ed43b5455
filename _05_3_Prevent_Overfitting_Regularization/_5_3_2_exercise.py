"""Exercise 5.3.2 -- Dropout narrows the train/validation gap.

Goal: the same over-sized MLP as in 5.3.1 (3 x 256 ReLU units, 400 churn customers, a fixed
30 epochs), once plain and once with ``Dropout(0.5)`` after every hidden layer. During training
dropout silences a random half of the units at every step, so no unit can rely on a particular
partner ("a team that cannot lean on one member"); at inference it is switched off and the
network is deterministic again.

Steps:
1. ``build_model(n_features, rate=0.0)``: Input -> [Dense(256, relu) -> Dropout(rate)] x 3 ->
   Dense(1, sigmoid). With ``rate == 0`` leave the Dropout layers out. Return ``_compile(model)``.
2. ``run()`` (given) trains both models on the same rows and seed, then measures the binary
   cross-entropy in inference mode on the training rows and on the validation split; the gap is
   validation loss minus training loss. It also predicts the validation split twice (inference
   must be deterministic) and calls the model with ``training=True`` (dropout must act there).

Targets the grader checks (seeds 0-4):
- the dropout model's gap is at most 40% of the plain model's gap (``gap_ratio <= 0.4``), and its
  validation loss is lower than the plain model's;
- 3 Dropout layers with a rate in [0.2, 0.7] in the dropout model, none in the plain one;
- inference is deterministic (two predictions identical) and training mode is not (dropout acts).

Hints: ``keras.layers.Dropout(rate)`` goes AFTER the Dense layer whose outputs it drops. Keras
passes ``training=True`` to it inside ``fit`` and ``training=False`` inside ``predict``: never force
``training=True`` yourself.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np

import data
from _lesson53 import compile_binary as _compile
from _lesson53 import train_variants
from coursekit.training import predict

DROPOUT_RATE = 0.5
EPOCHS = 30



def build_model(n_features: int, rate: float = 0.0) -> keras.Model:
    """Three Dense(256, relu) layers, each followed by Dropout(rate) when rate > 0; sigmoid output."""
    # TODO: start a list with keras.Input(shape=(n_features,)); three times append
    # Dense(256, activation="relu") and, if rate > 0, Dropout(rate); append Dense(1, sigmoid);
    # return _compile(keras.Sequential(layers)).
    raise NotImplementedError(
        "build_model: Input -> [Dense(256, relu) -> Dropout(rate) if rate > 0] x 3 -> Dense(1, sigmoid), "
        "then return _compile(keras.Sequential(layers))"
    )


def run(seed: int = 0) -> dict:
    """Train the over-sized model with and without dropout; return losses, gaps and inference checks."""
    churn = data.prepare_churn()
    result = train_variants(
        lambda **kwargs: build_model(churn.n_features, **kwargs),
        {"plain": {"rate": 0.0}, "dropout": {"rate": DROPOUT_RATE}}, churn, seed, EPOCHS,
    )
    for name in ("plain", "dropout"):
        result[f"gap_{name}"] = result[f"val_loss_{name}"] - result[f"train_loss_{name}"]
    model = result["dropout_model"]
    first, second = predict(model, churn.X_val), predict(model, churn.X_val)
    result["inference_max_diff"] = float(np.max(np.abs(first - second)))
    train_mode = np.asarray(model(churn.X_val[:256], training=True)).ravel()
    result["training_mode_max_diff"] = float(np.max(np.abs(train_mode - first[:256])))
    result["gap_ratio"] = result["gap_dropout"] / result["gap_plain"]
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Dropout on an over-sized MLP (400 churn rows)", run(args.seed), "5.3.2")
