"""Wrong answers to exercise 5.5.5 (persistence): each must fail the check aimed at it, and that
check's hint must name the mistake.

The wrong builders are top-level functions of this file: the fresh process of the grader imports
them from here (``catalog.TESTS``) to rebuild a model for a weights file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np

import data
from coursekit.graders.ex_5_5_5 import EX, GROUP_HINTS
from coursekit.grading import assert_fails
from data import churn as schema


def _prepared_columns_model(train_frame):
    """Preprocessing outside the model: it takes the 40 prepared columns (the scikit-learn preprocessor's)."""
    model = keras.Sequential([keras.Input(shape=(40,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _raw_model_with(train_frame, *, scale=None, lam=False, order=None):
    """A raw-record model like the solution's, with one thing changed: how the numbers are scaled
    (None: adapted on train_frame; "none"; "unadapted"; or (mean, variance) constants), a Lambda layer, or the order
    in which the categorical columns are encoded."""
    inputs = {c: keras.Input(shape=(1,), name=c, dtype="float32") for c in schema.NUMERIC + schema.BINARY}
    inputs |= {c: keras.Input(shape=(1,), name=c, dtype="string") for c in schema.CATEGORICAL}
    numbers = keras.layers.Concatenate()([inputs[c] for c in schema.NUMERIC])
    if lam:
        numbers = keras.layers.Lambda(lambda t: keras.ops.log1p(t))(numbers)
    if scale is None:
        norm = keras.layers.Normalization()
        norm.adapt(train_frame[schema.NUMERIC].to_numpy(np.float32))
        numbers = norm(numbers)
    elif scale == "unadapted":
        numbers = keras.layers.Normalization()(numbers)  # adapt() never called
    elif scale != "none":
        numbers = keras.layers.Normalization(mean=scale[0], variance=scale[1])(numbers)
    columns = order(schema.CATEGORICAL) if order else schema.CATEGORICAL
    features = [numbers] + [inputs[c] for c in schema.BINARY]
    features += [keras.layers.StringLookup(vocabulary=schema.LEVELS[c], output_mode="one_hot")(inputs[c]) for c in columns]
    x = keras.layers.Dense(32, activation="relu")(keras.layers.Concatenate()(features))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    return model


def _hash_ordered_model(train_frame):
    """Categorical columns encoded in the order of their hashes: the same in one process, another in the next."""
    return _raw_model_with(train_frame, order=lambda cols: sorted(cols, key=hash))


def test_5_5_5_rejects_preprocessing_outside_the_model_and_a_lambda_layer(reference, seed):
    ref = reference("5.5.5")
    outside = EX.grade(ref.replaced(build_raw_model=_prepared_columns_model), seed, only=["a model of raw records"])
    assert_fails(outside, "inputs are the raw columns", "inside the model", "preprocessor")
    lam = ref.replaced(build_raw_model=lambda train_frame: _raw_model_with(train_frame, lam=True))
    assert_fails(EX.grade(lam, seed, only=["a model of raw records"]), "reloads with safe_mode=True", "lambda")


def test_5_5_5_rejects_scaling_not_learnt_from_the_training_records(reference, seed):
    everyone = data.load_churn()[schema.NUMERIC].to_numpy(np.float64)  # all 7,043 customers, test rows included
    typed_in = (everyone.mean(axis=0).tolist(), everyone.var(axis=0).tolist())
    ref = reference("5.5.5")
    for scale in (typed_in, "unadapted", "none"):
        wrong = ref.replaced(build_raw_model=lambda train_frame, scale=scale: _raw_model_with(train_frame, scale=scale))
        verdict = EX.grade(wrong, seed, only=["scaling learnt from the training records"])
        assert_fails(verdict, "scaling learnt from train_frame", "typed in", "train_frame")


_ADAPTED = {}


def _scaling_kept_from_the_first_call(train_frame):
    """State between calls: the statistics of the first records it was given, kept for every later model."""
    if "stats" not in _ADAPTED:
        numbers = train_frame[schema.NUMERIC].to_numpy(np.float64)
        _ADAPTED["stats"] = (numbers.mean(axis=0).tolist(), numbers.var(axis=0).tolist())
    return _raw_model_with(train_frame, scale=_ADAPTED["stats"])


def test_5_5_5_rejects_a_scaling_kept_from_an_earlier_call(reference, seed):
    _ADAPTED.clear()
    wrong = reference("5.5.5").replaced(build_raw_model=_scaling_kept_from_the_first_call)
    verdict = EX.grade(wrong, seed, only=["scaling learnt from the training records"])
    assert_fails(verdict, "scaling learnt from train_frame", "earlier call")


def test_5_5_5_rejects_a_save_that_copies_the_keras_file(reference, seed):
    def copies(model, folder):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        model.save(folder / "churn.keras")
        shutil.copy(folder / "churn.keras", folder / "churn.weights.h5")
        shutil.copy(folder / "churn.keras", folder / "churn_savedmodel")
        return {"keras": folder / "churn.keras", "savedmodel": folder / "churn_savedmodel",
                "weights": folder / "churn.weights.h5"}

    verdict = EX.grade(reference("5.5.5").replaced(save_artifacts=copies), seed, only=["saved three ways"])
    assert_fails(verdict, "SavedModel artifact", "not a copy")
    assert_fails(verdict, ".weights.h5 artifact", "model.save_weights")
    assert ".keras artifact" not in verdict.failed_names(), verdict.report()


def test_5_5_5_rejects_a_loader_that_lets_keras_errors_through_or_says_one_thing(reference, seed):
    def naive(path, model=None):
        path = str(path)
        if path.endswith(".weights.h5"):
            model.load_weights(path)
            return model
        if path.endswith(".keras"):
            return keras.models.load_model(path)
        return keras.layers.TFSMLayer(path, call_endpoint="serve")

    ref = reference("5.5.5")
    verdict = EX.grade(ref.replaced(load_artifact=naive), seed, only=["load_artifact"])
    assert "load_artifact reloads sound artifacts" not in verdict.failed_names(), verdict.report()
    for group in GROUP_HINTS:
        assert_fails(verdict, f"load_artifact: {group} problems", "artifacterror")
    assert_fails(verdict, "load_artifact says what is wrong", "does not exist")

    right, error = ref.module.load_artifact, ref.module.ArtifactError

    def one_message(path, model=None):
        try:
            return right(path, model)
        except error:
            raise error(f"cannot load the model {path}") from None

    verdict = EX.grade(ref.replaced(load_artifact=one_message), seed, only=["load_artifact"])
    assert_fails(verdict, "load_artifact says what is wrong", "not only that loading failed")
    assert all(f"load_artifact: {group} problems" not in verdict.failed_names() for group in GROUP_HINTS), verdict.report()


def test_5_5_5_rejects_an_architecture_that_depends_on_the_process(reference, seed):
    """Only a new process shows it: the weights load, in another order of the layers, and predict otherwise."""
    verdict = EX.grade(reference("5.5.5").replaced(build_raw_model=_hash_ordered_model), seed,
                       only=["reloaded in a fresh process"])
    assert_fails(verdict, ".weights.h5 reloaded in a fresh process", "same order", "set")
    assert not {".keras reloaded in a fresh process", "SavedModel reloaded in a fresh process"} & set(verdict.failed_names()), (
        verdict.report())


def test_5_5_5_rejects_the_serving_command_s_model_as_the_answer(reference, seed):
    import _lesson55

    verdict = EX.grade(reference("5.5.5").replaced(build_raw_model=_lesson55.build_raw_churn_model), seed)
    assert verdict.status == "uses the solution", verdict.report()
    assert "build_raw_churn_model" in verdict.message


def test_5_5_5_rejects_a_save_that_leaves_files_outside_the_folder(reference, seed):
    """Files written where the process runs (relative paths), then only the .keras file moved into the folder."""
    def relative(model, folder):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        model.save("churn.keras")
        model.export("churn_savedmodel", verbose=False)
        model.save_weights("churn.weights.h5")
        shutil.move("churn.keras", folder / "churn.keras")
        return {"keras": folder / "churn.keras", "savedmodel": Path("churn_savedmodel").resolve(),
                "weights": Path("churn.weights.h5").resolve()}

    verdict = EX.grade(reference("5.5.5").replaced(save_artifacts=relative), seed, only=["saved three ways"])
    assert_fails(verdict, "nothing left outside the folder", "outside the folder", "relative path")
    assert_fails(verdict, "the artifacts are in the folder", "folder given")


def test_5_5_5_rejects_a_loader_that_turns_safe_mode_off(reference, seed):
    """A loader that makes every .keras file load, code and all."""
    ref = reference("5.5.5")
    right = ref.module.load_artifact

    def unsafe(path, model=None):
        if str(path).endswith(".keras") and Path(path).is_file():
            try:
                return keras.models.load_model(path, safe_mode=False)
            except Exception:  # noqa: BLE001 -- damaged files: the loader's own messages
                pass
        return right(path, model)

    verdict = EX.grade(ref.replaced(load_artifact=unsafe), seed, only=["load_artifact"])
    assert_fails(verdict, "load_artifact refuses a .keras file that runs code", "safe_mode=true", "lambda")
