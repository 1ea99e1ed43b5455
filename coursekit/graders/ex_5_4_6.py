"""Grader of exercise 5.4.6: reading training histories -- under-fitting, over-fitting, a learning
rate too high.

The grader owns the harness: it generates synthetic training histories it chose (15, five of each
kind, with noise, a new draw for each seed, in a shuffled order), calls ``diagnose`` and
``best_epoch`` on each, and compares with the kind it generated and with the epoch of the lowest
validation loss, counted from 1. Both functions are also asked about hand-made histories whose answer
is not in doubt (ties, nan and inf, a single epoch, a gap without a rise, several of one length)
through ``agrees_with_reference``, the first asked again at the end. Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers); the wrong answers in
``tests/graders/test_ex_5_4_6.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import agrees_with_reference, Exercise, plain, Student

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


def _falling(n: int, start: float = 0.7, rate: float = 0.93) -> list[float]:
    return [start * rate**t for t in range(n)]


def _made_up() -> list[tuple[str, dict, str]]:
    """Hand-made histories whose diagnosis is not in doubt (name, history, diagnosis); several of one length."""
    nan, inf = float("nan"), float("inf")
    loss10 = _falling(10)
    u = [0.7, 0.55, 0.45, 0.4, 0.42, 0.46, 0.5, 0.55, 0.6, 0.66]
    return [
        ("both falling to the end, validation 4% above", {"loss": loss10, "val_loss": [1.04 * x for x in loss10]},
         "under-fitting"),
        ("validation turns up after epoch 4, training falls", {"loss": loss10, "val_loss": u}, "over-fitting"),
        ("both falling to the end, validation 30% above (a gap, not a rise)",
         {"loss": loss10, "val_loss": [1.3 * x for x in loss10]}, "under-fitting"),
        ("both falling, validation below training (dropout)", {"loss": loss10, "val_loss": [0.9 * x for x in loss10]},
         "under-fitting"),
        ("training loss falls, then nan from epoch 6", {"loss": [0.7, 0.6, 0.52, 0.45, 0.4, nan, nan, nan, nan, nan],
                                                         "val_loss": [0.72, 0.62, 0.54, 0.47, 0.42, nan, nan, nan, nan, nan]},
         "learning rate too high"),
        ("training loss falls, then inf at epoch 7", {"loss": [0.7, 0.62, 0.55, 0.5, 0.46, 0.43, inf, inf],
                                                       "val_loss": [0.72, 0.64, 0.57, 0.52, 0.48, 0.45, inf, inf]},
         "learning rate too high"),
        ("training loss flat from the first epoch", {"loss": [0.69, 0.7, 0.68, 0.7, 0.69, 0.7, 0.69, 0.68, 0.7, 0.69],
                                                       "val_loss": [0.7, 0.71, 0.69, 0.7, 0.7, 0.71, 0.7, 0.69, 0.71, 0.7]},
         "learning rate too high"),
        ("training loss jumps up twice", {"loss": [0.7, 0.5, 0.4, 1.1, 0.45, 0.38, 0.35, 0.9, 0.33, 0.3],
                                           "val_loss": [0.72, 0.52, 0.43, 1.2, 0.47, 0.4, 0.37, 0.95, 0.35, 0.33]},
         "learning rate too high"),
        ("validation lowest at epochs 3 and 4 (a tie), then up", {"loss": loss10, "val_loss": [0.7, 0.5, 0.4, 0.4, 0.45,
                                                                  0.5, 0.56, 0.62, 0.7, 0.75]}, "over-fitting"),
        ("60 epochs, validation turns up after epoch 20", {"loss": _falling(60, rate=0.97), "val_loss": [
            0.3 + 0.4 * 0.85**t if t < 20 else 0.3 + 0.4 * 0.85**20 + 0.004 * (t - 19) for t in range(60)]}, "over-fitting"),
    ]


_MADE_UP_HINT = ("read the training curve first: nan or inf, a jump up between epochs, or no fall from the first epoch "
                 "mean a learning rate too high; else a validation loss that reached its lowest and then rose clearly is "
                 "over-fitting; else both still falling is under-fitting, whatever the gap between them")


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
    known = {repr(history): kind for _, history, kind in _made_up()}
    agrees_with_reference(v, student, "diagnose", lambda history: known[repr(history)],
                          [(name, (history,)) for name, history, _ in _made_up()], check="diagnose on made-up histories",
                          same=lambda mine, want: type(mine) is str and mine == want, hint=_MADE_UP_HINT)


def _first_lowest(history: dict) -> int:
    """The epoch early stopping restores: the first whose validation loss is below every earlier one, from 1."""
    best, epoch = float("inf"), 0
    for i, x in enumerate(history["val_loss"], start=1):
        if np.isfinite(x) and x < best:
            best, epoch = x, i
    return epoch


def _epoch_cases() -> list[tuple]:
    nan, inf = float("nan"), float("inf")
    cases = [
        ("a tie at epochs 3 and 4", [0.6, 0.5, 0.4, 0.4, 0.45]),
        ("a tie at epochs 2 and 4", [0.5, 0.3, 0.35, 0.3, 0.4]),
        ("nan at epoch 2", [0.7, nan, 0.5, 0.6, 0.65]),
        ("nan at epoch 1", [nan, 0.6, 0.5, 0.55, 0.58]),
        ("inf at epoch 2, nan at the end", [0.6, inf, 0.4, 0.45, nan]),
        ("a single epoch", [0.42]),
        ("lowest at the last epoch", [0.7, 0.6, 0.5, 0.45, 0.41]),
        ("lowest at the first epoch", [0.4, 0.45, 0.5, 0.6, 0.7]),
        ("a three-way tie at epochs 2, 3 and 5", [0.5, 0.35, 0.35, 0.4, 0.35, 0.6]),
    ]
    return [(f"val_loss {val} ({name})", ({"loss": _falling(len(val)), "val_loss": val},)) for name, val in cases]


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
    agrees_with_reference(v, student, "best_epoch", _first_lowest, _epoch_cases(), check="best_epoch on made-up histories",
                          same=lambda mine, want: type(plain(mine)) is int and mine == want,
                          hint="the epoch with the lowest finite validation loss, counted from 1; of tied epochs the first "
                               "(early stopping keeps a new best only when it is strictly lower); nan and inf left out; a "
                               "single epoch is epoch 1. Return an int")
