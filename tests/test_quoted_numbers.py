"""The checker of the numbers a lesson quotes (tests/quoted_numbers.py): exact numbers must be printed
exactly, trained numbers within the one tolerance, and a wrong number of either kind fails."""

from __future__ import annotations

import pytest

import quoted_numbers as qn

README = """# Lesson

## 1. Data

`demo_data.py` reads 7,043<!--exact--> customers, 26.5%<!--exact--> of whom churned; a constant
"no" predictor is right on 0.735<!--exact--> of them.

## 2. A network

`demo_net.py` trains it: test ROC AUC 0.843, RMSE $25,576, validation loss 1.377, a gradient
norm of 4.6e-05 and a rate of 26.9% churners caught.
"""

DATA_OUT = "rows: 7,043, churn rate 0.265, accuracy of 'no' 0.7346"
NET_OUT = "AUC 0.8431  RMSE $25,576  val loss 1.3772  grad 4.6e-05  caught 0.269"


def _problems(data_out: str = DATA_OUT, net_out: str = NET_OUT) -> list[str]:
    return qn.unprinted_by(README, "demo_data.py", data_out) + qn.unprinted_by(README, "demo_net.py", net_out)


def test_the_kinds_are_read_from_the_marks():
    kinds = {q.text: q.exact for q in qn.quotes(README)}
    assert kinds == {"7,043": True, "26.5%": True, "0.735": True, "0.843": False, "$25,576": False,
                     "1.377": False, "4.6e-05": False, "26.9%": False}


def test_what_the_demos_printed_passes():
    assert _problems() == []


@pytest.mark.parametrize("printed, quoted", [
    ("rows: 7,044", "7,043"),  # a count one off
    ("churn rate 0.266", "26.5%"),  # a data fact in its last digit
    ("accuracy of 'no' 0.7356", "0.735"),  # a closed form rounded the wrong way
])
def test_an_exact_number_must_be_printed_exactly(printed, quoted):
    out = DATA_OUT.replace({"7,043": "rows: 7,043", "26.5%": "churn rate 0.265",
                            "0.735": "accuracy of 'no' 0.7346"}[quoted], printed)
    assert any(p.startswith(quoted) for p in qn.unprinted_by(README, "demo_data.py", out)), out


@pytest.mark.parametrize("printed", [
    "AUC 0.8445",  # two units of the last quoted digit: another machine
    "AUC 0.8412",
    "RMSE $25,572",  # what the course printed on another 2-core machine
    "RMSE $25,610",  # 0.13%
    "val loss 1.375",  # the one-thread run on that machine
    "grad 4.8e-05",  # two units of the mantissa
])
def test_a_trained_number_may_move_within_the_tolerance(printed):
    key = printed.split()[0] if not printed.startswith("val") else "val loss"
    original = {"AUC": "AUC 0.8431", "RMSE": "RMSE $25,576", "val loss": "val loss 1.3772", "grad": "grad 4.6e-05"}[key]
    assert _problems(net_out=NET_OUT.replace(original, printed)) == []


@pytest.mark.parametrize("printed, quoted", [
    ("AUC 0.8475", "0.843"),  # 4.5 units away
    ("AUC 0.834", "0.843"),  # digits swapped
    ("RMSE $25,676", "$25,576"),  # a typo in the hundreds (0.4%)
    ("val loss 1.381", "1.377"),
    ("grad 4.6e-04", "4.6e-05"),  # the wrong exponent
    ("grad 5.0e-05", "4.6e-05"),
    ("caught 0.275", "26.9%"),
])
def test_a_wrong_trained_number_fails(printed, quoted):
    key = printed.split()[0] if not printed.startswith("val") else "val loss"
    original = {"AUC": "AUC 0.8431", "RMSE": "RMSE $25,576", "val loss": "val loss 1.3772", "grad": "grad 4.6e-05",
                "caught": "caught 0.269"}[key]
    problems = _problems(net_out=NET_OUT.replace(original, printed))
    assert any(p.startswith(quoted) for p in problems), problems


def test_a_number_printed_by_another_demo_does_not_count():
    assert any(p.startswith("0.843") for p in _problems(data_out=DATA_OUT + " 0.843", net_out="RMSE $25,576"))


def test_the_tolerance_is_stated_once():
    """One rule for every trained number: three units of its last digit or 0.2%, whichever is larger."""
    q = next(q for q in qn.quotes(README) if q.text == "0.843")
    assert q.unit == pytest.approx(0.001) and q.allowed() == pytest.approx(0.0035, abs=1e-6)
    q = next(q for q in qn.quotes(README) if q.text == "$25,576")
    assert q.allowed() == pytest.approx(0.002 * 25576 + 0.5, rel=1e-6)
    q = next(q for q in qn.quotes(README) if q.text == "7,043")
    assert q.allowed() == pytest.approx(0.5, abs=1e-4)
