"""Normalised similarity: renamed copies are alike, given code and short answers never count."""

from __future__ import annotations

from helpers.report_cohort import (
    ADD_LOOP,
    ADD_LOOP_RENAMED,
    ADD_OWN,
    SQUARE_LOOP,
    SQUARE_LOOP_RENAMED,
    SQUARE_OWN,
)

from coursekit.integrity.similarity import (
    MIN_OWN_TOKENS,
    THRESHOLD,
    jaccard,
    kgrams,
    normalise_tokens,
    own_tokens,
    similar_pairs,
)

GIVEN_ADD = (
    'def add(a, b):\n    """Return a + b."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
)
GIVEN_SQUARE = "# YOUR CODE HERE\nraise NotImplementedError()"
GIVEN = {"add_answer": GIVEN_ADD, "square_answer": GIVEN_SQUARE}


def answers(add: str, square: str) -> dict[str, str]:
    return {"add_answer": add, "square_answer": square}


def similarity(a: str, b: str, given: str = "") -> float:
    return jaccard(kgrams(own_tokens(a, given)), kgrams(own_tokens(b, given)))


def test_renamed_recommented_reformatted_copy_normalises_to_the_same_tokens() -> None:
    assert own_tokens(ADD_LOOP, GIVEN_ADD) == own_tokens(ADD_LOOP_RENAMED, GIVEN_ADD)
    assert similarity(SQUARE_LOOP, SQUARE_LOOP_RENAMED) == 1.0


def test_comments_docstrings_strings_and_blank_lines_are_ignored() -> None:
    plain = "def f(x):\n    return g(x, 'a')\n"
    dressed = 'def f(y):\n    """Doc."""\n\n    # why\n    return g(y, "other text")  # note\n'
    assert normalise_tokens(plain) == normalise_tokens(dressed)


def test_library_calls_and_keywords_are_kept() -> None:
    assert normalise_tokens("np.mean(x)") != normalise_tokens("np.sum(x)")
    assert "for" in normalise_tokens("for i in range(3):\n    pass")


def test_the_releases_given_code_and_stub_are_not_the_students_own() -> None:
    assert own_tokens(GIVEN_ADD, GIVEN_ADD) == ()
    assert len(own_tokens(ADD_LOOP, GIVEN_ADD)) < len(normalise_tokens(ADD_LOOP))


def test_blank_and_short_identical_answers_are_never_paired() -> None:
    short = answers(
        'def add(a, b):\n    """Return a + b."""\n    return a + b',
        "def square(x):\n    return x * x",
    )
    pairs = similar_pairs(
        "nb",
        {"blank1": GIVEN, "blank2": GIVEN, "short1": short, "short2": short},
        GIVEN,
    )
    assert pairs == ()
    assert sum(len(own_tokens(code, GIVEN[g])) for g, code in short.items()) < MIN_OWN_TOKENS


def test_renamed_copy_is_paired_and_an_independent_answer_is_not() -> None:
    pairs = similar_pairs(
        "nb",
        {
            "ann": answers(ADD_LOOP, SQUARE_LOOP),
            "cat": answers(ADD_LOOP_RENAMED, SQUARE_LOOP_RENAMED),
            "dee": answers(ADD_OWN, SQUARE_OWN),
        },
        GIVEN,
    )
    assert [(p.student_a, p.student_b, p.similarity) for p in pairs] == [("ann", "cat", 1.0)]
    assert similarity(ADD_LOOP + SQUARE_LOOP, ADD_OWN + SQUARE_OWN) < THRESHOLD


def test_one_inserted_line_still_pairs_a_copy() -> None:
    edited = SQUARE_LOOP_RENAMED.replace("    out = 0\n", "    out = 0\n    print(value)\n")
    pairs = similar_pairs(
        "nb",
        {"ann": answers(ADD_LOOP, SQUARE_LOOP), "cat": answers(ADD_LOOP_RENAMED, edited)},
        GIVEN,
    )
    assert len(pairs) == 1 and THRESHOLD <= pairs[0].similarity < 1.0


def test_magics_and_code_that_does_not_parse_are_compared_as_far_as_they_go() -> None:
    assert normalise_tokens("%matplotlib inline\nx = 1\n") == normalise_tokens("x = 1\n")
    assert normalise_tokens("x = (1,\n") == ("ID", "=", "(", "1", ",")
    # An indentation error ends tokenizing there; what came before still counts.
    assert normalise_tokens("def f(x):\n        return 1\n    oops\n")[:3] == ("def", "ID", "(")
