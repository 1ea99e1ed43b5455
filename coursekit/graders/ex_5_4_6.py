"""Grader of exercise 5.4.6: reading training histories -- under-fitting, over-fitting, a learning
rate too high.

The grader owns the harness: it generates synthetic training histories it chose (15, five of each
kind, with noise, a new draw for each seed, in a shuffled order), calls ``diagnose`` and
``best_epoch`` on each, and compares with the kind it generated and with the epoch of the lowest
validation loss, counted from 1. Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers); the wrong answers in
``tests/graders/test_ex_5_4_6.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import Exercise, Student

EX = Exercise("5.4.6", ("diagnose", "best_epoch"), targets={"histories": 15, "shortest": 12, "longest": 60})
KINDS = ("under-fitting", "over-fitting", "learning rate too high")


def _history(kind: str, rng) -> dict:
    """One synthetic history of the kind, with noise: what each kind looks like in a real run."""
    n = int(rng.integers(EX.target("shortest"), EX.target("longest") + 1))
    t = np.arange(n, dtype=np.float64)
    start = rng.uniform(0.55, 0.8)
    if kind == "under-fitting":  # both still falling at the end, validation a little above training
        floor = start - rng.uniform(0.22, 0.4)
        loss = floor + (start - floor) * np.exp(-t / (n / rng.uniform(0.6, 1.3)))
        val = loss * rng.uniform(1.01, 1.05) * (1 + rng.normal(0, 0.002, n))
        loss = loss * (1 + rng.normal(0, 0.002, n))
    elif kind == "over-fitting":  # validation turns up at `best`; training keeps falling
        floor = rng.uniform(0.15, 0.3)
        loss = floor + (start - floor) * np.exp(-t / (n * rng.uniform(0.08, 0.25))) - rng.uniform(0.0005, 0.002) * t
        best = int(rng.integers(max(2, int(0.15 * n)), int(0.5 * n) + 1))
        vmin = floor + rng.uniform(0.1, 0.2)
        falling = vmin + (start * 1.02 - vmin) * (1 - t / best) ** 2
        rising = vmin * (1 + rng.uniform(0.06, 0.4) * (np.clip(t - best, 0, None) / (n - 1 - best)) ** rng.uniform(1.0, 2.0))
        val = np.where(t <= best, falling, rising) * (1 + rng.normal(0, 0.004, n))
        loss = loss * (1 + rng.normal(0, 0.01, n))
    else:
        variant, level = int(rng.integers(3)), rng.uniform(0.5, 0.65)
        if variant < 2:  # spikes on a slow fall, or no progress at all, with jumps
            loss = level * ((0.85 + 0.15 * np.exp(-t / 4)) if variant == 0 else 1.0) * (1 + rng.normal(0, 0.025, n))
            jumps = rng.choice(np.arange(1, n), size=int(rng.integers(2, 6)), replace=False)
            loss[jumps] *= rng.uniform(1.3, 3.0, len(jumps))
            val = loss * rng.uniform(1.0, 1.06) * (1 + rng.normal(0, 0.03, n))
        else:  # falls, then blows up to nan
            up = int(rng.integers(3, max(4, n // 2)))
            loss = 0.3 * start + 0.7 * start * np.exp(-np.minimum(t, up) / 3)
            loss = np.where(t > up, loss[up] * np.exp(rng.uniform(0.5, 1.5) * (t - up)), loss)
            loss[int(rng.integers(up + 2, up + 6)):] = np.nan
            val = loss * rng.uniform(1.0, 1.05) * (1 + rng.normal(0, 0.01, n))
    return {"loss": [float(x) for x in loss], "val_loss": [float(x) for x in val]}


def _histories(seed: int) -> list[tuple[str, dict]]:
    """15 histories, 5 of each kind, in a shuffled order: a new draw for each seed."""
    rng = np.random.default_rng(5460 + seed)
    per_kind = EX.target("histories") // len(KINDS)
    kinds = [k for k in KINDS for _ in range(per_kind)]
    return [(kinds[i], _history(kinds[i], rng)) for i in rng.permutation(len(kinds))]


_DIAGNOSIS_HINTS = {
    "under-fitting": "both losses were still falling when the run ended: under-fitting (train longer or faster), even "
                     "when the validation loss sits a little above the training loss -- a gap alone is not over-fitting",
    "over-fitting": "the validation loss turned up while the training loss kept falling: over-fitting, not a learning rate "
                    "too high -- a rate too high shows in the training loss itself",
    "learning rate too high": "the training loss jumps up between epochs, makes no progress from the first epoch, or "
                              "becomes nan: the steps are too large (small wiggles of a real run are not jumps)",
}


@EX.part("diagnoses", points=7)
def _diagnoses(student: Student, ctx, v):
    results = {kind: [] for kind in KINDS}
    for i, (kind, history) in enumerate(_histories(ctx.seed), start=1):
        answer = student.call("diagnose", {k: list(x) for k, x in history.items()})
        results[kind].append((i, len(history["loss"]), answer))
    # Measured over seeds 0-4 (and 0-999 for the solution): every history right. Calling a validation loss
    # above the training loss over-fitting gets every under-fitting history wrong; calling a rising
    # validation loss a learning rate too high gets every over-fitting history wrong.
    for kind, answers in results.items():
        wrong = [(i, n, a) for i, n, a in answers if a != kind]
        v.check(f"{kind} histories", not wrong, f"{len(answers) - len(wrong)} of {len(answers)} right" + (
            f"; history {wrong[0][0]} ({wrong[0][1]} epochs) called {wrong[0][2]!r}" if wrong else ""),
            f"all {len(answers)}", _DIAGNOSIS_HINTS[kind])


@EX.part("epochs to keep", points=3)
def _epochs(student, ctx, v):
    wrong, histories = [], _histories(ctx.seed)
    for i, (kind, history) in enumerate(histories, start=1):
        val = np.asarray(history["val_loss"])
        want = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan))) + 1
        got = student.call("best_epoch", {k: list(x) for k, x in history.items()})
        if not (isinstance(got, (int, np.integer)) and int(got) == want):
            wrong.append((i, got, want))
    v.check("best_epoch", not wrong, f"{len(histories) - len(wrong)} of {len(histories)} right" + (
        f"; history {wrong[0][0]}: {wrong[0][1]!r}" if wrong else ""), f"epoch {wrong[0][2]}" if wrong else "all",
        "the epoch with the lowest validation loss, counted from 1 as Keras prints epochs (np.argmin gives a 0-based "
        "index), nan left out; the training loss keeps falling and does not say which epoch generalised best")
