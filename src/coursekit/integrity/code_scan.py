"""Scan one cell's code for what a TA should look at: the rules, on Python's syntax tree.

Tolerant of what students hand in: IPython magics and shell lines are set aside (and flagged
when they run something), lines that do not parse are blanked one at a time, and every line
set aside is still matched against TEXT_PATTERNS. suspicion.py applies this to notebooks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coursekit.integrity.scan_rules import (
    BUILTIN_NAMES,
    CALL_KINDS,
    CALL_PREFIX_KINDS,
    CODE_CHARS,
    COMPARISON_METHODS,
    CONFIG_PREFIXES,
    DYNAMIC_BUILTINS,
    EXIT_BUILTINS,
    GRADER_PATTERNS,
    HARMLESS_LINE_MAGICS,
    HELP_LINE,
    INTERCEPT_METHODS,
    MAGIC_LINE,
    MODULE_KINDS,
    MUTATING_METHODS,
    PYTHON_CELL_MAGICS,
    SHELL_ASSIGN,
    SHELL_CELL_MAGICS,
    SHELL_HOOKS,
    SHELL_MAGICS,
    SYS_HOOKS,
    SYS_IMPORT_STATE,
    TRUTH_METHODS,
    USUAL_MODULE_NAMES,
)
from coursekit.integrity.types import SuspicionKind

Kind = SuspicionKind


@dataclass(frozen=True)
class Finding:
    """One suspicious line of one cell's code (line 1-based in the cell)."""

    line: int
    kind: SuspicionKind
    detail: str


def quoted(line: str) -> str:
    """A line of code as a flag quotes it, cut to CODE_CHARS."""
    text = line.strip()
    return text if len(text) <= CODE_CHARS else text[: CODE_CHARS - 1] + "…"


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def is_constant_result(node: ast.AST | None) -> bool:
    """Whether an expression always gives the same value (True, 1, not False, x if c else True)."""
    if node is None:
        return True  # a bare `return` or a function that falls off its end: None
    if isinstance(node, ast.Constant):
        return node.value is not NotImplemented and not isinstance(node.value, str | bytes)
    if isinstance(node, ast.UnaryOp):
        return is_constant_result(node.operand)
    if isinstance(node, ast.IfExp):
        return is_constant_result(node.body) and is_constant_result(node.orelse)
    return False


def returned(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST | None]:
    """The expressions a function returns (a lambda: its body)."""
    if isinstance(function, ast.Lambda):
        return [function.body]
    found: list[ast.AST | None] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Return):
            found.append(node.value)
    if not found or not isinstance(function.body[-1], ast.Return | ast.Raise):
        found.append(None)
    return found


def names_used(node: ast.AST) -> set[str]:
    """Every name a piece of code reads."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class Scanner(ast.NodeVisitor):
    """Collects Findings from one cell's syntax tree; `modules` maps local names to modules."""

    def __init__(self, modules: Mapping[str, str], lines: list[str]) -> None:
        self.modules = dict(modules)
        self.lines = lines
        self.shells: set[str] = set()  # local names bound to get_ipython()
        self.findings: list[Finding] = []

    def flag(self, node: ast.AST, kind: SuspicionKind, what: str) -> None:
        """Record a finding at node's first line, quoting that line."""
        line = getattr(node, "lineno", 1)
        code = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        self.findings.append(Finding(line, kind, f"{what}: `{quoted(code)}`"))

    def module_path(self, node: ast.AST) -> str | None:
        """`numpy.testing.assert_allclose` for np.testing.assert_allclose, if np is a module."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head not in self.modules:
            return None
        return f"{self.modules[head]}.{rest}" if rest else self.modules[head]

    def is_shell(self, node: ast.AST) -> bool:
        """Whether node is the IPython shell: get_ipython(), a name bound to it, or IPython's."""
        if isinstance(node, ast.Call):
            name = dotted(node.func) or ""
            return name.split(".")[-1] in ("get_ipython", "instance") and (
                name == "get_ipython" or "IPython" in name or "Shell" in name
            )
        return isinstance(node, ast.Name) and node.id in self.shells

    # imports ---------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self.flag_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            self.flag(node, Kind.GRADER_ACCESS, "a relative import reaches outside the notebook")
        for alias in node.names:
            self.modules[alias.asname or alias.name] = f"{base}.{alias.name}"
            if alias.name == "*":
                continue
            self.flag_module(node, f"{base}.{alias.name}")
            if f"{base}.{alias.name}" in CALL_KINDS and CALL_KINDS[f"{base}.{alias.name}"]:
                self.flag(node, CALL_KINDS[f"{base}.{alias.name}"], f"imports {alias.name}")
            if (alias.asname or alias.name) in BUILTIN_NAMES:
                self.flag(node, Kind.BUILTINS, f"an import shadows the builtin {alias.asname}")
        self.flag_module(node, base)

    def flag_module(self, node: ast.AST, module: str) -> None:
        for prefix, kind in MODULE_KINDS.items():
            if module == prefix or module.startswith(prefix + "."):
                self.flag(node, kind, f"imports {module}")
                return

    # assignments -------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.check_target(target, node.value, node)
        if (
            len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and self.is_shell(node.value)
        ):
            self.shells.add(node.targets[0].id)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_target(node.target, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.check_target(node.target, node.value, node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.check_target(target, None, node)
        self.generic_visit(node)

    def check_target(self, target: ast.AST, value: ast.AST | None, node: ast.AST) -> None:
        """Flag an assignment (or del) to a library attribute, builtins, sys state or a hook."""
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.check_target(element, None, node)
            return
        if isinstance(target, ast.Starred):
            self.check_target(target.value, None, node)
            return
        if isinstance(target, ast.Name):
            if target.id == "__builtins__":
                self.flag(node, Kind.BUILTINS, "rebinds __builtins__")
            elif target.id in BUILTIN_NAMES and self.at_top(node) and is_callable_value(value):
                self.flag(node, Kind.BUILTINS, f"replaces the builtin {target.id}()")
            return
        if isinstance(target, ast.Subscript):
            self.check_subscript_target(target, node)
            return
        if not isinstance(target, ast.Attribute):
            return
        if self.is_shell(target.value):
            self.flag(node, Kind.IPYTHON_HOOK, f"replaces the IPython shell's {target.attr}")
            return
        path = self.module_path(target)
        if path is None:
            return
        if path.startswith("builtins."):
            self.flag(node, Kind.BUILTINS, f"rebinds {path}")
        elif path.startswith("sys.") and path.split(".")[1] in SYS_HOOKS:
            self.flag(node, Kind.INTERPRETER_HOOK, f"replaces {path}")
        elif path.startswith("sys.") and path.split(".")[1] in SYS_IMPORT_STATE:
            self.flag(node, Kind.IMPORT_MACHINERY, f"replaces {path}")
        elif path.startswith("sys."):
            self.flag(node, Kind.INTERPRETER_HOOK, f"changes {path}")
        elif path.startswith("os.environ"):
            return
        elif not any(path.startswith(prefix) for prefix in CONFIG_PREFIXES):
            self.flag(node, Kind.LIBRARY_REBINDING, f"rebinds {path}")

    def check_subscript_target(self, target: ast.Subscript, node: ast.AST) -> None:
        holder = target.value
        name = dotted(holder) or ""
        path = self.module_path(holder) or ""
        if name.endswith("__dict__") or (
            isinstance(holder, ast.Call) and dotted(holder.func) in ("vars", "globals", "locals")
        ):
            self.flag(node, Kind.LIBRARY_REBINDING, "writes a namespace dictionary")
        elif path.startswith("sys.") and path.split(".")[1] in SYS_IMPORT_STATE:
            self.flag(node, Kind.IMPORT_MACHINERY, f"edits {path}")
        elif name == "__builtins__" or path.startswith("builtins."):
            self.flag(node, Kind.BUILTINS, "edits the builtins")

    def at_top(self, node: ast.AST) -> bool:
        return getattr(node, "col_offset", 1) == 0

    # definitions -------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name in BUILTIN_NAMES and self.at_top(node):
            self.flag(
                node, Kind.BUILTINS, f"defines a function that replaces the builtin {node.name}()"
            )
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.name in BUILTIN_NAMES and self.at_top(node):
            self.flag(node, Kind.BUILTINS, f"defines a class that replaces the builtin {node.name}")
        for item in node.body:
            self.check_class_member(node, item)
        self.generic_visit(node)

    def check_class_member(self, cls: ast.ClassDef, item: ast.stmt) -> None:
        """Flag comparisons and truth tests that ignore their operand or return a constant."""
        members: list[
            tuple[str, ast.AST, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None]
        ]
        members = []
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            members.append((item.name, item, item))
        elif isinstance(item, ast.Assign):
            function = item.value if isinstance(item.value, ast.Lambda) else None
            members.extend(
                (target.id, item, function)
                for target in item.targets
                if isinstance(target, ast.Name)
            )
        for name, node, function in members:
            if name in INTERCEPT_METHODS:
                self.flag(node, Kind.RIGGED_COMPARISON, f"{cls.name} defines {name}")
            elif name in COMPARISON_METHODS | TRUTH_METHODS:
                why = (
                    rigged(name, function) if function is not None else "is bound to another object"
                )
                if why:
                    self.flag(node, Kind.RIGGED_COMPARISON, f"{cls.name}.{name} {why}")

    # calls -------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        path = self.module_path(node.func)
        if isinstance(node.func, ast.Name) and node.func.id not in self.modules:
            self.check_builtin_call(node, node.func.id)
        if path is not None:
            self.check_module_call(node, path)
        if isinstance(node.func, ast.Attribute):
            self.check_method_call(node, node.func)
        self.generic_visit(node)

    def check_builtin_call(self, node: ast.Call, name: str) -> None:
        if name in DYNAMIC_BUILTINS:
            self.flag(node, Kind.DYNAMIC_CODE, f"calls {name}()")
            self.scan_literal_code(node)
        elif name in EXIT_BUILTINS:
            self.flag(node, Kind.PROCESS_CONTROL, f"calls {name}()")
        elif name in ("setattr", "delattr") and node.args:
            self.check_setattr(node, node.args[0])

    def check_setattr(self, node: ast.Call, holder: ast.AST) -> None:
        if self.is_shell(holder):
            self.flag(node, Kind.IPYTHON_HOOK, "sets an attribute of the IPython shell")
            return
        path = self.module_path(holder)
        if isinstance(holder, ast.Name) and holder.id == "__builtins__":
            path = "builtins"
        if path is None:
            return
        kind = Kind.BUILTINS if path.split(".")[0] == "builtins" else Kind.LIBRARY_REBINDING
        if path.split(".")[0] == "sys":
            kind = Kind.INTERPRETER_HOOK
        self.flag(node, kind, f"sets an attribute of {path}")

    def check_module_call(self, node: ast.Call, path: str) -> None:
        if path in CALL_KINDS:
            kind = CALL_KINDS[path]
            if kind is not None:
                self.flag(node, kind, f"calls {path}")
            return
        for prefix, kind in CALL_PREFIX_KINDS.items():
            if path.startswith(prefix):
                self.flag(node, kind, f"calls {path}")
                return
        if path.startswith("importlib") or path.startswith("runpy"):
            self.flag(node, Kind.DYNAMIC_CODE, f"calls {path}")
        elif path.startswith("signal."):
            self.flag(node, Kind.PROCESS_CONTROL, f"calls {path}")
        elif path.startswith(("subprocess.", "socket.", "multiprocessing.", "ctypes.")):
            self.flag(node, Kind.SYSTEM_ACCESS, f"calls {path}")
        elif path.startswith("threading.") and path.endswith(("Thread", "Timer")):
            self.flag(node, Kind.PROCESS_CONTROL, f"starts a thread ({path})")
        elif path in ("os.listdir", "os.walk", "os.scandir", "glob.glob", "glob.iglob"):
            self.check_listing(node, path)

    def check_listing(self, node: ast.Call, path: str) -> None:
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and first.value in ("/", "~", "..", "../"):
            self.flag(node, Kind.GRADER_ACCESS, f"lists {first.value!r} with {path}")

    def check_method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        holder = func.value
        if self.is_shell(holder) or (
            isinstance(holder, ast.Attribute) and self.is_shell(holder.value)
        ):
            attr = func.attr if self.is_shell(holder) else holder.attr
            if attr == "run_line_magic" and magic_name(node) in HARMLESS_LINE_MAGICS:
                return
            if attr in SHELL_HOOKS:
                self.flag(node, Kind.IPYTHON_HOOK, f"uses the IPython shell's {attr}")
            return
        path = self.module_path(holder) or ""
        if path.startswith("sys.") and path.split(".")[1] in SYS_IMPORT_STATE:
            if func.attr in MUTATING_METHODS:
                self.flag(node, Kind.IMPORT_MACHINERY, f"edits {path} ({func.attr})")
        elif (dotted(holder) or "").endswith("__dict__") and func.attr in MUTATING_METHODS:
            self.flag(node, Kind.LIBRARY_REBINDING, f"edits a namespace dictionary ({func.attr})")
        elif isinstance(holder, ast.Call) and dotted(holder.func) in ("globals", "vars"):
            if func.attr in MUTATING_METHODS:
                self.flag(node, Kind.LIBRARY_REBINDING, f"edits {dotted(holder.func)}() directly")
        elif path.startswith("builtins") and func.attr in MUTATING_METHODS:
            self.flag(node, Kind.BUILTINS, f"edits the builtins ({func.attr})")

    def scan_literal_code(self, node: ast.Call) -> None:
        """Scan the code in a string literal given to exec/eval/compile, at this line."""
        first = node.args[0] if node.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return
        inner = scan_code(first.value, self.modules)
        for finding in inner:
            self.findings.append(
                Finding(node.lineno, finding.kind, f"in a string: {finding.detail}")
            )

    # names and strings -------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__" and isinstance(node.ctx, ast.Load):
            self.flag(node, Kind.BUILTINS, "uses __builtins__")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        path = self.module_path(node) or ""
        if path in ("os.pardir",):
            self.flag(node, Kind.GRADER_ACCESS, "climbs out of its folder (os.pardir)")
        elif node.attr in ("f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame"):
            self.flag(node, Kind.INTERPRETER_HOOK, f"reads interpreter frames (.{node.attr})")
        elif node.attr == "__subclasses__":
            self.flag(node, Kind.INTERPRETER_HOOK, "walks the class tree (__subclasses__)")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            for pattern, what in GRADER_PATTERNS:
                if pattern.search(node.value):
                    self.flag(node, Kind.GRADER_ACCESS, f"a string {what}")
                    break


def magic_name(node: ast.Call) -> str:
    """The magic's name in get_ipython().run_line_magic('name', ...), '' if not literal."""
    first = node.args[0] if node.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def is_callable_value(value: ast.AST | None) -> bool:
    """Whether an assigned value is plausibly a function (a lambda or another callable's name)."""
    return isinstance(value, ast.Lambda | ast.Name | ast.Attribute)


def rigged(name: str, function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> str:
    """Why a comparison or truth method looks rigged, '' if it does not."""
    results = returned(function)
    if results and all(is_constant_result(r) for r in results):
        return "always returns the same value"
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    if name in COMPARISON_METHODS and len(params) >= 2:
        body = function.body if isinstance(function, ast.Lambda) else function
        if params[1] not in names_used(body):
            return "ignores what it is compared with"
    return ""


def magic_finding(number: int, line: str, cell_magic: bool = False) -> Finding | None:
    """What one IPython magic or shell line does that is worth a flag (None: harmless)."""
    match = MAGIC_LINE.match(line)
    name = match.group(3) if match else ""
    if cell_magic and name in SHELL_CELL_MAGICS:
        return Finding(number, Kind.SYSTEM_ACCESS, f"runs a shell cell: `{quoted(line)}`")
    if cell_magic:
        return Finding(number, Kind.IPYTHON_HOOK, f"runs a cell magic: `{quoted(line)}`")
    if SHELL_ASSIGN.match(line) or (match and match.group(2) == "!") or name in SHELL_MAGICS:
        return Finding(number, Kind.SYSTEM_ACCESS, f"runs a shell command: `{quoted(line)}`")
    if match and name not in HARMLESS_LINE_MAGICS:
        return Finding(number, Kind.IPYTHON_HOOK, f"runs a line magic: `{quoted(line)}`")
    return None


def neutralise_ipython(source: str) -> tuple[str, list[Finding], list[int]]:
    """Source with magics, shell escapes and help lines as `pass` (line numbers kept), what
    those lines do that is worth a flag, and their numbers."""
    lines = source.split("\n")
    cell_magic = re.match(r"^\s*%%(\w+)", lines[0])
    if cell_magic and cell_magic.group(1) not in PYTHON_CELL_MAGICS:
        finding = magic_finding(1, lines[0], cell_magic=True)
        body = ["pass", *([""] * (len(lines) - 1))]  # not Python: nothing more to parse
        return "\n".join(body), [finding] if finding else [], [1]
    out, findings, replaced = [], [], []
    for number, line in enumerate(lines, start=1):
        special = MAGIC_LINE.match(line) or SHELL_ASSIGN.match(line) or HELP_LINE.match(line)
        if not special:
            out.append(line)
            continue
        finding = None if number == 1 and cell_magic else magic_finding(number, line)
        findings.extend([finding] if finding else [])
        replaced.append(number)
        out.append(f"{special.group(1)}pass")
    return "\n".join(out), findings, replaced


def parse_tolerantly(source: str) -> tuple[ast.Module, list[int]]:
    """The source's syntax tree with lines that do not parse blanked; those lines' numbers."""
    lines = source.split("\n")
    blanked: list[int] = []
    for _ in range(len(lines) + 1):
        try:
            return ast.parse("\n".join(lines)), blanked
        except SyntaxError as error:
            number = error.lineno or 0
            if not 0 < number <= len(lines) or number in blanked:
                break
            indent = re.match(r"^(\s*)", lines[number - 1]).group(1)
            lines[number - 1] = f"{indent}pass"
            blanked.append(number)
    return ast.Module(body=[], type_ignores=[]), list(range(1, len(lines) + 1))


# Words that are suspicious wherever they appear, for lines the parser could not read.
TEXT_PATTERNS = (
    (re.compile(r"__builtins__|\bbuiltins\.\w+\s*="), Kind.BUILTINS, "touches the builtins"),
    (re.compile(r"\bsys\.(settrace|setprofile)\b"), Kind.INTERPRETER_HOOK, "sets a trace hook"),
    (re.compile(r"\bsys\.modules\b"), Kind.IMPORT_MACHINERY, "uses sys.modules"),
    (re.compile(r"get_ipython|set_custom_exc|transformers|\.events\."), Kind.IPYTHON_HOOK,
     "uses IPython's machinery"),
    (re.compile(r"\bnp\.\w+\s*=[^=]"), Kind.LIBRARY_REBINDING, "rebinds a NumPy name"),
    (re.compile(r"\bos\._exit|\bos\.kill|\bsignal\."), Kind.PROCESS_CONTROL, "controls processes"),
    (re.compile(r"\b(subprocess|socket|ctypes|multiprocessing)\b"), Kind.SYSTEM_ACCESS,
     "uses processes, network or native code"),
    (re.compile(r"\b(exec|eval|compile|__import__)\s*\("), Kind.DYNAMIC_CODE,
     "runs code from strings"),
    (re.compile(r"gradebook|nbgrader|\.\./"), Kind.GRADER_ACCESS, "names the grader's files"),
)  # fmt: skip


def scan_code(source: str, modules: Mapping[str, str] | None = None) -> list[Finding]:
    """Every suspicious line of one cell's code (IPython syntax and syntax errors tolerated)."""
    python, findings, magic_lines = neutralise_ipython(source)
    tree, unparsed = parse_tolerantly(python)
    scanner = Scanner({**USUAL_MODULE_NAMES, **(modules or {})}, source.split("\n"))
    scanner.visit(tree)
    findings.extend(scanner.findings)
    lines = source.split("\n")
    for number in sorted({*unparsed, *magic_lines}):
        line = lines[number - 1] if number <= len(lines) else ""
        for pattern, kind, what in TEXT_PATTERNS:
            if pattern.search(line):
                findings.append(Finding(number, kind, f"{what} (unparsed): `{quoted(line)}`"))
    unique = {(f.line, f.kind, f.detail): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.kind.value, f.detail))


def imported_modules(sources: Iterable[str]) -> dict[str, str]:
    """Local name -> module of every import in these cells (for rebindings in other cells)."""
    modules: dict[str, str] = {}
    for source in sources:
        tree, _ = parse_tolerantly(neutralise_ipython(source)[0])
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    modules[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if alias.name != "*":
                        modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return modules
