"""Normalised code similarity of students' answer cells: pairs for a TA to look at, never a penalty.

Each answer cell is tokenized with Python's own tokenizer; comments, blank lines and docstrings
are dropped, string literals become one placeholder and every name that is not a keyword, a
builtin or an attribute becomes `ID`, so renaming variables, rewording comments or reformatting
changes nothing. What the release already put in the cell (the `def` line, the stub) is removed
before comparing, so two untouched or near-blank answers never look alike. Two students' answers
of one notebook are compared as sets of token k-grams (Jaccard).
"""

from __future__ import annotations

import builtins
import difflib
import io
import itertools
import keyword
import tokenize
from collections.abc import Iterator, Mapping

from coursekit.integrity.types import SimilarPair

# 4 tokens: `ID = ID +`, `( ID , ID`: long enough that common one-liners do not make two answers
# alike, short enough that an inserted line only breaks the grams around it.
KGRAM = 4
# Fewer own tokens than this (about four lines of code) say nothing: short correct answers are
# alike by necessity (the tiny test course's two one-line solutions make 25 tokens).
MIN_OWN_TOKENS = 40
# Renamed, re-commented or reformatted copies score 1.0, and a copy with one line inserted into
# 90 tokens 0.91; the 80 correct answers of the lecture's variants, written apart from the
# instructor's, score 0.21 in the median and 0.78 at most, cell by cell
# (benchmarks/similarity_threshold.py prints them).
THRESHOLD = 0.85

NAME_PLACEHOLDER = "ID"
STRING_PLACEHOLDER = "STR"
# `_` is a builtin only in interactive sessions; in an answer it is a variable.
KEPT_NAMES = (
    frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
) - {"_"}
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
STATEMENT_START = {None, "NEWLINE", "INDENT", "DEDENT"}
# Runs of at least 3 tokens that the release's cell also has are given code (`def ID ( ID ) :`,
# `raise NotImplementedError ( )`); a lone `(` or `NEWLINE` that lines up by chance is the
# student's own.
MIN_GIVEN_RUN = 3


def python_lines(code: str) -> str:
    """Code without IPython's magics and shell escapes, which Python's tokenizer cannot read."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()
    )


def raw_tokens(code: str) -> Iterator[tokenize.TokenInfo]:
    """Python's tokens of code; for code that does not tokenize, those before the error."""
    try:
        yield from tokenize.generate_tokens(io.StringIO(python_lines(code) + "\n").readline)
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return


def normalise_tokens(code: str) -> tuple[str, ...]:
    """The tokens of code with names, strings, comments, layout and docstrings normalised away."""
    kept: list[str] = []
    previous: str | None = None
    tokens = [t for t in raw_tokens(code) if t.type not in SKIPPED]
    for index, token in enumerate(tokens):
        following = tokens[index + 1].type if index + 1 < len(tokens) else tokenize.NEWLINE
        starts = previous in STATEMENT_START
        if token.type == tokenize.STRING and starts and following == tokenize.NEWLINE:
            continue  # a docstring or another bare string statement
        if token.type == tokenize.NEWLINE and starts:
            continue  # the end of a dropped docstring's line
        text = normalise_token(token, previous)
        kept.append(text)
        previous = text
    return tuple(kept)


def normalise_token(token: tokenize.TokenInfo, previous: str | None) -> str:
    """One token as it is compared: structure kept, what a copier renames replaced."""
    if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
        return tokenize.tok_name[token.type]
    if token.type == tokenize.STRING:
        return STRING_PLACEHOLDER
    if token.type == tokenize.NAME and token.string not in KEPT_NAMES and previous != ".":
        return NAME_PLACEHOLDER  # attributes stay: they name the library API the task needs
    return token.string


def own_tokens(answer: str, given: str) -> tuple[str, ...]:
    """The normalised tokens of an answer less those the release's version of the cell holds."""
    answer_tokens = normalise_tokens(answer)
    given_tokens = normalise_tokens(given)
    matcher = difflib.SequenceMatcher(None, given_tokens, answer_tokens, autojunk=False)
    given_positions = {
        block.b + offset
        for block in matcher.get_matching_blocks()
        if block.size >= MIN_GIVEN_RUN
        for offset in range(block.size)
    }
    return tuple(t for i, t in enumerate(answer_tokens) if i not in given_positions)


def kgrams(tokens: tuple[str, ...], k: int = KGRAM) -> frozenset[tuple[str, ...]]:
    """The set of k consecutive tokens (a shorter sequence is its own single gram)."""
    if len(tokens) < k:
        return frozenset({tokens}) if tokens else frozenset()
    return frozenset(tokens[i : i + k] for i in range(len(tokens) - k + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a ∩ b| / |a ∪ b|; 0 when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def similar_pairs(
    notebook_id: str,
    answers: Mapping[str, Mapping[str, str]],
    given: Mapping[str, str],
    threshold: float = THRESHOLD,
) -> tuple[SimilarPair, ...]:
    """Pairs of students whose own answer code in one notebook is at least threshold alike.

    answers: student_id -> grade_id -> the code of each answer cell; given: grade_id -> the
    release's code of that cell. Students with fewer than MIN_OWN_TOKENS own tokens are skipped.
    """
    fingerprints: dict[str, tuple[frozenset, int]] = {}
    for student_id, cells in sorted(answers.items()):
        grams: set[tuple[str, ...]] = set()
        count = 0
        for grade_id, code in sorted(cells.items()):
            tokens = own_tokens(code, given.get(grade_id, ""))
            count += len(tokens)
            # The grade_id keeps grams of different cells apart.
            grams.update((grade_id, *gram) for gram in kgrams(tokens))
        if count >= MIN_OWN_TOKENS:
            fingerprints[student_id] = (frozenset(grams), count)
    pairs = []
    for (a, (grams_a, count_a)), (b, (grams_b, count_b)) in itertools.combinations(
        fingerprints.items(), 2
    ):
        score = jaccard(grams_a, grams_b)
        if score >= threshold:
            pairs.append(SimilarPair(notebook_id, a, b, round(score, 3), count_a, count_b))
    return tuple(sorted(pairs, key=lambda p: (-p.similarity, p.student_a, p.student_b)))
