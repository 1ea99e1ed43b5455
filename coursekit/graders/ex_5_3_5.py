"""Grader of exercise 5.3.5: transfer learning with scarce data (``frozen_transfer``, ``fine_tuning``).

The grader owns the harness: it trains its own source network on the 1,098 sales of the other
neighbourhoods (once per seed and process) and hands the student's functions a fresh copy of it;
it checks that every path from the inputs to the output passes the transferred layers, trains the
student's model itself (:func:`coursekit.graders.lesson_5_3.train`: the optimizer and
loss the student compiled, ``tf.data`` pipelines, early stopping on the validation loss) on each of 3
hidden draws of 100 training and 50 validation sales of the target neighbourhoods, checks which
layers changed and that the source network was left as it was, and computes the RMSE of the log price
on the target test houses itself. The alternatives are trained in the same run: the source network
used as it is and the same architecture trained from scratch on each draw. Each target comes from the
reference solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the
wrong answers in ``tests/graders/test_ex_5_3_5.py`` show that the check aimed at each mistake fails and
that its hint names the mistake.
"""

from __future__ import annotations

import keras
import numpy as np

import coursekit
from coursekit.graders.lesson_5_3 import path_around, rmse
from coursekit.grading import Exercise, is_compiled, is_model, prepared, rubric_cache, Student, train
from coursekit.training import fast_compile, fast_fit, predict


EX = Exercise("5.3.5", ("frozen_transfer", "fine_tuning"),
              targets={"target training sales": 100, "target validation sales": 50, "draws": 3, "epochs": 100,
                       "batch": 32, "patience": 10, "margin over scratch": 0.03, "tolerance vs source": 0.003,
                       "source sales": 1098, "test houses": 217})
TARGET_NEIGHBORHOODS = ("Old_Town", "Edwards", "Somerset", "Northridge_Heights", "Crawford", "Mitchell", "Timberland",
                        "Stone_Brook")


@rubric_cache
def _transfer_split():
    """{part: (X, y)} for the source (other neighbourhoods) and the target neighbourhoods, per split."""
    houses = prepared("housing")
    out = {}
    for part in ("train", "val", "test"):
        X, y = getattr(houses, f"X_{part}"), getattr(houses, f"y_{part}")
        target = getattr(houses.frames, part)["Neighborhood"].isin(TARGET_NEIGHBORHOODS).to_numpy()
        out[f"source_{part}"], out[f"target_{part}"] = (X[~target], y[~target]), (X[target], y[target])
    return out


def _price_network(n_features: int, bias: float) -> keras.Model:
    """The architecture of the source network: Dense 64 and 32 (ReLU) and a linear output starting at ``bias``."""
    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(bias))])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


@rubric_cache
def _source_weights(seed: int) -> tuple:
    """The source network's trained weights (once per seed and process): 1,098 sales of the other neighbourhoods."""
    split = _transfer_split()
    (X, y), (X_val, y_val) = split["source_train"], split["source_val"]
    coursekit.set_seed(seed)
    model = _price_network(X.shape[1], float(y.mean()))
    train(model, X, y, X_val, y_val, seed=seed, epochs=150, batch_size=64, patience=10)
    return tuple(w.copy() for w in model.get_weights())


def _source_network(seed: int) -> keras.Model:
    """A fresh copy of the trained source network: what a student's function receives."""
    model = _price_network(prepared("housing").n_features, 0.0)
    model.set_weights(list(_source_weights(seed)))
    return model


@rubric_cache
def _draws(seed: int) -> tuple:
    """The scarce target data: ``draws`` samples of 100 training and 50 validation sales."""
    split = _transfer_split()
    (X, y), (X_val, y_val) = split["target_train"], split["target_val"]
    rng = np.random.default_rng(5305 + seed)
    out = []
    for _ in range(EX.target("draws")):
        i = rng.choice(len(X), EX.target("target training sales"), replace=False)
        j = rng.choice(len(X_val), EX.target("target validation sales"), replace=False)
        out.append((X[i], y[i], X_val[j], y_val[j]))
    return tuple(out)


def _target_fit(model, draw, seed):
    X, y, X_val, y_val = draw
    return train(model, X, y, X_val, y_val, seed=seed, epochs=EX.target("epochs"), batch_size=EX.target("batch"),
                 patience=EX.target("patience"))


def _target_rmse(model) -> float:
    X, y = _transfer_split()["target_test"]
    return rmse(predict(model, X), y)


@rubric_cache
def _baselines(seed: int) -> dict:
    """The comparisons, the rubric's own: the source network as it is, and the same architecture trained from
    scratch on each draw (mean RMSE of the log price on the target test houses)."""
    scratch, model = [], None
    for d, draw in enumerate(_draws(seed)):
        coursekit.set_seed(seed + d)
        fresh = _price_network(draw[0].shape[1], float(draw[1].mean()))
        if model is None:
            model = fresh
        else:  # one model for every draw, so its training step is traced once: a new initialisation, a reset Adam
            model.set_weights(fresh.get_weights())
            for var in model.optimizer.variables:
                if not var.path.endswith("learning_rate"):
                    var.assign(np.zeros(var.shape, dtype=var.dtype))
        X, y, X_val, y_val = draw
        if d == 0:
            fast_compile(model)
        fast_fit(model, X, y, X_val, y_val, epochs=EX.target("epochs"), batch_size=EX.target("batch"),
                 patience=EX.target("patience"), seed=seed + d)
        scratch.append(_target_rmse(model))
    return {"source network as it is": _target_rmse(_source_network(seed)), "from scratch": float(np.mean(scratch))}


def _flat_dense(model) -> list:
    """The Dense layers of a model, inside nested models too, in order."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _flat_dense(layer)
        elif isinstance(layer, keras.layers.Dense):
            out.append(layer)
    return out


def _reused(model, source_weights) -> bool:
    """Whether the model's first two Dense layers hold the source network's hidden weights."""
    dense = _flat_dense(model)
    if len(dense) < 3:
        return False
    mine = [np.asarray(w) for layer in dense[:2] for w in layer.get_weights()]
    return len(mine) == 4 and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(mine, source_weights[:4]))


def _transferred(model, source_weights) -> list:
    """The Dense layers of the model that hold one of the source network's trained hidden kernels."""
    return [layer for layer in _flat_dense(model)
            if any(np.shape(layer.kernel) == w.shape and np.array_equal(np.asarray(layer.kernel), w)
                   for w in source_weights[:4:2])]


def _transfer_runs(student, ctx, v, name: str) -> list[float] | None:
    """Train the student's model of each draw; the RMSEs, or None after the first draw that breaks a rule."""
    source_weights = _source_weights(ctx.seed)
    rmses = []
    for d, draw in enumerate(_draws(ctx.seed)):
        source = _source_network(ctx.seed)
        coursekit.set_seed(ctx.seed + d)
        model = student.call(name, source)
        if not (is_model(v, name, model) and is_compiled(v, name, model)):
            return None
        if not v.check(f"{name} starts from the source network's hidden weights", _reused(model, source_weights),
                       "yes" if _reused(model, source_weights) else "other weights", "the trained hidden layers",
                       "copy the source network's trained hidden layers, weights included (keras.models.clone_model "
                       "copies the architecture only; set_weights copies the weights)"):
            return None
        around = None
        for layer in _transferred(model, source_weights):
            if around is None:
                around = path_around(model, lambda other, layer=layer: other is layer)
        if not v.check(f"{name}: every path from the inputs passes the transferred layers", around is None,
                       " -> ".join(["input", *around, "output"]) if around else "yes", "no path around them",
                       "the inputs also reach the output by a path that skips the transferred hidden layers (a skip "
                       "connection, a second branch): the layers after them then learn from 100 sales on their own, "
                       "and what the source data taught counts for little. Feed the inputs through the transferred "
                       "layers only"):
            return None
        dense = _flat_dense(model)
        before = [[np.array(w) for w in layer.get_weights()] for layer in dense]
        _target_fit(model, draw, ctx.seed + d)
        changed = [any(not np.array_equal(a, np.asarray(b)) for a, b in zip(old, layer.get_weights()))
                   for old, layer in zip(before, dense)]
        untouched = all(np.array_equal(a, b) for a, b in zip(source.get_weights(), source_weights))
        if name == "frozen_transfer":
            ok = v.check("the frozen hidden layers are bit-for-bit unchanged by training", not any(changed[:2]),
                         f"changed: {changed[:2]}", "unchanged",
                         "freeze the reused hidden layers (layer.trainable = False) before you compile: a layer that "
                         "trains forgets what the source data taught it")
            ok = v.check("the layers after the frozen ones train", any(changed[2:]), f"changed: {changed[2:]}",
                         "at least one changed", "leave what follows the frozen layers trainable: it must learn the "
                         "target task") and ok
        else:
            ok = v.check("fine-tuning changes every layer", all(changed), f"changed: {changed}", "all changed",
                         "every layer must be trainable when the model is compiled: compile after setting trainable, "
                         "with a new optimizer")
        ok = v.check(f"{name} leaves the source network as it was", untouched, "unchanged" if untouched else "changed",
                     "unchanged", "work on a copy of the source network: layers shared with it change it when they "
                     "train (clone_model and set_weights make a copy)") and ok
        if not ok:
            return None
        rmses.append(_target_rmse(model))
    return rmses


@EX.part("frozen body", points=4)
def _frozen(student: Student, ctx, v):
    rmses = _transfer_runs(student, ctx, v, "frozen_transfer")
    if rmses is None:
        return
    base = _baselines(ctx.seed)
    for name, value in base.items():
        v.metric(f"{name}: mean test RMSE", value)
    v.metric("frozen body: mean test RMSE", float(np.mean(rmses)))
    # Measured over seeds 0-4 (3 draws each; solution: the source network's hidden layers frozen, its output layer
    # trained on): 0.188-0.202 against 0.266-0.304 from scratch (margin 0.079-0.103). A new output layer on the frozen
    # body (bias started at the source output's, Adam 1e-2): 0.208-0.276 (margin 0.015 on seed 1).
    v.at_least("from scratch - frozen body (mean test RMSE)", base["from scratch"] - float(np.mean(rmses)),
               EX.target("margin over scratch"),
               "the frozen body does not beat a network trained from scratch on 100 sales: reuse the source network's "
               "trained hidden layers, and think about what trains on them -- a new output layer learns from 100 sales "
               "alone (and one whose bias starts at 0 has to climb to log prices near 12), while the source network's "
               "own output layer already fits these houses")


@EX.part("fine-tuning", points=4)
def _fine_tuned(student, ctx, v):
    rmses = _transfer_runs(student, ctx, v, "fine_tuning")
    if rmses is None:
        return
    base = _baselines(ctx.seed)
    mean = float(np.mean(rmses))
    v.metric("fine-tuned: mean test RMSE", mean)
    v.metric("fine-tuned - source network as it is, mean test RMSE", mean - base["source network as it is"])
    # Measured over seeds 0-4 (3 draws each; solution: the whole source network at Adam 1e-4): 0.185-0.199 against
    # 0.266-0.304 from scratch.
    v.at_least("from scratch - fine-tuned (mean test RMSE)", base["from scratch"] - mean, EX.target("margin over scratch"),
               "fine-tuning does not beat training from scratch: start from the source network's trained weights")
    # Measured over seeds 0-4 (source network as it is 0.186-0.211): the solution 0.0013-0.0134 below it; the whole
    # network at Adam 1e-3 from 0.016 below to 0.004 above; a new output layer, every layer trained at Adam 1e-3,
    # 0.015-0.053 above.
    v.at_most("fine-tuned - source network as it is (mean test RMSE)", mean - base["source network as it is"],
              EX.target("tolerance vs source"),
              "fine-tuning on 100 sales makes the source network worse: a new output layer trained on 100 sales throws "
              "away what the source output layer learned from 1,098, and a learning rate as large as for training from "
              "scratch can carry the weights far from the source on 100 sales; start from the whole source network and "
              "move it gently")
