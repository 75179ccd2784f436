"""Print how alike correct answers written apart are, as coursekit.integrity.similarity measures
them.

The lecture's answer variants (in calibration/) hold correct answers written differently from the
instructor's on purpose. For every answer cell a correct variant replaces, this compares its code
with the instructor's solution (each less the release's given code) and prints the Jaccard
similarity of their token k-grams: the figures behind similarity.THRESHOLD.

    .venv/bin/python benchmarks/similarity_threshold.py
"""

from __future__ import annotations

import statistics
from pathlib import Path

import nbformat

from coursekit.authoring import cohort
from coursekit.calibration.variants import load_variant_set, variant_notebook_ids
from coursekit.integrity import similarity
from coursekit.reporting.report import answer_code

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lecture1"


def main() -> None:
    """One line per replaced answer cell, then the spread."""
    scores = []
    folder = ROOT / "calibration" / ASSIGNMENT / "variants"
    for notebook_id in variant_notebook_ids(folder):
        source = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{notebook_id}.ipynb", 4)
        release = nbformat.read(ROOT / "release" / ASSIGNMENT / f"{notebook_id}.ipynb", 4)
        given = answer_code(release)
        reference = cohort.solution_answers(source)
        for variant in load_variant_set(folder, notebook_id).correct:
            for grade_id, code in variant.answers.items():
                if grade_id not in reference:
                    continue
                mine = similarity.own_tokens(code, given.get(grade_id, ""))
                theirs = similarity.own_tokens(reference[grade_id], given.get(grade_id, ""))
                score = similarity.jaccard(similarity.kgrams(mine), similarity.kgrams(theirs))
                scores.append(score)
                print(
                    f"{score:5.2f}  {notebook_id}: {grade_id} ({variant.name}; "
                    f"{len(mine)} vs {len(theirs)} own tokens)"
                )
    print(
        f"\n{len(scores)} correct answers written apart vs the instructor's: median "
        f"{statistics.median(scores):.2f}, max {max(scores):.2f}; "
        f"threshold {similarity.THRESHOLD} (renamed copies score 1.00)"
    )


if __name__ == "__main__":
    main()
