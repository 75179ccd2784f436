"""The gradebook table coursekit adds beside nbgrader's: a fingerprint of each graded answer.

Why it exists: coursekit.steps.gradebook_writes (a TA's grade is flagged again only when the
answer it graded changed). nbgrader and its formgrader never read it.
"""

from __future__ import annotations

import sqlalchemy as sa
from nbgrader.api import Gradebook
from sqlalchemy.exc import SQLAlchemyError

METADATA = sa.MetaData()
FINGERPRINTS = sa.Table(
    "coursekit_graded_answer",
    METADATA,
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("notebook", sa.String(128), primary_key=True),
    sa.Column("grade_id", sa.String(128), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
)


def create_fingerprint_table(engine: sa.engine.Engine) -> None:
    """Create the fingerprint table if the gradebook lacks it (tolerating a racing creator)."""
    try:
        METADATA.create_all(engine, checkfirst=True)
    except SQLAlchemyError:
        # Another grading process created it between our check and our CREATE TABLE.
        if not sa.inspect(engine).has_table(FINGERPRINTS.name):
            raise


def prepare_fingerprints(db_url: str) -> None:
    """Create the fingerprint table once, before grading processes share the gradebook."""
    # After nbgrader's own tables: a Gradebook that finds any table takes the database for an
    # existing gradebook and would not record its alembic version.
    with Gradebook(db_url) as gradebook:
        create_fingerprint_table(gradebook.engine)
