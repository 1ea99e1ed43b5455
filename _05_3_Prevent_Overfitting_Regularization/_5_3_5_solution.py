"""Exercise 5.3.5 -- Transfer learning with scarce data: Ames houses of other neighbourhoods.

Goal: only 100 sales are known in eight "target" neighbourhoods of Ames (Old Town, Edwards,
Somerset, Northridge Heights, Crawford, Mitchell, Timberland, Stone Brook: cheap to expensive).
About 1,100 sales of the other neighbourhoods are plentiful. Train a network on the plentiful
"source" houses, reuse its hidden layers (the "body") for the target, and compare it with the same
architecture trained from scratch on the same 100 target sales.

Steps:
1. ``build_body(n_features)`` (given): Input -> Dense(64, relu) -> Dense(32, relu), a Sequential
   named "body". ``run()`` trains body + Dense(1) head on the source houses (log prices).
2. ``transfer_model(body, n_features, bias)``: set ``body.trainable = False`` (freeze it), then
   return ``_compile(model, HEAD_LR)`` of Input -> body -> a NEW ``Dense(1)`` head whose bias starts at
   ``bias`` (``bias_initializer=keras.initializers.Constant(bias)``, the mean target log price).
3. ``unfreeze_for_fine_tuning(model, body)``: set ``body.trainable = True`` and re-compile the
   model with the small learning rate ``FINE_TUNE_LR`` (a change of ``trainable`` takes effect
   only after ``compile``). Return the model.
4. ``run()`` (given): phase 1 trains only the head on the 100 sales, phase 2 fine-tunes everything
   with the low learning rate; both with early stopping on the target validation houses. The
   from-scratch model gets the same data and early stopping. Each model is scored once on the
   target test houses (RMSE of log price; 0.1 is about a 10% error).

Targets the grader checks (seeds 0-4):
- transfer beats scratch: ``rmse_scratch - rmse_transfer >= 0.03`` on every seed, and
  ``rmse_transfer <= 0.24``;
- the body's weights did not move in phase 1 (``body_change_phase1 == 0``) and did move in
  phase 2 (``body_change_phase2 > 0``);
- the transferred model's body is the source model's trained body (its weights started equal).

Hints: ``layer.trainable = False`` on a Sequential freezes every layer inside it. The head's
starting bias matters: a Dense(1) starting at 0 needs hundreds of steps just to reach 12 (a log
price), which 100 examples do not give it.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np

import data
from _lesson53 import max_weight_change
from coursekit.training import fit_early_stopping, predict

TARGET_NEIGHBORHOODS = [
    "Old_Town", "Edwards", "Somerset", "Northridge_Heights", "Crawford", "Mitchell", "Timberland", "Stone_Brook",
]
N_SMALL = 100
SOURCE_LR = 1e-3  # source model and from-scratch model
HEAD_LR = 1e-2
FINE_TUNE_LR = 1e-4
SOURCE_EPOCHS = 150
TARGET_EPOCHS = 100
FINE_TUNE_EPOCHS = 20
PATIENCE = 10


def _compile(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", steps_per_execution=32)
    return model


def build_body(n_features: int) -> keras.Sequential:
    """The reusable hidden layers: Dense(64, relu) -> Dense(32, relu)."""
    return keras.Sequential(
        [keras.Input(shape=(n_features,)), keras.layers.Dense(64, activation="relu"),
         keras.layers.Dense(32, activation="relu")],
        name="body",
    )


def with_head(body: keras.Model, n_features: int, bias: float) -> keras.Model:
    """Input -> body -> Dense(1) whose bias starts at ``bias`` (uncompiled)."""
    head = keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(bias), name="head")
    return keras.Sequential([keras.Input(shape=(n_features,)), body, head])


def transfer_model(body: keras.Model, n_features: int, bias: float) -> keras.Model:
    """Freeze ``body`` and put a new Dense(1) head on it; compiled with HEAD_LR."""
    body.trainable = False
    return _compile(with_head(body, n_features, bias), HEAD_LR)


def unfreeze_for_fine_tuning(model: keras.Model, body: keras.Model) -> keras.Model:
    """Unfreeze ``body`` and re-compile ``model`` with the low FINE_TUNE_LR."""
    body.trainable = True
    return _compile(model, FINE_TUNE_LR)


def _split(housing):
    """(source train, source val, target train pool, target val, target test) as (X, y) pairs."""
    parts = {}
    for part in ("train", "val", "test"):
        X, y = getattr(housing, f"X_{part}"), getattr(housing, f"y_{part}")
        is_target = getattr(housing.frames, part)["Neighborhood"].isin(TARGET_NEIGHBORHOODS).to_numpy()
        parts[f"source_{part}"] = (X[~is_target], y[~is_target])
        parts[f"target_{part}"] = (X[is_target], y[is_target])
    return parts


def _rmse(model, X, y) -> float:
    return float(np.sqrt(np.mean((predict(model, X) - y) ** 2)))


def run(seed: int = 0) -> dict:
    """Source model, then scratch vs transfer (head, then fine-tune) on 100 target sales."""
    housing = data.prepare_housing()
    parts = _split(housing)
    n = housing.n_features
    (Xs, ys), (Xsv, ysv) = parts["source_train"], parts["source_val"]
    (Xt_pool, yt_pool), (Xtv, ytv), (Xtt, ytt) = parts["target_train"], parts["target_val"], parts["target_test"]
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(Xt_pool), size=N_SMALL, replace=False)
    X_small, y_small = Xt_pool[idx], yt_pool[idx]

    # Fail fast: try the two transfer functions on an untrained body before the long training.
    probe_body = build_body(n)
    unfreeze_for_fine_tuning(transfer_model(probe_body, n, 0.0), probe_body)

    # The source task: plentiful houses of the other neighbourhoods.
    coursekit.set_seed(seed)
    source_body = build_body(n)
    source = _compile(with_head(source_body, n, float(ys.mean())), SOURCE_LR)
    fit_early_stopping(source, Xs, ys, Xsv, ysv, patience=PATIENCE, batch_size=128, epochs=SOURCE_EPOCHS)

    # From scratch on the 100 target sales.
    coursekit.set_seed(seed)
    scratch = _compile(with_head(build_body(n), n, float(y_small.mean())), SOURCE_LR)
    fit_early_stopping(scratch, X_small, y_small, Xtv, ytv, patience=PATIENCE, batch_size=32, epochs=TARGET_EPOCHS)

    # Transfer: a copy of the trained body, frozen, with a new head.
    coursekit.set_seed(seed)
    body = keras.models.clone_model(source_body)
    body.set_weights(source_body.get_weights())
    start = [w.copy() for w in body.get_weights()]
    model = transfer_model(body, n, float(y_small.mean()))
    fit_early_stopping(model, X_small, y_small, Xtv, ytv, patience=PATIENCE, batch_size=32, epochs=TARGET_EPOCHS)
    after_phase1 = [w.copy() for w in body.get_weights()]
    rmse_head_only = _rmse(model, Xtt, ytt)

    model = unfreeze_for_fine_tuning(model, body)
    fit_early_stopping(model, X_small, y_small, Xtv, ytv, patience=5, batch_size=32, epochs=FINE_TUNE_EPOCHS)

    rmse_scratch, rmse_transfer = _rmse(scratch, Xtt, ytt), _rmse(model, Xtt, ytt)
    return {
        "rmse_scratch": rmse_scratch,
        "rmse_head_only": rmse_head_only,
        "rmse_transfer": rmse_transfer,
        "improvement": rmse_scratch - rmse_transfer,
        "body_start_diff": max_weight_change(source_body.get_weights(), start),
        "body_change_phase1": max_weight_change(start, after_phase1),
        "body_change_phase2": max_weight_change(after_phase1, body.get_weights()),
        "n_small": len(X_small),
        "n_source": len(Xs),
        "n_target_test": len(Xtt),
        "model": model,
        "scratch_model": scratch,
    }


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Transfer learning on Ames: 100 target sales", run(args.seed), "5.3.5")
