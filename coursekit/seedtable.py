"""Maintainers: the table of docs/seeds.md, from `course grade --solutions --seed N` runs.

    for s in 0 1 2 3 4 5 6 7 8 9; do course grade --solutions --seed $s --out grades/seed$s; done
    python -m coursekit.seedtable grades/seed*/grades.json > docs/seeds-table.md

For every check of every exercise that compares a measured number with a target, it prints the
reference solution's range over the seeds and its smallest margin to the target, and flags a check
whose smallest margin is below the spread of the measured values over the seeds: there, another
seed (or another machine) could fail the reference solution, so the target needs more margin.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

_BOUND = re.compile(r"^(>=|<=) (-?[\d.e+-]+)$")
_RANGE = re.compile(r"^in \[(-?[\d.e+-]+), (-?[\d.e+-]+)\]$")


def _margin(expected: str, value: float) -> float | None:
    bound = _BOUND.match(expected)
    if bound:
        target = float(bound.group(2))
        return value - target if bound.group(1) == ">=" else target - value
    span = _RANGE.match(expected)
    if span:
        return min(value - float(span.group(1)), float(span.group(2)) - value)
    return None


def _number(text) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return None


def collect(paths: list[Path]) -> tuple[dict, dict]:
    """(verdicts by exercise and seed, measured values by (exercise, check, target))."""
    verdicts, values = defaultdict(dict), defaultdict(list)
    for path in paths:
        run = json.loads(Path(path).read_text())
        seed = run["seed"]
        for v in run["exercises"]:
            verdicts[v["id"]][seed] = v["status"]
            for check in v.get("checks", []):
                value, expected = _number(check["measured"]), str(check["expected"])
                margin = None if value is None else _margin(expected, value)
                if margin is not None:
                    values[(v["id"], check["name"], expected)].append((seed, value, margin))
    return verdicts, values


def table(paths: list[Path]) -> str:
    verdicts, values = collect(paths)
    seeds = sorted({s for by_seed in verdicts.values() for s in by_seed})
    lines = [f"Reference solutions over seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} runs).", "",
             "| exercise | check | target | measured over the seeds | smallest margin | margin < spread |",
             "|---|---|---|---|---|---|"]
    for ex_id in sorted(verdicts, key=lambda i: tuple(int(p) for p in i.split("."))):
        failed = sorted(s for s, status in verdicts[ex_id].items() if status != "correct")
        if failed:
            lines.append(f"| {ex_id} | **not correct at seeds {', '.join(map(str, failed))}** | | | | |")
        for (ex, name, expected), rows in values.items():
            if ex != ex_id:
                continue
            measured = [r[1] for r in rows]
            smallest = min(r[2] for r in rows)
            spread = max(measured) - min(measured)
            lines.append(f"| {ex_id} | {name} | {expected} | {min(measured):.4g} to {max(measured):.4g} | "
                         f"{smallest:.3g} | {'yes' if smallest < spread else ''} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print(table(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
