"""Grader of exercise 5.1.2: activations where they matter -- make a deep, narrow network train.

The grader owns the harness: it builds the student's network, checks that it keeps the given
architecture (12 hidden Dense layers of 16 units), that every hidden layer is non-linear, that no path
from the input to the output goes around a hidden layer (:func:`coursekit.graders.lesson_5_1.layers_gone_around`)
and that the output layer and loss fit a yes/no target (the logits form included); then it trains it itself for a fixed number of epochs with
the optimizer and loss the student compiled (:func:`coursekit.graders.lesson_5_1.train`, no early
stopping) and scores the test split itself. For comparison it trains the network that does not train
(:func:`sigmoid_baseline`, 12 sigmoid layers, Glorot initialisation) once per seed and process. The
student's functions see training and validation data only. The target comes from the reference
solution's spread over seeds 0-4 (the comment above it gives the numbers) with a margin; the wrong
answers in ``tests/graders/test_ex_5_1_2.py`` show that the check aimed at each mistake fails and
that its hint names the mistake.
"""

from __future__ import annotations

import keras
from sklearn.metrics import roc_auc_score

import coursekit
from coursekit.grading import (dense_layers, Exercise, is_compiled, is_model, loss_is, nonlinear_hidden, output_layer, prepared,
                               rubric_cache, train)
from coursekit.training import predict

from .lesson_5_1 import layers_gone_around, mlp

DEPTH_5_1_2, WIDTH_5_1_2 = 12, 16
EX = Exercise("5.1.2", ("build_deep_narrow",), targets={"epochs": 10, "test ROC AUC": 0.79})


def _fit_auc(model, seed) -> tuple[float, float]:
    churn = prepared("churn")
    train(model, churn.X_train, churn.y_train, churn.X_val, churn.y_val, seed=seed, epochs=EX.target("epochs"),
          batch_size=128, patience=None)
    return (roc_auc_score(churn.y_val, predict(model, churn.X_val)), roc_auc_score(churn.y_test, predict(model, churn.X_test)))


def sigmoid_baseline(n_features: int) -> keras.Model:
    """The network that does not train: 12 sigmoid layers of 16 units, Glorot initialisation."""
    return mlp(n_features, [WIDTH_5_1_2] * DEPTH_5_1_2, act="sigmoid")


@rubric_cache
def _sigmoid_baseline_val_auc(seed: int) -> float:
    """The sigmoid network's validation AUC, trained once per seed and process (it does not depend on
    the student's work, so the solution and every wrong answer share it)."""
    coursekit.set_seed(seed)
    return _fit_auc(sigmoid_baseline(prepared("churn").n_features), seed)[0]


@EX.part("the given architecture", points=3)
def _architecture(student, ctx, v):
    churn = prepared("churn")
    coursekit.set_seed(ctx.seed)
    model = student.call("build_deep_narrow", churn.n_features)
    if not (is_model(v, "network", model) and is_compiled(v, "network", model)):
        return
    widths = [layer.units for layer in dense_layers(model)[:-1]]
    shown = f"{len(widths)} x {widths[0]}" if widths and len(set(widths)) == 1 else str(widths)
    v.check("hidden widths", widths == [WIDTH_5_1_2] * DEPTH_5_1_2, shown, f"{DEPTH_5_1_2} x {WIDTH_5_1_2}",
            f"keep the depth and width of the task ({DEPTH_5_1_2} hidden layers of {WIDTH_5_1_2} units): change how "
            "the layers compute, not how many there are")
    nonlinear_hidden(v, "network", model)
    # Every path from the input to the output must run through all 12 hidden layers: a Concatenate or an
    # Add that brings the input (or an early layer) to the output lets a shallow path do the work.
    hidden = dense_layers(model)[:-1]
    around = layers_gone_around(model, churn.X_val[:256], hidden) if hidden else []
    v.check("no path around the hidden layers", not around,
            f"a path goes around hidden layers {around}" if around else "every path runs through all of them",
            f"every path from the input to the output through all {DEPTH_5_1_2} hidden layers",
            "a shortcut (a Concatenate or an Add that brings the input, or an early layer, to the output) lets a "
            "shallow path do the work, and the depth the task is about does nothing: keep one chain of layers "
            "from the input through every hidden layer to the output")
    output_layer(v, "network", model, 1, "sigmoid", "the output gives a probability of churn: one sigmoid unit")
    loss_is(v, "network", model, ("binarycrossentropy",), "binary cross-entropy", "a yes/no target: binary cross-entropy")
    ctx["model"] = model


@EX.part("it trains", points=7)
def _trains(student, ctx, v):
    model = ctx.need("model")
    v.metric("sigmoid_baseline_val_auc", _sigmoid_baseline_val_auc(ctx.seed))
    coursekit.set_seed(ctx.seed)
    val, test = _fit_auc(model, ctx.seed)
    v.metric("val_auc", val)
    # Measured over seeds 0-4 in 10 epochs: the sigmoid baseline's validation AUC 0.50-0.57 (it does not
    # learn); the solution (ReLU, He initialisation) test 0.813-0.834; SELU with LeCun normal and tanh train too.
    v.at_least("test_auc", test, EX.target("test ROC AUC"),
               "sigmoid hidden layers pass back at most a quarter of the gradient each: through 12 of them almost "
               "nothing reaches the first layers. Choose an activation whose derivative does not shrink, and an "
               "initialisation made for it")
