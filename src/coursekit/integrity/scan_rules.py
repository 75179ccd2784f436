"""The rules of the code scan as data: which names, calls, modules and strings are suspicious.

Why each is listed: docs/verdicts.md. code_scan.py applies them.
"""

from __future__ import annotations

import builtins
import re

from coursekit.integrity.types import SuspicionKind

Kind = SuspicionKind
CODE_CHARS = 100  # the quoted line in a flag, cut here

# Names a notebook binds to modules in cells the scan may not see (the course's locked setup
# cells): an attribute assignment on one of these is a library rebinding too.
USUAL_MODULE_NAMES = {
    "np": "numpy",
    "numpy": "numpy",
    "tf": "tensorflow",
    "torch": "torch",
    "keras": "keras",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "math": "math",
    "plt": "matplotlib.pyplot",
    "pd": "pandas",
    "sys": "sys",
    "os": "os",
    "random": "random",
    "builtins": "builtins",
}
# Configuration namespaces that are meant to be assigned to (pd.options.display.max_rows = 5).
CONFIG_PREFIXES = ("pandas.options", "torch.backends", "matplotlib.rcParams", "np.printoptions")

# Modules whose mere import is worth a look, by kind.
MODULE_KINDS = {
    "subprocess": Kind.SYSTEM_ACCESS,
    "socket": Kind.SYSTEM_ACCESS,
    "multiprocessing": Kind.SYSTEM_ACCESS,
    "ctypes": Kind.SYSTEM_ACCESS,
    "cffi": Kind.SYSTEM_ACCESS,
    "pty": Kind.SYSTEM_ACCESS,
    "requests": Kind.SYSTEM_ACCESS,
    "urllib.request": Kind.SYSTEM_ACCESS,
    "http.client": Kind.SYSTEM_ACCESS,
    "asyncio.subprocess": Kind.SYSTEM_ACCESS,
    "signal": Kind.PROCESS_CONTROL,
    "threading": Kind.PROCESS_CONTROL,
    "_thread": Kind.PROCESS_CONTROL,
    "atexit": Kind.PROCESS_CONTROL,
    "resource": Kind.PROCESS_CONTROL,
    "importlib": Kind.DYNAMIC_CODE,
    "runpy": Kind.DYNAMIC_CODE,
    "marshal": Kind.DYNAMIC_CODE,
    "ipykernel": Kind.IPYTHON_HOOK,
    "IPython.core": Kind.IPYTHON_HOOK,
    "jupyter_client": Kind.IPYTHON_HOOK,
    "zmq": Kind.IPYTHON_HOOK,
    "nbgrader": Kind.GRADER_ACCESS,
    "sqlite3": Kind.GRADER_ACCESS,
    "sqlalchemy": Kind.GRADER_ACCESS,
}
# module.function calls, by kind (the module as imported, whatever its local name).
CALL_KINDS = {
    "os._exit": Kind.PROCESS_CONTROL,
    "os.kill": Kind.PROCESS_CONTROL,
    "os.killpg": Kind.PROCESS_CONTROL,
    "os.abort": Kind.PROCESS_CONTROL,
    "os.fork": Kind.PROCESS_CONTROL,
    "os.forkpty": Kind.PROCESS_CONTROL,
    "os.setsid": Kind.PROCESS_CONTROL,
    "os.chdir": Kind.GRADER_ACCESS,
    "sys.exit": Kind.PROCESS_CONTROL,
    "os.system": Kind.SYSTEM_ACCESS,
    "os.popen": Kind.SYSTEM_ACCESS,
    "sys.settrace": Kind.INTERPRETER_HOOK,
    "sys.setprofile": Kind.INTERPRETER_HOOK,
    "sys.addaudithook": Kind.INTERPRETER_HOOK,
    "sys._getframe": Kind.INTERPRETER_HOOK,
    "sys.setrecursionlimit": None,  # harmless: listed so that no rule below catches it
    "threading.settrace": Kind.INTERPRETER_HOOK,
    "threading.setprofile": Kind.INTERPRETER_HOOK,
    "inspect.currentframe": Kind.INTERPRETER_HOOK,
    "inspect.stack": Kind.INTERPRETER_HOOK,
    "gc.get_objects": Kind.INTERPRETER_HOOK,
    "gc.get_referrers": Kind.INTERPRETER_HOOK,
    "unittest.mock.patch": Kind.LIBRARY_REBINDING,
    "unittest.mock.patch.object": Kind.LIBRARY_REBINDING,
    "types.CodeType": Kind.DYNAMIC_CODE,
    "types.FunctionType": Kind.DYNAMIC_CODE,
}
CALL_PREFIX_KINDS = {
    "os.exec": Kind.PROCESS_CONTROL,
    "os.spawn": Kind.PROCESS_CONTROL,
    "os.posix_spawn": Kind.PROCESS_CONTROL,
    "sys.monitoring.": Kind.INTERPRETER_HOOK,
}
DYNAMIC_BUILTINS = {"exec", "eval", "compile", "__import__", "breakpoint"}
EXIT_BUILTINS = {"exit", "quit"}
# sys attributes whose assignment changes how the interpreter reports or runs code.
SYS_HOOKS = {"displayhook", "excepthook", "stdout", "stderr", "breakpointhook", "unraisablehook"}
SYS_IMPORT_STATE = {"modules", "meta_path", "path_hooks", "path_importer_cache"}
MUTATING_METHODS = {"update", "pop", "popitem", "setdefault", "clear", "__setitem__", "append",
                    "insert", "extend", "remove", "__delitem__"}  # fmt: skip
# What an IPython shell offers for changing how cells run or how their errors show.
SHELL_HOOKS = {
    "set_custom_exc", "custom_exceptions", "events", "input_transformers_cleanup",
    "input_transformers_post", "input_transformer_manager", "ast_transformers", "displayhook",
    "display_pub", "displaypub", "showtraceback", "showsyntaxerror", "_showtraceback",
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "excepthook",
    "register_magic_function", "kernel", "compile", "InteractiveTB", "SyntaxTB", "ex", "ev",
    "run_line_magic", "run_cell_magic", "magic", "system", "getoutput", "user_ns",
    "user_global_ns", "push", "del_var", "reset", "set_hook", "hooks", "extension_manager",
}  # fmt: skip
HARMLESS_LINE_MAGICS = {"matplotlib", "time", "timeit", "who", "whos", "pwd", "precision"}
SHELL_CELL_MAGICS = {"bash", "sh", "script", "system", "sx", "perl", "ruby", "python", "python3"}
COMPARISON_METHODS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}
TRUTH_METHODS = {"__bool__", "__len__", "__contains__"}
INTERCEPT_METHODS = {
    "__array_ufunc__", "__array_function__", "__torch_function__", "__instancecheck__",
    "__subclasscheck__", "__class__",
}  # fmt: skip
GRADER_PATTERNS = (
    (re.compile(r"gradebook", re.I), "names the gradebook"),
    (re.compile(r"nbgrader", re.I), "names nbgrader (its config or environment)"),
    (re.compile(r"(^|[/\\])(source|autograded|submitted|release|feedback)([/\\]|$)"),
     "names a course folder"),
    (re.compile(r"(^|[/\\])\.\.([/\\]|$)"), "climbs out of its folder ('..')"),
    (re.compile(r"\.ipynb\b"), "names a notebook file"),
)  # fmt: skip
MAGIC_LINE = re.compile(r"^(\s*)(%%?|!)(\w*)")
SHELL_ASSIGN = re.compile(r"^(\s*)[\w, ]+=\s*[!%]")  # files = !ls, t = %timeit -o f()
HELP_LINE = re.compile(r"^(\s*)[\w.]+\?\??\s*$")
SHELL_MAGICS = {"sx", "system", "sc"}
PYTHON_CELL_MAGICS = {"capture", "time", "timeit"}  # the cell's body is still Python
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))
