"""Answers fall into groups a TA grades at once: same text, near-duplicates, blanks."""

from __future__ import annotations

from coursekit.answers.grouping import group_answers, is_blank, normalise
from coursekit.answers.types import Answer

MODEL = (
    "The loss cannot reach zero: the labels were computed from shifted coordinates that the "
    "model never sees, so even the best plane misses each label by a little noise."
)


def test_case_spacing_and_markdown_marks_do_not_separate_two_copies() -> None:
    assert normalise("**The** loss,   is 0.5!") == normalise("the LOSS is `0.5`")


def test_an_empty_answer_and_the_release_stub_are_blank() -> None:
    assert is_blank("") and is_blank("  \n") and is_blank("YOUR ANSWER HERE")
    assert not is_blank("0")


def test_groups_come_largest_first_with_near_duplicates_and_blanks_together() -> None:
    one_word = MODEL.replace("little", "small")
    answers = [
        Answer("own", "I think it is random."),
        Answer("a", MODEL),
        Answer("b", MODEL.upper()),
        Answer("c", one_word),
        Answer("blank1", "YOUR ANSWER HERE"),
        Answer("blank2", ""),
        Answer("short1", "Because of noise."),
        Answer("short2", "Because of the noise."),
    ]
    groups = group_answers(answers)
    assert [g.student_ids for g in groups] == [
        ("a", "b", "c"),
        ("blank1", "blank2"),
        ("own",),
        ("short1",),
        ("short2",),  # short answers group only when identical: one word can change the meaning
    ]
    assert [g.blank for g in groups] == [False, True, False, False, False]


def test_answers_on_the_same_topic_written_apart_stay_apart() -> None:
    apart = (
        "Training stops improving near 0.007 because the noise in the labels is random and the "
        "plane we fit cannot predict it, whatever the weights are."
    )
    groups = group_answers([Answer("a", MODEL), Answer("b", apart)])
    assert len(groups) == 2
