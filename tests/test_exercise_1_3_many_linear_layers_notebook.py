"""What exercise 1.3 in particular promises; the conventions of every notebook are checked in
test_notebooks_static, the grading of answers in test_grading_variants.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_1_3_many_linear_layers"
CALIBRATION = Path(__file__).resolve().parents[1] / "docs" / f"calibration_{NOTEBOOK_ID}.md"


def hidden_part(cell) -> str:
    return cell.source.partition("### BEGIN HIDDEN TESTS")[2].partition("### END HIDDEN TESTS")[0]


def hidden_chains() -> list[tuple[int, ...]]:
    """Every chain of widths the hidden tests build (the lists after `for widths in`)."""
    chains = []
    for cell in autograded_tests(NOTEBOOK_ID):
        for node in ast.walk(ast.parse(hidden_part(cell))):
            if isinstance(node, ast.For) and getattr(node.target, "id", None) == "widths":
                chains += [tuple(widths) for widths in ast.literal_eval(node.iter)]
    return chains


def test_written_answers_are_the_proof_and_the_activation_question() -> None:
    written = {
        cells.grade_id(cell): cell.source
        for cell in source(NOTEBOOK_ID).cells
        if cells.is_written_answer(cell)
    }
    assert set(written) == {"answer_proof_chain_is_linear", "answer_nonlinear_activation"}
    proof = written["answer_proof_chain_is_linear"]
    assert "W_k W_{k-1} \\cdots W_1" in proof, "the model answer gives the general product"
    assert "**Rubric (3 points).**" in proof


def test_hidden_chains_cover_the_cases_students_get_wrong() -> None:
    chains = hidden_chains()
    assert any(len(widths) == 2 for widths in chains), "a single layer"
    assert any(1 in widths[1:-1] for widths in chains), "a width-1 bottleneck"
    assert any(len(widths) >= 7 for widths in chains), "six layers or more"
    assert any(widths[0] == 1 for widths in chains), "a single input"
    assert any(len(set(widths)) == 1 and len(widths) >= 3 for widths in chains), (
        "a square chain, where a reversed or transposed kernel keeps its shape"
    )
    assert any(widths[0] != widths[-1] for widths in chains), "a chain a transposed W cannot fit"


def test_hidden_tests_draw_from_seeded_generators() -> None:
    for cell in autograded_tests(NOTEBOOK_ID):
        calls = re.findall(r"default_rng\(([^)]*)\)", hidden_part(cell))
        assert all(seed.strip().isdigit() for seed in calls), (cells.grade_id(cell), calls)


def test_calibration_doc_states_the_notebook_tolerances() -> None:
    """docs/calibration_... was produced with the tolerances the notebook uses now."""
    in_notebook = {
        name: float(value)
        for cell in autograded_tests(NOTEBOOK_ID)
        for name, value in re.findall(r"^([A-Z_]+TOL) = ([0-9.eE+-]+)$", cell.source, re.MULTILINE)
    }
    assert set(in_notebook) == {"KERNEL_TOL", "OUTPUT_TOL", "MAXDIFF_TOL"}
    rows = re.findall(
        r"^\| ([A-Z_]+TOL): [^|]+\| [^|]+\| [^|]+\| ([0-9.e+-]+) \|",
        CALIBRATION.read_text(),
        re.MULTILINE,
    )
    assert {name for name, _ in rows} == set(in_notebook)
    assert all(float(value) == in_notebook[name] for name, value in rows), rows
