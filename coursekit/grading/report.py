"""Reports of verdicts: the one scoreboard (``course grade``, ``pytest``), the checks of one
exercise (``course check``, ``python _5_N_K_exercise.py``), and JUnit XML built from the verdicts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import copy
import re

from .engine import NOT_ATTEMPTED

# A check or a number measured on the test split says so in its name: "test" as a word ("test_auc",
# "test RMSE (log price)", "unweighted network: test cost at 0.5"); a learning-rate "range test" is not one.
_TEST_SPLIT = re.compile(r"(?<![a-z])(?<!range )test(?![a-z])", re.IGNORECASE)
TEST_SPLIT_HIDDEN = "on the test split: its number is in your instructor's grade report"


def on_test_split(name: str) -> bool:
    """Whether a check or a metric of a verdict was measured on the test split (its name says "test")."""
    return bool(_TEST_SPLIT.search(name))


def student_view(verdict: dict) -> dict:
    """The verdict as the student sees it (``course check``, the exercise file run, their feedback): a
    check measured on the test split shows whether it met its target, not the number, and the test
    split's other numbers are left out. Seeing test numbers after each change invites tuning on the
    test split; validation numbers are shown whole. The instructor's reports keep every number."""
    out = copy.deepcopy(verdict)
    for check in out.get("checks", []):
        if on_test_split(check["name"]):
            check["measured"] = ("met" if check["ok"] else "missed") + f" ({TEST_SPLIT_HIDDEN})"
    out["metrics"] = {k: v for k, v in out.get("metrics", {}).items() if not on_test_split(k)}
    return out


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def check_lines(verdict: dict, *, test_numbers: bool = False) -> list[str]:
    """Each check (measured vs expected, a hint for what failed), the other measured numbers, and
    what the student's code printed, marked as theirs. Numbers measured on the test split are shown
    only with ``test_numbers`` (a reference solution's check); a student sees :func:`student_view`."""
    if not test_numbers:
        verdict = student_view(verdict)
    lines = []
    checks = verdict.get("checks", [])
    for check in checks:
        mark = "  ok  " if check["ok"] else "  FAIL"
        lines.append(f"{mark} {check['name']}: measured {check['measured']}, expected {check['expected']}")
        if not check["ok"]:
            lines.append(f"         hint: {check['hint']}")
    graded = {c["name"] for c in checks}
    extra = {k: v for k, v in verdict.get("metrics", {}).items() if k not in graded}
    if extra:
        lines.append("  also measured: " + ", ".join(f"{k} {_num(v)}" for k, v in extra.items()))
    if verdict.get("processes_killed"):
        lines.append(f"  {verdict['processes_killed']} processes the exercise's code left running were killed")
    output = (verdict.get("student_output") or "").strip("\n")
    if output:
        lines.append("  printed by the exercise's code (last lines):")
        lines += [f"  | {line}" for line in output.splitlines()]
    return lines


def print_checks(verdict: dict, *, test_numbers: bool = False) -> None:
    for line in check_lines(verdict, test_numbers=test_numbers):
        print(line)


def scoreboard_lines(verdicts: list[dict]) -> list[str]:
    """One line per exercise (verdict, points, seconds, peak memory, metrics or reason), and a total."""
    lines = [f"{'exercise':<9} {'verdict':<17} {'points':>9} {'wall s':>7} {'run s':>6} {'peak MB':>8}  metrics / reason"]
    scored = possible = 0.0
    for v in verdicts:
        metrics = ", ".join(f"{k}={val:.4g}" for k, val in list(v.get("metrics", {}).items())[:4])
        detail = metrics if v["status"] in ("correct", "incorrect") and metrics else v.get("message", "")
        run_s, peak, wall = v.get("run_seconds"), v.get("peak_rss_mb"), v.get("wall_seconds")
        pts = f"{v.get('points') or 0:g}/{v['max_points']:g}" if v.get("max_points") else "-"
        scored += v.get("points") or 0
        possible += v.get("max_points") or 0
        lines.append(f"{v['id']:<9} {v['status']:<17} {pts:>9} {(f'{wall:.1f}' if wall else '-'):>7} "
                     f"{(f'{run_s:.1f}' if run_s is not None else '-'):>6} {(f'{peak:.0f}' if peak else '-'):>8}  "
                     f"{detail}")
    correct = sum(v["status"] == "correct" for v in verdicts)
    points = f", {scored:g}/{possible:g} points" if possible else ""
    untried = sum(v["status"] == NOT_ATTEMPTED for v in verdicts)
    lines.append("")
    lines.append(f"{correct}/{len(verdicts)} exercises correct{points}" + (f"; {untried} not attempted" if untried else ""))
    return lines


def print_scoreboard(verdicts: list[dict]) -> None:
    print()
    for line in scoreboard_lines(verdicts):
        print(line)


def write_junit(verdicts: list[dict], path: Path) -> None:
    """One test suite per exercise, one test case per check (or one for a verdict without checks);
    the counters are counted from the cases."""
    root = ET.Element("testsuites", name="module5")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for v in verdicts:
        suite = ET.SubElement(root, "testsuite", name=f"exercise {v['id']}")
        counts = {"tests": 0, "failures": 0, "errors": 0}
        graded = v["status"] in ("correct", "incorrect") and v.get("checks")
        cases = v["checks"] if graded else [None]
        for check in cases:
            name = check["name"] if check else v["status"]
            case = ET.SubElement(suite, "testcase", classname=f"exercise.{v['id']}", name=name,
                                 time=str(v.get("wall_seconds") or 0 if check is None else 0))
            counts["tests"] += 1
            if check is not None and not check["ok"]:
                ET.SubElement(case, "failure", message=f"measured {check['measured']}, expected {check['expected']}"
                              ).text = f"hint: {check['hint']}"
                counts["failures"] += 1
            elif check is None and v["status"] == NOT_ATTEMPTED:
                ET.SubElement(case, "failure", message=f"{v['id']} not attempted").text = v.get("message", "")
                counts["failures"] += 1
            elif check is None and v["status"] != "correct":
                ET.SubElement(case, "error", message=f"{v['status']}: {v.get('message', '')}").text = \
                    v.get("student_output", "")
                counts["errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
