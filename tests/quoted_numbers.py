"""Numbers a lesson's README quotes, and whether the lesson's demos printed them.

The rule (docs/lesson-contract.md): in a lesson's README, every number written with a decimal
point or with thousands separators (0.845, $20,351, 26.5%, 4.6e-5) is a measurement, and a demo
of the folder prints it with the default seed. A number belongs to the demo named last before it
(``demo_x.py``) in the same section, and a number with no demo named before it in its section has
no source (each demo is checked on its own, so a number must say which demo prints it). Not measurements, and not checked: numbers inside code
(`` `0.001` ``, fenced blocks), in link targets, after "lesson", "exercise" or "section" (5.2, 5.1.3
are names), written "~222.6" (a timing or other machine-dependent measurement that no rerun
reproduces exactly), in the alt text of figures (a description), and in the "Exercises" section (targets).

Two kinds of number, one rule each (docs/lesson-contract.md, "Numbers in lessons"):

- exact: what involves no training -- counts, data facts, weight counts, sizes, closed forms, a model
  fitted in closed form. Marked in the README by ``<!--exact-->`` right after the number (invisible on
  GitHub); it matches when the printed value rounds to it.
- trained: everything a network trained (unmarked). Its last digits depend on the order in which
  floating-point sums are taken, which changes with the CPU, its instruction set and TensorFlow's
  thread count. It matches when the printed value is within ``TRAINED_UNITS`` units of its last
  quoted digit or ``TRAINED_RELATIVE`` of its value, whichever is larger. This is the one tolerance:
  no number is given a wider one. Quote a trained number with no more digits than survive it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEMO = re.compile(r"demo_[a-z0-9_]+\.py")
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+)"
QUOTED = re.compile(rf"(?<![\w.,~])([-\u2212]?)\$?({_NUM})(%?)(?![\w])")
PRINTED = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?")
EXEMPT_SECTIONS = re.compile(r"^#+\s*(exercises?)\b", re.I)
REFERENCE = re.compile(r"(lesson|lessons|exercise|exercises|section|sections|python|version|v)\s*$", re.I)


# The tolerance for trained numbers. Measured: the same demo on two 2-core machines printed $25,572 and
# $25,576 (0.016%), 1.375 and 1.377 (2 units, 0.15%), 0.463 and 0.464. On the machine the course is built
# on, one TensorFlow thread instead of two changed no printed digit of any demo; oneDNN's kernels instead
# of Eigen's (CI's second run) moved quoted numbers by at most 1.3 units of their last digit (0.37 of this
# tolerance), once the few that a chaotic run changes by more (SGD at lr 0.1 or 3) were quoted with fewer
# digits. Three units or 0.2% covers what was seen with margin.
TRAINED_UNITS = 3
TRAINED_RELATIVE = 0.002
EXACT_MARK = "<!--exact-->"


@dataclass
class Quote:
    text: str
    value: float
    percent: bool
    demo: str | None
    section: str
    line: int
    exact: bool = False

    @property
    def unit(self) -> float:
        """The value of one unit of the last quoted digit (0.001 for 0.843, 1e-6 for 4.6e-05)."""
        digits = self.text.lstrip("-\u2212$").rstrip("%").replace(",", "")
        mantissa, _, exponent = digits.lower().partition("e")
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return 10.0 ** (int(exponent or 0) - places)

    def allowed(self) -> float:
        """How far a printed value may be from the quote and still be the same number."""
        rounding = 0.5 * self.unit + 1e-9 * max(1.0, abs(self.value))
        if self.exact:
            return rounding
        return max(TRAINED_UNITS * self.unit, TRAINED_RELATIVE * abs(self.value)) + rounding

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
    raw = readme.splitlines()
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
            exact = raw[number - 1][item.end():].startswith(EXACT_MARK)
            found.append(Quote(item.group(0), value, bool(pct), demo, section, number, exact))
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
    """The printed value ``p`` is the quoted number: exactly (rounded to the quoted digits) for an exact
    quote, within the one tolerance for a trained one. A percentage may be printed as a fraction."""
    candidates = [p, p * 100] if q.percent else [p]
    return any(abs(c - q.value) <= q.allowed() for c in candidates)


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
