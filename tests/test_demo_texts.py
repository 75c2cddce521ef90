"""The demo data's texts read naturally: the numbers in the users' questions stay within what a
person would ask (a trip of days, not thousands of nights), and answers fit their agent."""

from __future__ import annotations

import re

import pytest

from pandaprobe_fake.fake import demo_data

BOUNDS = {  # pattern -> (smallest, largest) the question may carry
    r"for (\d+) nights": (1, 14),
    r"Plan a (\d+)-day trip": (3, 14),
    r"for (\d+) million documents": (1, 50),
    r"(?:pull request|PR) #(\d+)": (100, 999),
    r"order #(\d+)": (10_000, 79_999),
}


@pytest.fixture(scope="module")
def questions():
    data = demo_data.generate("demo", now=1_800_000_000_000_000, scores=3000, seed=11)
    found = [t["input"]["query"] for t in data["traces"]]
    assert len(found) > 300
    return data, found


@pytest.mark.parametrize("pattern", list(BOUNDS))
def test_numbers_in_questions_stay_natural(questions, pattern):
    low, high = BOUNDS[pattern]
    numbers = [int(m.group(1)) for q in questions[1] for m in [re.search(pattern, q)] if m]
    assert numbers, f"no question matched {pattern}"
    assert low <= min(numbers) and max(numbers) <= high, (pattern, min(numbers), max(numbers))


def test_the_number_helper_on_its_bounds():
    assert demo_data._numbers(2) == {"order": 10_014, "pr": 102, "millions": 3, "days": 5, "nights": 3}
    assert demo_data._numbers(9998)["order"] == 79_986
    assert {demo_data._numbers(n)["nights"] for n in range(2, 9999)} == set(range(1, 15))
    assert {demo_data._numbers(n)["days"] for n in range(2, 9999)} == set(range(3, 15))


def test_answers_are_the_agents_own_and_never_a_bare_echo(questions):
    data, _ = questions
    for trace in data["traces"]:
        answer = (trace["output"] or {}).get("answer")
        if answer is None:
            continue
        assert not answer.startswith("Done: ")
        assert trace["input"]["query"] in answer
        assert answer.startswith(demo_data._ANSWERS[trace["name"]].split("{")[0])
