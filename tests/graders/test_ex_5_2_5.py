"""Wrong answers to exercise 5.2.5: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_5.py``)."""

from __future__ import annotations

import math

import keras

from coursekit.graders.ex_5_2_5 import EX
from coursekit.grading import assert_fails


def _wrong_schedule(reference_class, rate):
    """A subclass of the reference schedule whose __call__ is ``rate(self, step as float32)``."""
    return type("WrongSchedule", (reference_class,), {"__call__": lambda self, step: rate(self, keras.ops.cast(step, "float32"))})


def _cosine(self, s, final):
    p = keras.ops.clip((s - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
    return final + (self.peak_rate - final) * 0.5 * (1.0 + keras.ops.cos(math.pi * p))


def test_5_2_5_rejects_a_warm_up_off_by_one_and_a_decay_to_zero(reference, seed):
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine
    early = _wrong_schedule(Ref, lambda self, s: keras.ops.where(
        s < self.warmup_steps - 1, self.peak_rate * (s + 1) / self.warmup_steps, _cosine(self, s, self.final_rate)))
    assert_fails(EX.grade(ref.replaced(WarmupCosine=early), seed, only=["the schedule's values"]), "warm-up rates", "step 0")
    to_zero = _wrong_schedule(Ref, lambda self, s: keras.ops.where(
        s < self.warmup_steps, self.peak_rate * s / self.warmup_steps, _cosine(self, s, 0.0)))
    assert_fails(EX.grade(ref.replaced(WarmupCosine=to_zero), seed, only=["the schedule's values"]), "decay rates", "not to 0")


def test_5_2_5_rejects_a_cosine_that_does_not_stop_and_a_python_if(reference, seed):
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine

    def unclipped(self, s):
        p = (s - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        falling = self.final_rate + (self.peak_rate - self.final_rate) * 0.5 * (1.0 + keras.ops.cos(math.pi * p))
        return keras.ops.where(s < self.warmup_steps, self.peak_rate * s / self.warmup_steps, falling)

    verdict = EX.grade(ref.replaced(WarmupCosine=_wrong_schedule(Ref, unclipped)), seed, only=["the schedule's values"])
    assert_fails(verdict, "rates after total_steps", "stays at final_rate")
    assert "decay rates" not in verdict.failed_names(), verdict.report()

    def python_if(self, s):  # right eagerly; a symbolic step cannot be a Python bool
        if s < self.warmup_steps:
            return self.peak_rate * s / self.warmup_steps
        return _cosine(self, s, self.final_rate)

    verdict = EX.grade(ref.replaced(WarmupCosine=_wrong_schedule(Ref, python_if)), seed, only=["the schedule's values"])
    assert_fails(verdict, "rates inside a compiled training step", "python if")
    assert not {"warm-up rates", "decay rates", "rates after total_steps"} & set(verdict.failed_names()), verdict.report()


def test_5_2_5_rejects_a_schedule_without_get_config_or_registration(reference, seed):
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine
    # Registered under its own name (a registration needs a get_config attribute: the base class's raises).
    no_config = keras.saving.register_keras_serializable(package="rubric_5_2_5_wrong")(
        type("NoConfig", (Ref,), {"get_config": keras.optimizers.schedules.LearningRateSchedule.get_config}))
    verdict = EX.grade(ref.replaced(WarmupCosine=no_config), seed, only=["saved with a model"])
    assert_fails(verdict, "saved with the model and loaded back", "get_config")
    assert_fails(verdict, "from_config(get_config())", "get_config")
    unregistered = type("Unregistered", (Ref,), {})  # a subclass is not registered under its own name
    verdict = EX.grade(ref.replaced(WarmupCosine=unregistered), seed, only=["saved with a model"])
    assert_fails(verdict, "saved with the model and loaded back", "register_keras_serializable")
    assert "from_config(get_config())" not in verdict.failed_names(), verdict.report()


def test_5_2_5_rejects_a_schedule_counted_in_epochs(reference, seed):
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine
    in_epochs = ref.replaced(schedule_for=lambda steps_per_epoch, epochs: Ref(3e-3, 2, epochs, 1e-5))
    assert_fails(EX.grade(in_epochs, seed, only=["the schedule for the fit"]), "the decay ends with the fit", "epochs are not steps")


def test_5_2_5_rejects_a_schedule_that_barely_decays_and_a_peak_that_overshoots(reference, seed):
    """Settings, not code: the class is the reference's, the fit's outcome is what fails."""
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine

    def settings(peak, final):
        return lambda steps_per_epoch, epochs: Ref(peak, steps_per_epoch, steps_per_epoch * epochs, final)

    only = ["the schedule for the fit", "a fit that settles, no worse than the constant rate"]
    # ends at 8e-3: the decay ends with the fit, but the rate is nearly the constant one to the last epoch
    verdict = EX.grade(ref.replaced(schedule_for=settings(1e-2, 8e-3)), seed, only=only)
    assert_fails(verdict, "validation loss movement over the last 3 epochs", "final rate near 0")
    verdict = EX.grade(ref.replaced(schedule_for=settings(1.0, 1e-5)), seed, only=only)
    assert_fails(verdict, "last validation loss minus the constant rate's", "overshoots")


def test_5_2_5_rejects_a_rate_applied_one_step_late(reference, seed):
    """Off by one: the rate of step s is the formula's at s - 1 (the step counted from 1)."""
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine
    late = type("LateSchedule", (Ref,), {"__call__": lambda self, step: Ref.__call__(
        self, keras.ops.maximum(keras.ops.cast(step, "float32") - 1.0, 0.0))})
    verdict = EX.grade(ref.replaced(WarmupCosine=late), seed, only=["the schedule's values"])
    assert_fails(verdict, "warm-up rates", "steps count updates from 0")
    assert_fails(verdict, "decay rates", "peak_rate")


def test_5_2_5_names_a_constructor_argument_that_is_ignored(reference, seed):
    """An argument ignored: final_rate replaced by 0, or a warm-up length fixed at 100 steps."""
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine

    def no_final(self, peak_rate, warmup_steps, total_steps, final_rate=0.0):
        Ref.__init__(self, peak_rate, warmup_steps, total_steps, 0.0)

    verdict = EX.grade(ref.replaced(WarmupCosine=type("NoFinal", (Ref,), {"__init__": no_final})), seed,
                       only=["the schedule's values"])
    assert_fails(verdict, "decay rates", "argument final_rate is ignored")

    def fixed_warmup(self, peak_rate, warmup_steps, total_steps, final_rate=0.0):
        Ref.__init__(self, peak_rate, 100, total_steps, final_rate)

    verdict = EX.grade(ref.replaced(WarmupCosine=type("FixedWarmup", (Ref,), {"__init__": fixed_warmup})), seed,
                       only=["the schedule's values"])
    assert_fails(verdict, "warm-up rates", "argument warmup_steps is ignored")


def test_5_2_5_rejects_schedule_for_with_state_between_calls(reference, seed):
    """State between calls: each call lowers the peak (a module-level counter)."""
    ref = reference("5.2.5")
    Ref = ref.module.WarmupCosine
    calls = []

    def schedule_for(steps_per_epoch, epochs):
        calls.append(1)
        total = steps_per_epoch * epochs
        return Ref(3e-3 / len(calls), min(2 * steps_per_epoch, total // 4 or 1), total, 1e-5)
    verdict = EX.grade(ref.replaced(schedule_for=schedule_for), seed, only=["the schedule for the fit"])
    assert_fails(verdict, "schedule_for: the same fit gives the same schedule", "no state")
