"""Rubric of lesson 5.1: MLPs for classification and regression (exercise engine v2).

The rubric owns the harness: it calls the student's functions, trains every network itself with
the optimizer and loss the student compiled (on ``tf.data`` pipelines, early stopping on the
validation loss), and scores the test split itself. The student's functions see training and
validation data only. Each target comes from the reference solution's spread over seeds 0-4 (the
comment above it gives the numbers) with a margin; the wrong answers at the bottom show that the
check aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, roc_auc_score

import coursekit
import data
from coursekit.training import fast_compile, fast_fit, predict
from rubric import (Exercise, Student, assert_fails, dense_layers, exercise_params, hidden_nonlinearities, is_compiled,
                    is_model, loss_is, output_layer, prepared)


def _churn():
    return prepared("churn")


def _digits():
    return prepared("digits")


def _housing():
    return prepared("housing")


# --------------------------------------------------------------------------- shared checks


def _train(model, X_train, y_train, X_val, y_val, *, seed, epochs, batch_size, patience):
    """The rubric's training protocol: the student's optimizer and loss, fast pipelines."""
    fast_compile(model)
    return fast_fit(model, X_train, y_train, X_val, y_val, epochs=epochs, batch_size=batch_size,
                    patience=patience, seed=seed)


def _train_or_fail(v, name, model, *args, **kwargs) -> bool:
    try:
        _train(model, *args, **kwargs)
        return True
    except Exception as exc:  # noqa: BLE001 -- a model that cannot train on the task fails the check
        text = " ".join(str(exc).split())[:160]
        return v.check(f"{name} trains", False, f"{type(exc).__name__}: {text}", "training runs",
                       "the output layer and the loss must match the targets' format")


def _mlp(n_features, hidden, out_units=1, out_act="sigmoid", act="relu", loss="binary_crossentropy", init="glorot_uniform"):
    layers = [keras.Input(shape=(n_features,))]
    layers += [keras.layers.Dense(w, activation=act, kernel_initializer=init) for w in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(out_units, activation=out_act)])
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


# --------------------------------------------------------------------------- 5.1.1 depth vs width


EX_5_1_1 = Exercise("5.1.1", ("count_params", "build_deep", "build_shallow"),
                    targets={"weights": 3_000, "test ROC AUC": 0.815, "epochs": 40})
# Networks the student has not seen: (inputs, hidden widths, outputs).
_COUNT_CASES = [(40, [64], 1), (13, [7, 5, 3], 2), (261, [32, 16], 1), (64, [], 10), (5, [1, 1, 1, 1], 3), (40, [128, 64, 32], 1)]


def _keras_count(n_inputs, hidden, n_outputs) -> int:
    layers = [keras.Input(shape=(n_inputs,))] + [keras.layers.Dense(w) for w in hidden] + [keras.layers.Dense(n_outputs)]
    return int(keras.Sequential(layers).count_params())


@EX_5_1_1.part("counting weights", points=3)
def _count(student: Student, ctx, v):
    for n_inputs, hidden, n_outputs in _COUNT_CASES:
        got = student.call("count_params", n_inputs, list(hidden), n_outputs)
        want = _keras_count(n_inputs, hidden, n_outputs)
        if got != want:
            v.check("count_params matches Keras", False, f"{got} for {n_inputs} inputs, hidden {hidden}, {n_outputs} outputs",
                    f"{want}", "every Dense layer has inputs x units weights plus one bias per unit; count the "
                    "output layer too")
            return
    v.check("count_params matches Keras", True, f"{len(_COUNT_CASES)} networks", "Keras's count_params()", "")


def _design(student, ctx, v, name: str, depth_ok, depth_text: str):
    churn = _churn()
    coursekit.set_seed(ctx.seed)
    model = student.call(f"build_{name}", churn.n_features)
    if not (is_model(v, name, model) and is_compiled(v, name, model)):
        return
    hidden = dense_layers(model)[:-1]
    v.check(f"{name} depth", depth_ok(len(hidden)), f"{len(hidden)} hidden Dense layers", depth_text,
            "count only the hidden layers: the output layer is not one of them")
    budget = EX_5_1_1.target("weights")
    v.at_most(f"{name} weights", model.count_params(), budget,
              f"the budget is {budget:,} weights per network: count them before you build")
    output_layer(v, name, model, 1, "sigmoid", "a yes/no target needs one unit that gives a probability")
    loss_is(v, name, model, ("binarycrossentropy",), "binary cross-entropy",
          "a probability of a yes/no event is trained with the log loss of the Bernoulli distribution, not a squared error")
    if not _train_or_fail(v, name, model, churn.X_train, churn.y_train, churn.X_val, churn.y_val,
                          seed=ctx.seed, epochs=EX_5_1_1.target("epochs"), batch_size=128, patience=6):
        return
    v.metric(f"val_auc_{name}", roc_auc_score(churn.y_val, predict(model, churn.X_val)))
    # Measured over seeds 0-4 (solution 32-32-16 and 64): deep 0.830-0.841, shallow 0.835-0.842;
    # logistic regression 0.843. A network that learned nothing scores 0.5.
    v.at_least(f"test_auc_{name}", roc_auc_score(churn.y_test, predict(model, churn.X_test)), EX_5_1_1.target("test ROC AUC"),
               "a churn network within the budget ranks customers about as well as logistic regression; check the "
               "output, the loss and the optimizer's learning rate")


@EX_5_1_1.part("deep network", points=3.5)
def _deep(student, ctx, v):
    _design(student, ctx, v, "deep", lambda n: n >= 3, ">= 3")


@EX_5_1_1.part("shallow network", points=3.5)
def _shallow(student, ctx, v):
    _design(student, ctx, v, "shallow", lambda n: n == 1, "== 1")
    if "val_auc_deep" in v.metrics and "val_auc_shallow" in v.metrics:
        v.metric("logistic_regression_test_auc", _logistic_regression_test_auc())


@functools.lru_cache(maxsize=None)
def _logistic_regression_test_auc() -> float:
    churn = _churn()
    model = LogisticRegression(max_iter=2000).fit(churn.X_train, churn.y_train)
    return roc_auc_score(churn.y_test, model.predict_proba(churn.X_test)[:, 1])


# --------------------------------------------------------------------------- 5.1.2 activations where they matter


DEPTH_5_1_2, WIDTH_5_1_2 = 12, 16
EX_5_1_2 = Exercise("5.1.2", ("build_deep_narrow",), targets={"epochs": 10, "test ROC AUC": 0.79})


def _fit_auc(model, seed) -> tuple[float, float]:
    churn = _churn()
    _train(model, churn.X_train, churn.y_train, churn.X_val, churn.y_val, seed=seed, epochs=EX_5_1_2.target("epochs"),
           batch_size=128, patience=None)
    return (roc_auc_score(churn.y_val, predict(model, churn.X_val)), roc_auc_score(churn.y_test, predict(model, churn.X_test)))


def sigmoid_baseline(n_features: int) -> keras.Model:
    """The network that does not train: 12 sigmoid layers of 16 units, Glorot initialisation."""
    return _mlp(n_features, [WIDTH_5_1_2] * DEPTH_5_1_2, act="sigmoid")


@functools.lru_cache(maxsize=None)
def _sigmoid_baseline_val_auc(seed: int) -> float:
    """The sigmoid network's validation AUC, trained once per seed and process (it does not depend on
    the student's work, so the solution and every wrong answer share it)."""
    coursekit.set_seed(seed)
    return _fit_auc(sigmoid_baseline(_churn().n_features), seed)[0]


@EX_5_1_2.part("the given architecture", points=3)
def _architecture(student, ctx, v):
    churn = _churn()
    coursekit.set_seed(ctx.seed)
    model = student.call("build_deep_narrow", churn.n_features)
    if not (is_model(v, "network", model) and is_compiled(v, "network", model)):
        return
    widths = [layer.units for layer in dense_layers(model)[:-1]]
    shown = f"{len(widths)} x {widths[0]}" if widths and len(set(widths)) == 1 else str(widths)
    v.check("hidden widths", widths == [WIDTH_5_1_2] * DEPTH_5_1_2, shown, f"{DEPTH_5_1_2} x {WIDTH_5_1_2}",
            f"keep the depth and width of the task ({DEPTH_5_1_2} hidden layers of {WIDTH_5_1_2} units): change how "
            "the layers compute, not how many there are")
    acts = hidden_nonlinearities(model)
    v.check("hidden layers are non-linear", acts and "linear" not in acts, sorted(set(acts)), "a non-linear activation in every hidden layer",
            "without a non-linearity the 12 layers collapse into one linear map: the depth is wasted")
    output_layer(v, "network", model, 1, "sigmoid", "the output gives a probability of churn: one sigmoid unit")
    loss_is(v, "network", model, ("binarycrossentropy",), "binary cross-entropy", "a yes/no target: binary cross-entropy")
    ctx["model"] = model


@EX_5_1_2.part("it trains", points=7)
def _trains(student, ctx, v):
    model = ctx.need("model")
    v.metric("sigmoid_baseline_val_auc", _sigmoid_baseline_val_auc(ctx.seed))
    coursekit.set_seed(ctx.seed)
    val, test = _fit_auc(model, ctx.seed)
    v.metric("val_auc", val)
    # Measured over seeds 0-4 in 10 epochs: the sigmoid baseline's validation AUC 0.50-0.57 (it does not
    # learn); the solution (ReLU, He initialisation) test 0.813-0.834; SELU with LeCun normal and tanh train too.
    v.at_least("test_auc", test, EX_5_1_2.target("test ROC AUC"),
               "sigmoid hidden layers pass back at most a quarter of the gradient each: through 12 of them almost "
               "nothing reaches the first layers. Choose an activation whose derivative does not shrink, and an "
               "initialisation made for it")


# --------------------------------------------------------------------------- 5.1.3 ten classes


EX_5_1_3 = Exercise("5.1.3", ("one_hot", "build_for_integer_labels", "build_for_one_hot_labels", "predict_classes"),
                    targets={"epochs": 100, "test accuracy": 0.94})


@EX_5_1_3.part("one-hot encoding", points=2)
def _one_hot(student, ctx, v):
    rng = np.random.default_rng(7)
    cases = [(np.array([0, 2, 1, 2]), 3), (rng.integers(0, 10, size=50), 10), (np.array([4]), 5), (np.array([0, 0, 1]), 4)]
    for labels, k in cases:
        got = np.asarray(student.call("one_hot", labels.copy(), k))
        want = np.eye(k, dtype=np.float32)[labels]
        if got.shape != want.shape or not np.allclose(got, want):
            v.check("one_hot", False, f"shape {got.shape} for labels {labels[:6].tolist()} with {k} classes",
                    f"shape {want.shape}, a single 1 per row at the label's index",
                    "row i has a 1 in column labels[i] and 0 elsewhere; the width is the number of classes, even when "
                    "the largest class is absent from the labels")
            return
    v.check("one_hot", True, f"{len(cases)} label arrays", "matches np.eye(k)[labels]", "")


def _digit_model(student, ctx, v, fn: str, labels: str, loss_ok, loss_text, loss_hint):
    digits = _digits()
    coursekit.set_seed(ctx.seed)
    model = student.call(fn, digits.n_features, 10)
    if not (is_model(v, labels, model) and is_compiled(v, labels, model)):
        return
    output_layer(v, labels, model, 10, "softmax", "one unit per class, with a softmax: the outputs form a probability distribution")
    loss_is(v, labels, model, loss_ok, loss_text, loss_hint)
    y_train, y_val = digits.y_train, digits.y_val
    if labels == "one-hot labels":
        y_train, y_val = (np.eye(10, dtype=np.float32)[y] for y in (y_train, y_val))
    if not _train_or_fail(v, labels, model, digits.X_train, y_train, digits.X_val, y_val, seed=ctx.seed,
                          epochs=EX_5_1_3.target("epochs"), batch_size=32, patience=10):
        return
    probs = predict(model, digits.X_test)
    sums = probs.sum(axis=1) if probs.ndim == 2 else np.zeros(1)
    v.check(f"{labels}: rows sum to 1", probs.ndim == 2 and np.allclose(sums, 1, atol=1e-4),
            f"{sums.min():.3f}-{sums.max():.3f}", "1.000", "a softmax output makes each row a distribution over the ten digits")
    y_pred = probs.argmax(axis=1) if probs.ndim == 2 else np.zeros(len(digits.y_test))
    # Measured over seeds 0-4 (solution: 64 ReLU units): accuracy 0.967-0.978 and macro F1 0.967-0.978 for
    # both label formats (the same seed gives the same network either way).
    v.at_least(f"test_accuracy ({labels})", accuracy_score(digits.y_test, y_pred), EX_5_1_3.target("test accuracy"),
               "a softmax over ten classes trained with the cross-entropy that matches the labels' format")
    v.metric(f"test_macro_f1 ({labels})", f1_score(digits.y_test, y_pred, average="macro"))


@EX_5_1_3.part("integer labels", points=3)
def _integer(student, ctx, v):
    _digit_model(student, ctx, v, "build_for_integer_labels", "integer labels", ("sparsecategoricalcrossentropy",),
                 "sparse categorical cross-entropy",
                 "labels 0-9 as integers need the sparse variant of categorical cross-entropy")


@EX_5_1_3.part("one-hot labels", points=3)
def _onehot_model(student, ctx, v):
    _digit_model(student, ctx, v, "build_for_one_hot_labels", "one-hot labels", ("categoricalcrossentropy",),
                 "categorical cross-entropy", "one-hot rows need categorical cross-entropy (the sparse variant expects integers)")


@EX_5_1_3.part("predicted classes", points=2)
def _classes(student, ctx, v):
    digits = _digits()
    coursekit.set_seed(1234)  # a fixed, untrained softmax model: its argmax is known without training
    probe = keras.Sequential([keras.Input(shape=(digits.n_features,)), keras.layers.Dense(10, activation="softmax")])
    X = digits.X_val[:200]
    got = np.asarray(student.call("predict_classes", probe, X.copy()))
    want = np.argmax(probe.predict(X, verbose=0), axis=1)
    ok = got.shape == want.shape and np.array_equal(got.astype(int), want)
    v.check("predict_classes", ok, f"shape {got.shape}, {np.mean(got == want) if got.shape == want.shape else 0:.2f} agree",
            f"shape {want.shape}, all agree with the argmax", "the class of a row is the index of its largest probability, "
            "taken along the class axis (one answer per row)")


# --------------------------------------------------------------------------- 5.1.4 regression


EX_5_1_4 = Exercise("5.1.4", ("regression_errors", "build_price_model"),
                    targets={"epochs": 200, "test RMSE in dollars": 25_000, "test RMSE in log price": 0.15})
RIDGE_ALPHAS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


@functools.lru_cache(maxsize=None)
def ridge_baseline() -> tuple[float, Ridge]:
    """Ridge regression with its alpha chosen on the validation split (the test split is not used)."""
    houses = _housing()
    scores = {a: mean_squared_error(houses.y_val, Ridge(alpha=a).fit(houses.X_train, houses.y_train).predict(houses.X_val))
              for a in RIDGE_ALPHAS}
    alpha = min(scores, key=scores.get)
    return alpha, Ridge(alpha=alpha).fit(houses.X_train, houses.y_train)


@EX_5_1_4.part("error metrics", points=3)
def _errors(student, ctx, v):
    rng = np.random.default_rng(11)
    cases = [(np.array([3.0]), np.array([1.0])), (np.array([1, 2, 3]), np.array([2, 2, 5])),
             (rng.normal(size=40), rng.normal(size=40)), (rng.uniform(5e4, 5e5, 30), rng.uniform(5e4, 5e5, 30))]
    for y_true, y_pred in cases:
        got = student.call("regression_errors", y_true.copy(), y_pred.copy())
        if not isinstance(got, dict) or not {"mse", "mae", "rmse"} <= set(got):
            v.check("regression_errors keys", False, sorted(got) if isinstance(got, dict) else type(got).__name__,
                    "a dict with mse, mae and rmse", "return the three errors in a dict under those keys")
            return
        mse, mae = mean_squared_error(y_true, y_pred), mean_absolute_error(y_true, y_pred)
        for key, want, hint in [("mse", mse, "the mean of the squared differences"),
                                ("mae", mae, "the mean of the absolute differences: errors of both signs count"),
                                ("rmse", np.sqrt(mse), "the square root of the MSE, back in the target's unit")]:
            try:
                value = float(got[key])
            except (TypeError, ValueError):
                value = float("nan")
            if not np.isclose(value, want, rtol=1e-6, atol=1e-9):
                v.check(f"regression_errors {key}", False, f"{value:.6g} for {len(y_true)} values", f"{want:.6g}", hint)
                return
    v.check("regression_errors", True, f"{len(cases)} cases", "scikit-learn's values", "")


@EX_5_1_4.part("price model", points=7)
def _price(student, ctx, v):
    houses = _housing()
    coursekit.set_seed(ctx.seed)
    model = student.call("build_price_model", houses.n_features, float(houses.y_train.mean()))
    if not (is_model(v, "price model", model) and is_compiled(v, "price model", model)):
        return
    output_layer(v, "price model", model, 1, "linear", "a regression output has no activation: any real value must be reachable")
    loss_is(v, "price model", model, ("mse", "mae", "huber", "logcosh"), "a regression loss (MSE, MAE, Huber)",
          "a continuous target is fitted with a regression loss; cross-entropies are for class probabilities")
    if not _train_or_fail(v, "price model", model, houses.X_train, houses.y_train, houses.X_val, houses.y_val,
                          seed=ctx.seed, epochs=EX_5_1_4.target("epochs"), batch_size=32, patience=10):
        return
    log_pred = predict(model, houses.X_test)
    dollars_true, dollars_pred = data.to_dollars(houses.y_test), data.to_dollars(log_pred)
    alpha, ridge = ridge_baseline()
    v.metric("ridge_alpha", alpha)
    v.metric("ridge_test_rmse_dollars", np.sqrt(mean_squared_error(dollars_true, data.to_dollars(ridge.predict(houses.X_test)))))
    # Measured over seeds 0-4 (solution: 32-16 ReLU with an L2 penalty of 1e-3): RMSE $20,367-21,627, MAE
    # $13,653-14,878, log RMSE 0.116-0.128 (ridge $20,972). A 64-32 network without a penalty: $25,576-29,728.
    v.at_most("test_rmse_dollars", np.sqrt(mean_squared_error(dollars_true, dollars_pred)), EX_5_1_4.target("test RMSE in dollars"),
              "1,755 houses and 261 inputs: a large network memorises the training sales. Watch the validation loss; "
              "a smaller network or a weight penalty generalises better. An output that starts at 0, far from the "
              "mean log price (about 12), has to be dragged there by the weights, which fights a penalty")
    v.at_most("test_rmse_log", np.sqrt(mean_squared_error(houses.y_test, log_pred)), EX_5_1_4.target("test RMSE in log price"),
              "the network learns log prices; its error on that scale is what the loss minimised")
    v.metric("test_mae_dollars", mean_absolute_error(dollars_true, dollars_pred))


EXERCISES = {e.ex_id: e for e in (EX_5_1_1, EX_5_1_2, EX_5_1_3, EX_5_1_4)}


@pytest.mark.parametrize("ex_id", exercise_params(EXERCISES))
def test_exercise(ex_id, graded):
    graded(EXERCISES[ex_id]).assert_passed()


# --------------------------------------------------------------------------- wrong answers
# Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.


def test_5_1_1_rejects_a_count_without_biases(reference, seed):
    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: sum(
        a * b for a, b in zip([n, *hidden], [*hidden, k])))
    assert_fails(EX_5_1_1.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "bias")


def test_5_1_1_rejects_a_count_without_the_output_layer(reference, seed):
    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: sum(
        a * b + b for a, b in zip([n, *hidden[:-1]], hidden)))
    assert_fails(EX_5_1_1.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "output layer")


def test_5_1_1_rejects_a_deep_network_over_budget_and_trained_with_mse(reference, seed):
    wrong = reference("5.1.1").replaced(build_deep=lambda n: _mlp(n, [128, 64, 32], loss="mse"))
    verdict = EX_5_1_1.grade(wrong, seed, only=["deep network"])
    assert_fails(verdict, "deep weights", "budget")
    assert_fails(verdict, "deep loss", "squared error")


def test_5_1_1_rejects_a_shallow_network_with_two_layers(reference, seed):
    wrong = reference("5.1.1").replaced(build_shallow=lambda n: _mlp(n, [32, 16]))
    assert_fails(EX_5_1_1.grade(wrong, seed, only=["shallow network"]), "shallow depth", "hidden layers")


def test_5_1_2_rejects_keeping_sigmoid(reference, seed):
    wrong = reference("5.1.2").replaced(build_deep_narrow=lambda n: sigmoid_baseline(n))
    assert_fails(EX_5_1_2.grade(wrong, seed), "test_auc", "sigmoid")


def test_5_1_2_rejects_linear_layers_and_a_shallower_network(reference, seed):
    linear = reference("5.1.2").replaced(build_deep_narrow=lambda n: _mlp(n, [16] * 12, act="linear"))
    assert_fails(EX_5_1_2.grade(linear, seed, only=["the given architecture"]), "hidden layers are non-linear", "linear")
    shallow = reference("5.1.2").replaced(build_deep_narrow=lambda n: _mlp(n, [64, 32], init="he_normal"))
    assert_fails(EX_5_1_2.grade(shallow, seed, only=["the given architecture"]), "hidden widths", "depth")


def test_5_1_3_rejects_an_off_by_one_one_hot_and_a_wrong_axis(reference, seed):
    ref = reference("5.1.3")
    narrow = ref.replaced(one_hot=lambda y, k: np.eye(int(np.max(y)) + 1, dtype=np.float32)[y])
    assert_fails(EX_5_1_3.grade(narrow, seed, only=["one-hot encoding"]), "one_hot", "number of classes")
    axis0 = ref.replaced(predict_classes=lambda model, X: np.argmax(model.predict(X, verbose=0), axis=0))
    assert_fails(EX_5_1_3.grade(axis0, seed, only=["predicted classes"]), "predict_classes", "class axis")


def test_5_1_3_rejects_sigmoid_outputs_and_a_loss_for_the_other_label_format(reference, seed):
    ref = reference("5.1.3")
    sigmoid = ref.replaced(build_for_integer_labels=lambda n, k: _mlp(n, [64], k, "sigmoid", loss="sparse_categorical_crossentropy"))
    assert_fails(EX_5_1_3.grade(sigmoid, seed, only=["integer labels"]), "integer labels output layer", "softmax")
    swapped = ref.replaced(build_for_one_hot_labels=lambda n, k: _mlp(n, [64], k, "softmax", loss="sparse_categorical_crossentropy"))
    verdict = EX_5_1_3.grade(swapped, seed, only=["one-hot labels"])
    assert_fails(verdict, "one-hot labels loss", "sparse")


def test_5_1_4_rejects_rmse_without_the_root_and_mae_without_abs(reference, seed):
    ref = reference("5.1.4")

    def no_root(y_true, y_pred):
        err = np.asarray(y_pred, float) - np.asarray(y_true, float)
        return {"mse": np.mean(err**2), "mae": np.mean(np.abs(err)), "rmse": np.mean(err**2)}

    def signed(y_true, y_pred):
        err = np.asarray(y_pred, float) - np.asarray(y_true, float)
        return {"mse": np.mean(err**2), "mae": abs(np.mean(err)), "rmse": np.sqrt(np.mean(err**2))}

    assert_fails(EX_5_1_4.grade(ref.replaced(regression_errors=no_root), seed, only=["error metrics"]), "regression_errors rmse", "square root")
    assert_fails(EX_5_1_4.grade(ref.replaced(regression_errors=signed), seed, only=["error metrics"]), "regression_errors mae", "both signs")


def test_5_1_4_rejects_a_sigmoid_output_and_an_overfitting_network(reference, seed):
    ref = reference("5.1.4")
    sigmoid = ref.replaced(build_price_model=lambda n, m: _mlp(n, [32, 16], 1, "sigmoid", loss="mse"))
    assert_fails(EX_5_1_4.grade(sigmoid, seed, only=["price model"]), "price model output layer", "no activation")

    def unpenalised(n, mean_target):  # measured over seeds 0-4: $25,576-31,734
        model = _mlp(n, [64, 32], 1, None, loss="mse")
        model.layers[-1].bias.assign([mean_target])
        return model

    assert_fails(EX_5_1_4.grade(ref.replaced(build_price_model=unpenalised), seed, only=["price model"]), "test_rmse_dollars", "memorises")
