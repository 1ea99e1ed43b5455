"""Rubric of lesson 5.1: MLPs for complex classification and regression.

Each ``grade_5_1_K`` holds that exercise's targets. Each target comes from the solution's
measured spread over seeds 0-4 (the comment above it gives the numbers) with a margin, and
the wrong answers at the bottom show that the rubric rejects them.
"""

from __future__ import annotations

import keras
import pytest

from rubric import Verdict, activation_name, exercise_params, model_layers


def _dense_layers(model):
    return [layer for layer in model_layers(model) if isinstance(layer, keras.layers.Dense)]


def _check_mlp(v: Verdict, model, name: str, widths: list[int], hidden_act: str, out_units: int, out_act: str):
    """Hidden Dense widths and activations, and the output layer, of one model."""
    if not v.check(f"{name} is a Keras model", isinstance(model, keras.Model), type(model).__name__,
                   "keras.Model", "return the compiled model from the build function"):
        return
    dense = _dense_layers(model)
    hidden, out = dense[:-1], dense[-1] if dense else None
    v.equal(f"{name} hidden widths", [layer.units for layer in hidden], widths,
            "use exactly the hidden Dense layers the docstring lists")
    v.check(f"{name} hidden activations", all(activation_name(layer) == hidden_act for layer in hidden),
            [activation_name(layer) for layer in hidden], f"all {hidden_act}", f"pass activation='{hidden_act}'")
    v.check(f"{name} output layer", out is not None and out.units == out_units and activation_name(out) == out_act,
            f"Dense({getattr(out, 'units', None)}, {activation_name(out) if out else None})",
            f"Dense({out_units}, {out_act})", "the output width and activation follow the task")


# --------------------------------------------------------------------------- 5.1.1


def grade_5_1_1(r) -> Verdict:
    v = Verdict("5.1.1")
    if not v.has_keys(r, ["test_auc_deep", "test_auc_wide", "deep_model", "wide_model", "params_deep", "params_wide"]):
        return v
    # Measured over seeds 0-4: deep 0.839-0.843, wide 0.842-0.845 (logistic regression 0.843);
    # a model that learned nothing scores 0.5, a sigmoid-hidden one trained as briefly about 0.83.
    v.at_least("test_auc_deep", r["test_auc_deep"], 0.825, "train with early stopping on val_auc and restore the best weights")
    v.at_least("test_auc_wide", r["test_auc_wide"], 0.825, "train with early stopping on val_auc and restore the best weights")
    _check_mlp(v, r["deep_model"], "deep", [128, 64, 32], "relu", 1, "sigmoid")
    _check_mlp(v, r["wide_model"], "wide", [100], "relu", 1, "sigmoid")
    # 40 inputs: deep 40*128+128 + 128*64+64 + 64*32+32 + 33 = 15,617; wide 40*100+100 + 101 = 4,201.
    v.equal("params_deep", r["params_deep"], 15617, "count_params() of Input(40)-128-64-32-1")
    v.equal("params_wide", r["params_wide"], 4201, "count_params() of Input(40)-100-1")
    return v


# --------------------------------------------------------------------------- 5.1.2


def grade_5_1_2(r) -> Verdict:
    v = Verdict("5.1.2")
    acts = ["relu", "tanh", "sigmoid"]
    if not v.has_keys(r, [f"{k}_{a}" for a in acts for k in ("test_auc", "val_loss_epoch1")] + [f"{a}_model" for a in acts]):
        return v
    # Measured over seeds 0-4: relu 0.838-0.845, tanh 0.837-0.845, sigmoid 0.834-0.838.
    for act in acts:
        v.at_least(f"test_auc_{act}", r[f"test_auc_{act}"], 0.825,
                   "keep the output Dense(1, sigmoid) and train with early stopping on val_auc")
        _check_mlp(v, r[f"{act}_model"], f"{act} model", [32, 16], act, 1, "sigmoid")
    # Measured over seeds 0-4: after one epoch relu 0.442-0.477 vs sigmoid 0.527-0.559 validation loss.
    v.check("relu learns faster than sigmoid (epoch-1 val loss)",
            r["val_loss_epoch1_relu"] < r["val_loss_epoch1_sigmoid"],
            f"relu {r['val_loss_epoch1_relu']:.4f} vs sigmoid {r['val_loss_epoch1_sigmoid']:.4f}",
            "relu below sigmoid", "the hidden layers must use the activation passed to build_model")
    return v


# --------------------------------------------------------------------------- 5.1.3


def grade_5_1_3(r) -> Verdict:
    import numpy as np

    v = Verdict("5.1.3")
    if not v.has_keys(r, ["test_accuracy", "test_macro_f1", "model", "X_test", "y_pred"]):
        return v
    # Measured over seeds 0-4: accuracy 0.964-0.972, macro F1 0.963-0.972; a linear output or
    # a regression on the label scores far lower.
    v.at_least("test_accuracy", r["test_accuracy"], 0.94, "softmax output, sparse categorical cross-entropy, early stopping")
    v.at_least("test_macro_f1", r["test_macro_f1"], 0.94, "every digit must be learned, not just the common ones")
    model = r["model"]
    out = _dense_layers(model)[-1] if _dense_layers(model) else None
    v.check("output layer", out is not None and out.units == 10 and activation_name(out) == "softmax",
            f"Dense({getattr(out, 'units', None)}, {activation_name(out) if out else None})", "Dense(10, softmax)",
            "one output unit per class, with a softmax")
    probs = np.asarray(model.predict(r["X_test"][:64], verbose=0))
    row_sums = probs.sum(axis=1) if probs.ndim == 2 else np.zeros(1)
    v.check("probabilities sum to 1", probs.ndim == 2 and np.allclose(row_sums, 1.0, atol=1e-4),
            f"row sums {row_sums.min():.3f}-{row_sums.max():.3f}", "1.000", "softmax makes each row a distribution")
    loss = model.loss if isinstance(model.loss, str) else getattr(model.loss, "name", type(model.loss).__name__)
    v.check("loss", "sparse_categorical_crossentropy" in str(loss).lower(), loss, "sparse_categorical_crossentropy",
            "the labels are integers 0-9, so use the sparse variant")
    agree = np.mean(np.asarray(r["y_pred"]) == np.argmax(np.asarray(model.predict(r["X_test"], verbose=0)), axis=1))
    v.at_least("predict_classes agrees with argmax", agree, 1.0, "take np.argmax of the probabilities along axis=1")
    return v


# --------------------------------------------------------------------------- 5.1.4


def grade_5_1_4(r) -> Verdict:
    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    v = Verdict("5.1.4")
    if not v.has_keys(r, ["test_rmse_dollars", "test_mae_dollars", "test_mse_dollars", "test_rmse_log", "model",
                          "y_true_dollars", "y_pred_dollars"]):
        return v
    # Measured over seeds 0-4: RMSE $20,351-22,599, MAE $13,677-14,897, log RMSE 0.120-0.124
    # (ridge on the same split: $20,972 and $14,245). A sigmoid or ReLU output, or no early stopping
    # on the validation loss, lands far above these.
    v.at_most("test_rmse_dollars", r["test_rmse_dollars"], 26000, "linear output, MSE loss on log prices, early stopping")
    v.at_most("test_mae_dollars", r["test_mae_dollars"], 17000, "linear output, MSE loss on log prices, early stopping")
    v.at_most("test_rmse_log", r["test_rmse_log"], 0.14, "the model learns log prices; compare on the log scale")
    model = r["model"]
    dense = _dense_layers(model)
    out = dense[-1] if dense else None
    v.check("output layer", out is not None and out.units == 1 and activation_name(out) == "linear",
            f"Dense({getattr(out, 'units', None)}, {activation_name(out) if out else None})", "Dense(1, linear)",
            "a regression output has no activation: any real value must be reachable")
    v.check("hidden activations", all(activation_name(layer) == "relu" for layer in dense[:-1]) and len(dense) == 3,
            [activation_name(layer) for layer in dense[:-1]], "relu, relu", "two hidden ReLU layers, 64 and 32")
    v.check("loss", str(model.loss).lower() in ("mse", "mean_squared_error") or "meansquarederror" in type(model.loss).__name__.lower(),
            model.loss, "mse", "regression on a continuous target: mean squared error")
    y_true, y_pred = np.asarray(r["y_true_dollars"]), np.asarray(r["y_pred_dollars"])
    mse, mae = mean_squared_error(y_true, y_pred), mean_absolute_error(y_true, y_pred)
    v.close("MSE equals scikit-learn's", r["test_mse_dollars"], mse, 1e-6 * mse, "mean of the squared errors")
    v.close("MAE equals scikit-learn's", r["test_mae_dollars"], mae, 1e-6 * mae, "mean of the absolute errors")
    v.close("RMSE is the root of MSE", r["test_rmse_dollars"], np.sqrt(mse), 1e-6 * np.sqrt(mse), "np.sqrt(mse)")
    return v


GRADERS = {"5.1.1": grade_5_1_1, "5.1.2": grade_5_1_2, "5.1.3": grade_5_1_3, "5.1.4": grade_5_1_4}


@pytest.mark.parametrize("ex_id", exercise_params(GRADERS))
def test_exercise(ex_id, exercise_run, record_verdict):
    record_verdict(GRADERS[ex_id](exercise_run(ex_id))).assert_passed()


# --------------------------------------------------------------------------- wrong answers


def test_rubric_rejects_wrong_5_1_1(wrong_run):
    """A 'deep' model that is one layer of 100 fails the architecture checks."""

    def wrong_deep(n_features):
        model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(100, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
        return model

    verdict = grade_5_1_1(wrong_run("5.1.1", build_deep=wrong_deep))
    assert not verdict.passed
    assert {"deep hidden widths", "params_deep"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_wrong_5_1_3(wrong_run):
    """Ten sigmoid outputs trained as ten independent yes/no questions: not a distribution over classes."""

    def wrong_build(n_features, n_classes):
        model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(n_classes, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"],
                      steps_per_execution=32)
        return model

    verdict = grade_5_1_3(wrong_run("5.1.3", build_model=wrong_build))
    assert {"output layer", "probabilities sum to 1"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_wrong_5_1_4(wrong_run):
    """RMSE computed without the square root, and MAE from squared errors: the metric checks catch both."""
    import numpy as np

    def wrong_errors(y_true, y_pred):
        err = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
        return {"mse": float(np.mean(err**2)), "mae": float(np.mean(err**2)), "rmse": float(np.mean(err**2))}

    verdict = grade_5_1_4(wrong_run("5.1.4", regression_errors=wrong_errors))
    assert {"MAE equals scikit-learn's", "RMSE is the root of MSE", "test_rmse_dollars"} <= set(verdict.failed_names()), verdict.report()
