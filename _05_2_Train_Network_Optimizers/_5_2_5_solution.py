"""Exercise 5.2.5 -- A learning-rate schedule with warm-up, written as a Keras schedule class.

Goal: write a warm-up + cosine-decay learning rate that runs inside Keras's compiled training step
and is saved with the model, and choose settings with which a churn fit ends settled, no worse
than a constant rate.
Read first: README.md section 3 (schedules, and how to choose a warm-up's peak) and section 7
(a schedule in a fit), demo_learning_rate.py

The schedule. The step s counts optimizer updates from 0; W = warmup_steps, T = total_steps,
1 <= W < T. Warm-up (s < W): the rate rises linearly from 0 at s = 0 to peak_rate at s = W. Decay
(W <= s <= T): with p = (s - W) / (T - W) the rate is final_rate + (peak_rate - final_rate) *
(1 + cos(pi p)) / 2, so peak_rate at W and final_rate at T. After T: final_rate for ever.
``__call__`` receives the step as a tensor, int or float; inside training it is a symbolic int64
tensor, so it cannot be tested with a Python ``if``. ``get_config`` returns the four constructor
arguments by name as plain Python numbers. The registration decorator is given: it lets a saved
model find the class again.

Your decisions: in ``schedule_for``, the peak rate, the warm-up length and the final rate of the
schedule for a fit of ``epochs`` epochs of ``steps_per_epoch`` updates, its decay ending with the
fit's last update.

What the rubric does and measures (you do not write any of it):
- evaluates your class for hidden settings at hidden steps (0, around the end of the warm-up,
  mid-decay, T and beyond; int and float tensors; eagerly and in a compiled TensorFlow function)
  against the formula: each rate within 0.0001 x peak_rate of it;
- saves a model compiled with Adam on your schedule to a .keras file, loads it and compares the
  rates at several steps; the same for ``from_config(get_config())``;
- checks that ``schedule_for``'s decay ends with the fit (three hidden fits) and that the graded
  fit, asked again after the others, gives the same schedule, then trains a 64-32 ReLU churn network
  for 20 epochs with batch 64 and no early stopping, with Adam on ``schedule_for(67, 20)`` and
  with Adam at a constant 0.01, from the same weights. Over the last 3 epochs your validation loss
  must move by at most 0.002 per epoch on average (a constant 0.01 moves by 0.002-0.010), and it
  must end at most 0.01 above the constant rate's. Honestly measured (seeds 0-9): the best epochs
  of the two runs are about equal (the schedule finds no better minimum on churn); the constant
  rate drifts up from its best, and a well-decayed schedule usually ends lower, but by how much
  depends on the seed (for some seeds a peak of 0.01 ends a little higher). What decay makes
  reliable is a settled end.

Run this file to see what the rubric measures; ``course check 5.2.5`` records the verdict and
``course hint 5.2.5`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import math

import keras


@keras.saving.register_keras_serializable(package="lesson_5_2")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``peak_rate``, cosine decay to ``final_rate`` at ``total_steps``."""

    def __init__(self, peak_rate, warmup_steps, total_steps, final_rate=0.0):
        """Keep the four settings (as plain Python numbers)."""
        self.peak_rate, self.final_rate = float(peak_rate), float(final_rate)
        self.warmup_steps, self.total_steps = int(warmup_steps), int(total_steps)

    def __call__(self, step):
        """The rate at ``step`` (a tensor), as a float32 tensor."""
        s = keras.ops.cast(step, "float32")
        rising = self.peak_rate * s / self.warmup_steps
        p = keras.ops.clip((s - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        falling = self.final_rate + (self.peak_rate - self.final_rate) * 0.5 * (1.0 + keras.ops.cos(math.pi * p))
        return keras.ops.where(s < self.warmup_steps, rising, falling)

    def get_config(self):
        """The constructor's arguments by name."""
        return {"peak_rate": self.peak_rate, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps, "final_rate": self.final_rate}


def schedule_for(steps_per_epoch: int, epochs: int) -> WarmupCosine:
    """Your schedule for a fit of ``epochs`` epochs of ``steps_per_epoch`` updates each."""
    total = steps_per_epoch * epochs
    return WarmupCosine(peak_rate=3e-3, warmup_steps=min(2 * steps_per_epoch, total // 4 or 1),
                        total_steps=total, final_rate=1e-5)


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
