"""coursekit.results of 0.1: every result type, now kept with the stage that produces it."""

from coursekit.authoring.types import (  # noqa: F401
    GradedItem,
    NotebookProof,
    NotebookSummary,
    ProofCheck,
    ReleaseReport,
)
from coursekit.calibration.types import (  # noqa: F401
    CalibrationReport,
    NotebookCalibration,
    ToleranceCalibration,
    VariantOutcome,
)
from coursekit.core.types import CellScore, KernelCrash, NotebookScore, StudentInfo  # noqa: F401
from coursekit.demo import DemoResult  # noqa: F401
from coursekit.grading.types import (  # noqa: F401
    AutogradeReport,
    CellCheck,
    CheckStatus,
    NotebookCheck,
    Status,
    StudentOutcome,
)
from coursekit.intake.types import (  # noqa: F401
    CollectAction,
    CollectedNotebook,
    CollectedStudent,
    CollectReport,
    RosterImport,
    Severity,
    SkippedEntry,
    SubmissionProblem,
)
from coursekit.integrity.types import SimilarPair, Suspicion, SuspicionKind  # noqa: F401
from coursekit.reporting.types import (  # noqa: F401
    CellGradeRow,
    FeedbackOutcome,
    FeedbackReport,
    Flag,
    FlagKind,
    GradeRow,
    LmsExport,
    NotebookTiming,
    ReportData,
    ReportFiles,
    TestPassRate,
)
