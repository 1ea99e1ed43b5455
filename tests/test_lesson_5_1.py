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
    # Measured over seeds 0-4: deep 0.839-0.842, wide 0.842-0.843 (logistic regression 0.843);
    # a model that learned nothing scores 0.5, a sigmoid-hidden one trained as briefly about 0.83.
    v.at_least("test_auc_deep", r["test_auc_deep"], 0.825, "train with early stopping on val_auc and restore the best weights")
    v.at_least("test_auc_wide", r["test_auc_wide"], 0.825, "train with early stopping on val_auc and restore the best weights")
    _check_mlp(v, r["deep_model"], "deep", [128, 64, 32], "relu", 1, "sigmoid")
    _check_mlp(v, r["wide_model"], "wide", [100], "relu", 1, "sigmoid")
    # 40 inputs: deep 40*128+128 + 128*64+64 + 64*32+32 + 33 = 15,617; wide 40*100+100 + 101 = 4,201.
    v.equal("params_deep", r["params_deep"], 15617, "count_params() of Input(40)-128-64-32-1")
    v.equal("params_wide", r["params_wide"], 4201, "count_params() of Input(40)-100-1")
    return v


GRADERS = {"5.1.1": grade_5_1_1}


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
