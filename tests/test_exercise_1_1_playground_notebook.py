"""What exercise 1.1 in particular promises; the conventions of every notebook are checked in
test_notebooks_static.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from helpers.lecture import autograded_tests, source

from coursekit.core import cells

NOTEBOOK_ID = "exercise_1_1_playground"
CALIBRATION_DOC = (
    Path(__file__).resolve().parents[1] / "docs" / "calibration_exercise_1_1_playground.md"
)


def setup_constants() -> dict[str, object]:
    """The literal constants of the locked data cell (read, not executed)."""
    setup = next(c for c in source(NOTEBOOK_ID).cells if cells.grade_id(c) == "setup_data")
    constants = {}
    for node in ast.parse(setup.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # computed values (the data) are not constants
                continue
    return constants


def playground_settings() -> dict[str, str]:
    """The settings in the Playground link of the introduction."""
    intro = source(NOTEBOOK_ID).cells[0].source
    url = re.search(r"\((https://playground\.tensorflow\.org/[^)]+)\)", intro).group(1)
    return dict(parse_qsl(urlsplit(url).fragment, keep_blank_values=True))


def test_playground_link_opens_the_single_node_regression_of_the_lecture() -> None:
    settings = playground_settings()
    expected = {
        "problem": "regression",
        "regDataset": "reg-plane",
        "activation": "linear",
        "learningRate": "0.01",
        "batchSize": "10",
        "noise": "25",
        "percTrainData": "50",
        "x": "true",
        "y": "true",
        "networkShape": "",  # no hidden layer: the output node is the perceptron
    }
    assert {key: settings.get(key) for key in expected} == expected
    switched_on = [
        key
        for key in ("xTimesY", "xSquared", "ySquared", "sinX", "sinY")
        if settings[key] != "false"
    ]
    assert switched_on == [], "only X1 and X2 feed the model"


def test_setup_uses_the_lectures_settings() -> None:
    constants = setup_constants()
    assert constants["LEARNING_RATES"] == (0.0001, 0.001, 0.01, 0.1, 1, 10)
    assert constants["BATCH_SIZE"] == 10
    assert constants["NOISE"] == 25
    assert set(constants["INPUT_CHOICES"]) == {"X1 and X2", "only X1", "only X2"}


def test_every_question_of_the_lecture_is_graded() -> None:
    graded = {cells.grade_id(c) for c in source(NOTEBOOK_ID).cells if cells.is_grade(c)}
    assert {
        "n_parameters_counts_weights_and_bias",
        "final_training_loss_matches_reference_training",
        "best_inputs_gives_lowest_loss",
        "diverging_learning_rates_identified",
        "answer_inputs",
        "answer_learning_rates",
    } <= graded
    assert len(autograded_tests(NOTEBOOK_ID)) >= 10


def test_calibration_doc_lists_every_tolerance_with_its_value() -> None:
    """A changed tolerance must be recalibrated: the committed table shows the current values."""
    doc = CALIBRATION_DOC.read_text()
    for cell in autograded_tests(NOTEBOOK_ID):
        for name, value in re.findall(r"^\s*([A-Z_]+TOL) = (\S+)$", cell.source, re.MULTILINE):
            assert f"{name} = {float(value):g}" in doc, (
                f"{name} = {value} is not in {CALIBRATION_DOC.name}"
            )
