"""Answers grouped for grading at once: the same text once normalised, near-duplicates, blanks.

Normalising drops what a reader ignores (case, Markdown emphasis and code marks, punctuation,
spacing), so copies that differ only in those fall together. Near-duplicates are compared as
sets of word pairs (Jaccard): one changed word in a 40-word answer keeps about 0.9 of them, two
answers written apart on the same question share about 0.2 (the lecture's model answers against
each other: 0.02 to 0.10). A TA sees each group's answers in full and can still grade one alone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from coursekit.answers.types import Answer, AnswerGroup

# Word pairs shared, of all pairs of the two answers, for them to be one group.
NEAR_DUPLICATE = 0.8
# Fewer words than this and a changed word changes the meaning: only identical texts group.
MIN_WORDS_FOR_NEAR = 8
STUBS = ("your answer here",)  # nbgrader's text_stub (nbgrader_config.py), normalised
WORD = re.compile(r"[^\W_]+(?:[.,][^\W_]+)*")  # words and numbers such as 0.5 or 1,000


def normalise(text: str) -> str:
    """The words of text in lower case, one space apart: what two copies have in common."""
    return " ".join(WORD.findall(text.lower()))


def is_blank(text: str) -> bool:
    """Whether an answer says nothing: empty, or only the release's stub."""
    words = normalise(text)
    return not words or words in STUBS


def word_pairs(words: str) -> frozenset[tuple[str, str]]:
    """The pairs of consecutive words of a normalised text."""
    split = words.split()
    return frozenset(zip(split, split[1:], strict=False))


def similarity(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    """Jaccard similarity of two sets of word pairs (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def group_answers(answers: Sequence[Answer]) -> list[AnswerGroup]:
    """Answers in groups, the largest first; blanks form one group, and ties keep first seen."""
    blanks = [answer for answer in answers if is_blank(answer.text)]
    by_text: dict[str, list[Answer]] = {}
    for answer in answers:
        if not is_blank(answer.text):
            by_text.setdefault(normalise(answer.text), []).append(answer)
    groups = [
        AnswerGroup(tuple(answer for text in texts for answer in by_text[text]), blank=False)
        for texts in near_duplicate_sets(list(by_text))
    ]
    if blanks:
        groups.append(AnswerGroup(tuple(blanks), blank=True))
    order = {answer.student_id: index for index, answer in enumerate(answers)}
    return sorted(groups, key=lambda g: (-len(g.answers), order[g.answers[0].student_id]))


def near_duplicate_sets(texts: list[str]) -> list[list[str]]:
    """Normalised texts joined into near-duplicate sets (single linkage), in first-seen order."""
    parent = list(range(len(texts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    pairs = [word_pairs(text) for text in texts]
    long_enough = [i for i, text in enumerate(texts) if len(text.split()) >= MIN_WORDS_FOR_NEAR]
    for i, j in itertools.combinations(long_enough, 2):
        if similarity(pairs[i], pairs[j]) >= NEAR_DUPLICATE:
            parent[root(j)] = root(i)
    sets: dict[int, list[str]] = {}
    for index, text in enumerate(texts):
        sets.setdefault(root(index), []).append(text)
    return list(sets.values())
