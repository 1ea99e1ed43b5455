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
        print(f"  {key:<28} {value:.4f}" if isinstance(value, float) else f"  {key:<28} {value}")
    if exercise_id:
        print(f"\nGrade it against the targets:  course check {exercise_id}")
