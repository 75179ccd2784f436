"""coursekit's import graph, read from the source: module cycles, who imports nbgrader, and the
stage packages as a Mermaid picture (docs/architecture.md holds its output).

    python tools/import_graph.py            # the Mermaid diagram of the stage packages
    python tools/import_graph.py --check    # exit 1 on a module cycle or a layer broken

Only imports that run when a module is imported count: those at module level, outside
`if TYPE_CHECKING:`. An import inside a function runs when the function does (the CLI's verbs
import their stage that way) and cannot form an import cycle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "coursekit"

# The stages from the bottom up: a package imports only its own layer and those below it.
# core and nbgrader are the base (the course's paths come from nbgrader's CourseDirectory;
# nbgrader's wrappers return core's types). compat is the one-release map of old paths.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core", "nbgrader"),
    ("integrity",),
    ("steps",),
    ("isolation",),
    ("intake",),
    ("authoring",),
    ("grading",),
    ("answers",),
    ("reporting",),
    ("calibration",),
    ("demo",),
    ("cli",),
    ("compat",),
)
# nbgrader is talked to from coursekit.nbgrader; the steps subclass its preprocessors.
NBGRADER_IMPORTERS = ("coursekit.nbgrader", "coursekit.steps")


@dataclass
class ImportGraph:
    """Module -> the coursekit modules it imports when imported, and every nbgrader import."""

    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=dict)
    # Every coursekit import, those inside functions too: what a module depends on.
    dependencies: dict[str, set[str]] = field(default_factory=dict)
    nbgrader_imports: dict[str, set[str]] = field(default_factory=dict)

    def stage_of(self, module: str) -> str:
        """The stage package (or top-level module) a coursekit module belongs to."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else ""

    def stage_edges(self) -> dict[str, set[str]]:
        """Stage -> the other stages it imports, at import time or when a function runs."""
        stages: dict[str, set[str]] = {}
        for module, targets in self.dependencies.items():
            for target in targets:
                a, b = self.stage_of(module), self.stage_of(target)
                if a and b and a != b:
                    stages.setdefault(a, set()).add(b)
        return stages


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """coursekit.x.y of src/coursekit/x/y.py (a package's __init__ is the package)."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def eager_imports(body: list[ast.stmt]) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, and whether it runs when the module is imported."""

    def walk(statements: list[ast.stmt], eager: bool) -> Iterator[tuple[ast.AST, bool]]:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(node.body, False)
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node, eager
            inner = eager and not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            for name in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(node, name, None)
                if isinstance(block, list):
                    yield from walk(block, inner)

    yield from walk(body, True)  # type: ignore[misc]


def imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement imports (for `from a import b`: a.b if a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def read_graph(package: Path = PACKAGE) -> ImportGraph:
    """The import graph of every module under the package folder."""
    graph = ImportGraph({module_name(p, package): p for p in sorted(package.rglob("*.py"))})
    for module, path in graph.modules.items():
        targets: set[str] = set()
        dependencies: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, eager in eager_imports(tree.body):
            names = imported_names(node, module, path.name == "__init__.py")
            for name in names:
                if name.split(".")[0] == "nbgrader":
                    graph.nbgrader_imports.setdefault(module, set()).add(name)
            submodules = [n for n in names[1:] if n in graph.modules]
            if (
                isinstance(node, ast.ImportFrom)
                and submodules
                and len(submodules) == len(names[1:])
            ):
                names = submodules  # `from pkg import mod`: the edge is to mod
            found = {n for n in names if n in graph.modules and n != module}
            dependencies |= found
            if eager:
                targets |= found
        graph.edges[module] = targets
        graph.dependencies[module] = dependencies
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def layer_violations(graph: ImportGraph) -> list[str]:
    """`a.b imports c.d`, for each import (eager or in a function) of a stage above the
    importer's layer."""
    rank = {stage: level for level, stages in enumerate(LAYERS) for stage in stages}
    found = []
    for module, targets in sorted(graph.dependencies.items()):
        stage = graph.stage_of(module)
        for target in sorted(targets):
            other = graph.stage_of(target)
            if stage in rank and other in rank and rank[other] > rank[stage]:
                found.append(f"{module} ({stage}) imports {target} ({other})")
    return found


def unplaced_stages(graph: ImportGraph) -> list[str]:
    """Stage packages or top-level modules that no layer names."""
    placed = {stage for stages in LAYERS for stage in stages}
    stages = {graph.stage_of(m) for m in graph.modules} - {""}
    return sorted(stages - placed)


def nbgrader_outsiders(graph: ImportGraph) -> list[str]:
    """Modules outside coursekit.nbgrader and coursekit.steps that import nbgrader."""
    return sorted(
        f"{module}: {', '.join(sorted(names))}"
        for module, names in graph.nbgrader_imports.items()
        if not module.startswith(NBGRADER_IMPORTERS)
    )


def mermaid(graph: ImportGraph) -> str:
    """The stages and their imports as a Mermaid flowchart, top layer first.

    Imports of the base layer (core, nbgrader) are left out: nearly every stage has them, and
    drawn they hide the shape. compat is left out too (it imports what it forwards to).
    """
    base = set(LAYERS[0])
    lines = ["flowchart TD"]
    stage_edges = graph.stage_edges()
    for stages in reversed(LAYERS[1:]):
        for stage in stages:
            if stage == "compat":
                continue
            for target in sorted(stage_edges.get(stage, set()) - base):
                lines.append(f"    {stage} --> {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the diagram, or with --check the cycles and layer violations (exit 1 if any)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check cycles and layers")
    args = parser.parse_args(argv)
    graph = read_graph()
    if not args.check:
        print(mermaid(graph))
        return 0
    problems = [
        *(f"import cycle: {' -> '.join(group)}" for group in cycles(graph.edges)),
        *layer_violations(graph),
        *(f"not in any layer: {stage}" for stage in unplaced_stages(graph)),
        *(f"imports nbgrader: {line}" for line in nbgrader_outsiders(graph)),
    ]
    print("\n".join(problems) or f"{len(graph.modules)} modules: no cycle, every layer kept")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
