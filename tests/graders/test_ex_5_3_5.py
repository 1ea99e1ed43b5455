"""Wrong answers of exercise 5.3.5 (transfer learning with scarce data).

Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.
A wrong answer runs only the parts it concerns; the grader's own baselines are cached per seed and
process."""

from __future__ import annotations

import keras

from coursekit.graders.ex_5_3_5 import EX
from coursekit.grading import assert_fails


def _copy_of(source):
    model = keras.models.clone_model(source)
    model.set_weights(source.get_weights())
    return model


def test_5_3_5_rejects_a_body_that_is_not_frozen(reference, seed):
    def unfrozen(source):
        model = _copy_of(source)
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    verdict = EX.grade(reference("5.3.5").replaced(frozen_transfer=unfrozen), seed, only=["frozen body"])
    assert_fails(verdict, "the frozen hidden layers are bit-for-bit unchanged by training", "trainable = false")


def test_5_3_5_rejects_shared_layers_and_fresh_weights(reference, seed):
    ref = reference("5.3.5")

    def shared(source):
        model = keras.Sequential([keras.Input(shape=(source.input_shape[1],)), *source.layers])
        model.compile(keras.optimizers.Adam(1e-4), "mse")
        return model

    def fresh(source):
        model = keras.models.clone_model(source)
        model.compile(keras.optimizers.Adam(1e-4), "mse")
        return model

    verdict = EX.grade(ref.replaced(fine_tuning=shared), seed, only=["fine-tuning"])
    assert_fails(verdict, "fine_tuning leaves the source network as it was", "copy")
    verdict = EX.grade(ref.replaced(fine_tuning=fresh), seed, only=["fine-tuning"])
    assert_fails(verdict, "fine_tuning starts from the source network's hidden weights", "set_weights")


def test_5_3_5_rejects_a_new_output_layer_fine_tuned(reference, seed):
    def new_head(source):
        body = _copy_of(source)
        head = keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(source.layers[-1].bias.numpy()[0])))
        model = keras.Sequential([keras.Input(shape=(source.input_shape[1],)), *body.layers[:-1], head])
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    verdict = EX.grade(reference("5.3.5").replaced(fine_tuning=new_head), seed, only=["fine-tuning"])  # +0.015-0.053
    assert_fails(verdict, "fine-tuned - source network as it is (mean test RMSE)", "new output layer")


def test_5_3_5_rejects_a_frozen_body_with_a_path_around_it(reference, seed):
    """A shortcut: the frozen layers are there and unchanged, but the inputs also reach the head directly."""
    def skip_to_head(source):
        body = _copy_of(source)
        for layer in body.layers:
            layer.trainable = False
        inputs = keras.Input(shape=(source.input_shape[1],))
        hidden = body.layers[1](body.layers[0](inputs))
        both = keras.layers.Concatenate()([hidden, keras.layers.Dense(8, activation="relu")(inputs)])
        model = keras.Model(inputs, keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(
            float(source.layers[-1].bias.numpy()[0])))(both))
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    verdict = EX.grade(reference("5.3.5").replaced(frozen_transfer=skip_to_head), seed, only=["frozen body"])
    assert_fails(verdict, "frozen_transfer: every path from the inputs passes the transferred layers", "skips the transferred")
