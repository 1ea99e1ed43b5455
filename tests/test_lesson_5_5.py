"""Rubric of lesson 5.5: hyperparameter tuning and model persistence (exercise engine v2).

The lesson's rubric is split by topic so that each part stays readable: the searches (5.5.1-5.5.3)
in ``test_lesson_5_5_search.py``, Keras Tuner (5.5.4) in ``test_lesson_5_5_tuner.py`` and
persistence (5.5.5) in ``test_lesson_5_5_persistence.py``. Each module declares its exercises and
the wrong answers they reject; this module gathers the exercises, as ``course check``, ``course
grade`` and the contract test expect of a lesson's rubric.
"""

from __future__ import annotations

import pytest

from rubric import exercise_params
from test_lesson_5_5_persistence import EX_5_5_5
from test_lesson_5_5_search import EX_5_5_1, EX_5_5_2, EX_5_5_3
from test_lesson_5_5_tuner import EX_5_5_4

EXERCISES = {e.ex_id: e for e in (EX_5_5_1, EX_5_5_2, EX_5_5_3, EX_5_5_4, EX_5_5_5)}


@pytest.mark.parametrize("ex_id", exercise_params(EXERCISES))
def test_exercise(ex_id, graded):
    graded(EXERCISES[ex_id]).assert_passed()
