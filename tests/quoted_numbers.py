"""Numbers a lesson's README quotes, and whether the lesson's demos printed them.

The rule (docs/lesson-contract.md): in a lesson's README, every number written with a decimal
point or with thousands separators (0.845, $20,351, 26.5%, 4.6e-5) is a measurement, and a demo
of the folder prints it with the default seed. A number belongs to the demo named last before it
(``demo_x.py``) in the same section, and a number with no demo named before it in its section has
no source (each demo is checked on its own, so a number must say which demo prints it). Not measurements, and not checked: numbers inside code
(`` `0.001` ``, fenced blocks), in link targets, after "lesson", "exercise" or "section" (5.2, 5.1.3
are names), written "~222.6" (a timing or other machine-dependent measurement that no rerun
reproduces exactly), in the alt text of figures (a description), and in the "Exercises" section (targets).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DEMO = re.compile(r"demo_[a-z0-9_]+\.py")
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+)"
QUOTED = re.compile(rf"(?<![\w.,~])([-\u2212]?)\$?({_NUM})(%?)(?![\w])")
PRINTED = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?")
EXEMPT_SECTIONS = re.compile(r"^#+\s*(exercises?)\b", re.I)
REFERENCE = re.compile(r"(lesson|lessons|exercise|exercises|section|sections|python|version|v)\s*$", re.I)


@dataclass
class Quote:
    text: str
    value: float
    decimals: int
    percent: bool
    demo: str | None
    section: str
    line: int

    def where(self) -> str:
        return f"line {self.line} ({self.section!r})"


def _strip(text: str) -> str:
    """Blank out what is not prose (code, link targets, comments), keeping line numbers."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))

    text = re.sub(r"```.*?```", blank, text, flags=re.S)
    text = re.sub(r"<!--.*?-->", blank, text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", blank, text)  # figures: their alt text describes, it does not measure
    text = re.sub(r"\]\([^)]*\)", lambda m: "]" + blank(m)[1:], text)  # link and image targets
    return text


def quotes(readme: str) -> list[Quote]:
    text = _strip(readme)
    found = []
    section, demo, exempt = "(top)", None, False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            section, demo = line.lstrip("#").strip(), None
            exempt = bool(EXEMPT_SECTIONS.match(line))
            continue
        # demo names inside inline code count as names; other inline code is not prose
        events = [(m.start(), "demo", m.group(0)) for m in DEMO.finditer(line)]
        prose = re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)
        events += [(m.start(), "num", m) for m in QUOTED.finditer(prose)
                   if not REFERENCE.search(prose[:m.start()])]  # "lesson 5.2", "exercise 5.1.3" name, not measure
        for _, kind, item in sorted(events, key=lambda e: e[0]):
            if kind == "demo":
                demo = item
                continue
            if exempt:
                continue
            sign, digits, pct = item.groups()
            value = float(digits.replace(",", "")) * (-1 if sign else 1)
            decimals = len(digits.split(".")[1].split("e")[0]) if "." in digits else 0
            if "e" in digits:  # 4.6e-5: compare to two significant figures of the mantissa
                decimals = -1
            found.append(Quote(item.group(0), value, decimals, bool(pct), demo, section, number))
    return found


def printed(output: str) -> list[float]:
    values = []
    for m in PRINTED.finditer(output):
        try:
            values.append(float(m.group(0).replace(",", "")))
        except ValueError:
            continue
    return values


def _same(q: Quote, p: float) -> bool:
    candidates = [p, p * 100] if q.percent else [p]
    for c in candidates:
        if q.decimals == -1:  # scientific notation: same to the quoted significant figures
            if c != 0 and q.value != 0 and math.copysign(1, c) == math.copysign(1, q.value):
                mant = len(q.text.split("e")[0].replace("-", "").replace(".", "").lstrip("0")) or 1
                if f"{abs(c):.{mant - 1}e}" == f"{abs(q.value):.{mant - 1}e}":
                    return True
            continue
        if abs(c - q.value) <= 0.5 * 10 ** (-q.decimals) + 1e-9 * max(1.0, abs(q.value)):
            return True
    return False


def unprinted(readme: str, outputs: dict[str, str]) -> list[str]:
    """Quotes of the README that no demo printed: one line each, naming the number and the demo."""
    values = {demo: printed(text) for demo, text in outputs.items()}
    everything = [v for vs in values.values() for v in vs]
    problems = []
    for q in quotes(readme):
        if q.demo is not None and q.demo not in values:
            problems.append(f"{q.text} at {q.where()}: {q.demo} is not a demo of this lesson")
            continue
        pool = values[q.demo] if q.demo else everything
        if not any(_same(q, p) for p in pool):
            source = q.demo or "any demo of the lesson"
            problems.append(f"{q.text} at {q.where()}: not printed by {source}")
    return problems


def without_demo(readme: str, demos: set[str]) -> list[str]:
    """Quotes that name no demo of the lesson before them in their section (no demo can vouch for them)."""
    problems = []
    for q in quotes(readme):
        if q.demo is None:
            problems.append(f"{q.text} at {q.where()}: no demo is named before it in its section")
        elif q.demo not in demos:
            problems.append(f"{q.text} at {q.where()}: {q.demo} is not a demo of this lesson")
    return problems


def unprinted_by(readme: str, demo: str, output: str) -> list[str]:
    """Quotes that belong to ``demo`` (named last before them) and that its output does not hold."""
    values = printed(output)
    return [f"{q.text} at {q.where()}: not printed by {demo}" for q in quotes(readme)
            if q.demo == demo and not any(_same(q, p) for p in values)]
