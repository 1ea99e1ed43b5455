"""A readable report of an exercise's metrics."""

from __future__ import annotations

import numbers


def print_metrics(title: str, metrics: dict, exercise_id: str | None = None) -> None:
    """Print the plain-number entries of a ``run()`` result, then how to get it graded."""
    print(f"\n{title}")
    print("-" * len(title))
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            continue
        if isinstance(value, float):
            text = f"{value:.3e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"
        else:
            text = str(value)
        print(f"  {key:<28} {text}")
    if exercise_id:
        print(f"\nGrade it against the targets:  course check {exercise_id}")
