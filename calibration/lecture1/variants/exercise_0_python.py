"""Answers to exercise 0 (Python) that graders meet: correct ones written another way, and mistakes.

Each variant replaces named answer cells (by grade_id) of the instructor's solution. Correct
variants must keep every auto-graded point; each wrong one must lose the points of the tests
named in `loses`.
"""

from __future__ import annotations

from coursekit.calibration.variants import Variant

LABELS_LINE = "\n\nlabels = parity_labels(range(10))\n"


def parity(body: str) -> str:
    return "def parity_labels(numbers):\n" + body + LABELS_LINE


def factorial(body: str) -> str:
    return "def factorial(n):\n" + body


def select(body: str) -> str:
    return "def select_in_range(values, low, high):\n" + body


PERSON_CONCATENATED = """
class Person:
    def __init__(self, name, age):
        self.name, self.age = name, age

    def __repr__(self):
        return f"Person({self.name!r}, {self.age})"

    def greet(self):
        return "Hello, my name is " + self.name + " and I am " + str(self.age) + " years old."
"""

STUDENT_EXPLICIT_PARENT = """
class Student(Person):
    def __init__(self, name, age, study):
        Person.__init__(self, name, age)
        self.study = study

    def greet(self):
        return "{} I study {}.".format(Person.greet(self), self.study)
"""

PERSON_FORMAT_METHOD = """
class Person:
    species = "Homo sapiens"  # a class attribute besides the two asked for

    def __init__(self, name, age):
        self.name = name
        self.age = age

    def greet(self):
        return "Hello, my name is {} and I am {} years old.".format(self.name, self.age)
"""

STUDENT_KEYWORDS = """
class Student(Person):
    def __init__(self, name, age, study="physics"):
        super().__init__(name=name, age=age)
        self.study = study

    def greet(self):
        parent = super().greet()
        return f"{parent} I study {self.study}."
"""

# Equality by state, as students write it (issue 15): once scored 0/10 for the whole notebook,
# the verdict probe taking it for a rigged comparison.
PERSON_STATE_EQUALITY = """
class Person:
    def __init__(self, name, age):
        self.name = name
        self.age = age

    def __eq__(self, other):
        return self.__dict__ == other.__dict__

    def greet(self):
        return f"Hello, my name is {self.name} and I am {self.age} years old."
"""

CORRECT = [
    Variant("reference", {}),
    Variant("person_with_state_equality", {"define_person": PERSON_STATE_EQUALITY}),
    Variant(
        "comprehension_ternary_and_legacy_normal",
        {
            "define_parity_labels": parity(
                "    return [f\"{n} is {'even' if n % 2 == 0 else 'odd'}\" for n in numbers if n != 0]\n"
            ),
            "define_factorial": factorial("    return 1 if n == 0 else n * factorial(n - 1)\n"),
            "define_person": PERSON_CONCATENATED,
            "define_student": STUDENT_EXPLICIT_PARENT,
            "build_shifted_samples": (
                "shifts = np.array([[0], [10], [20], [30], [40]])\n"
                "samples = np.random.normal(0, 1, 5000).reshape(5, 1000) + shifts\n"
            ),
            "define_select_in_range": select(
                "    return values[np.logical_and(values >= low, values < high)]\n"
            ),
        },
    ),
    Variant(
        "while_loop_helper_recursion_and_randn",
        {
            "define_parity_labels": parity(
                "    numbers = list(numbers)\n"
                "    result = []\n"
                "    i = -1\n"
                "    while i < len(numbers) - 1:\n"
                "        i += 1\n"
                "        if numbers[i] == 0:\n"
                "            continue\n"
                '        result.append(str(numbers[i]) + " is " + ("even", "odd")[numbers[i] % 2])\n'
                "    return result\n"
            ),
            "define_factorial": factorial(
                "    def product_down_from(k):\n"
                "        if k <= 1:\n"
                "            return 1\n"
                "        return k * product_down_from(k - 1)\n"
                "    return product_down_from(n)\n"
            ),
            "define_person": PERSON_FORMAT_METHOD,
            "define_student": STUDENT_KEYWORDS,
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10)[:, np.newaxis]\n"
                "samples = np.random.randn(5, 1000) + shifts\n"
            ),
            "define_select_in_range": select(
                "    return np.extract((low <= values) & (values < high), values)\n"
            ),
        },
    ),
    Variant(
        "bitwise_parity_cached_recursion_and_rng_normal",
        {
            "define_parity_labels": parity(
                "    result = []\n"
                "    for n in numbers:\n"
                "        if not n:\n"
                "            continue\n"
                '        word = "odd" if n & 1 else "even"\n'
                '        result.append("%d is %s" % (n, word))\n'
                "    return result\n"
            ),
            "define_factorial": (
                "import functools\n\n\n"
                "@functools.lru_cache(maxsize=None)\n"
                + factorial("    if n < 2:\n        return 1\n    return n * factorial(n - 1)\n")
            ),
            "build_shifted_samples": (
                "shifts = np.linspace(0, 40, 5).reshape(-1, 1)\n"
                "samples = rng.normal(loc=shifts, scale=1.0, size=(5, 1000))\n"
            ),
            "define_select_in_range": select(
                "    outside = (values < low) | (values >= high)\n    return values[~outside].copy()\n"
            ),
        },
    ),
    Variant(
        "transposed_draw_and_unseeded_generator",
        {
            "build_shifted_samples": (
                "shifts = (10 * np.arange(5)).reshape(5, 1)\n"
                "draws = np.random.default_rng().standard_normal((1000, 5))\n"
                "samples = (draws + shifts.T).T\n"
            ),
            "define_select_in_range": select(
                "    keep = np.zeros(len(values), dtype=bool)\n"
                "    for i, value in enumerate(values):\n"
                "        keep[i] = low <= value < high\n"
                "    return values[keep]\n"
            ),
        },
    ),
]

CORRECT_PARITY_LOOP = (
    "    result = []\n"
    "    for n in numbers:\n"
    "{skip}"
    "        result.append(f\"{{n}} is {{'even' if n % 2 == 0 else 'odd'}}\")\n"
    "    return result\n"
)

WRONG = [
    Variant(
        "parity_keeps_zero",
        {"define_parity_labels": parity(CORRECT_PARITY_LOOP.format(skip=""))},
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_drops_first_number_not_zeros",
        {
            "define_parity_labels": parity(
                CORRECT_PARITY_LOOP.format(skip="").replace("in numbers:", "in list(numbers)[1:]:")
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_break_instead_of_continue",
        {
            "define_parity_labels": parity(
                CORRECT_PARITY_LOOP.format(skip="        if n == 0:\n            break\n")
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_words_swapped",
        {
            "define_parity_labels": parity(
                "    return [f\"{n} is {'odd' if n % 2 == 0 else 'even'}\" for n in numbers if n != 0]\n"
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_printed_not_returned",
        {
            "define_parity_labels": parity(
                "    for n in numbers:\n"
                "        if n == 0:\n"
                "            continue\n"
                "        print(n, 'is', 'even' if n % 2 == 0 else 'odd')\n"
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "factorial_base_case_returns_zero",
        {
            "define_factorial": factorial(
                "    if n == 0:\n        return 0\n    return n * factorial(n - 1)\n"
            )
        },
        frozenset({"factorial_matches_math_factorial"}),
    ),
    Variant(
        "factorial_base_case_at_one_only",
        {
            "define_factorial": factorial(
                "    if n == 1:\n        return 1\n    return n * factorial(n - 1)\n"
            )
        },
        frozenset({"factorial_matches_math_factorial"}),
    ),
    Variant(
        "factorial_in_floats",
        {
            "define_factorial": factorial(
                "    if n == 0:\n        return 1.0\n    return n * factorial(n - 1)\n"
            )
        },
        frozenset({"factorial_matches_math_factorial"}),
    ),
    Variant(
        "factorial_loop_off_by_one",
        {
            "define_factorial": factorial(
                "    result = 1\n    for k in range(1, n):\n        result *= k\n    return result\n"
            )
        },
        frozenset({"factorial_matches_math_factorial", "factorial_is_recursive"}),
    ),
    Variant(
        "factorial_correct_loop_not_recursive",
        {
            "define_factorial": factorial(
                "    result = 1\n    for k in range(2, n + 1):\n        result *= k\n    return result\n"
            )
        },
        frozenset({"factorial_is_recursive"}),
    ),
    Variant(
        "factorial_imported_from_math",
        {"define_factorial": "from math import factorial\n"},
        frozenset({"factorial_is_recursive"}),
    ),
    Variant(
        "person_greet_prints",
        {
            "define_person": PERSON_FORMAT_METHOD.replace(
                'return "Hello, my name is {} and I am {} years old.".format(self.name, self.age)',
                'print("Hello, my name is", self.name, "and I am", self.age, "years old.")',
            )
        },
        frozenset({"person_greets_with_name_and_age"}),
    ),
    Variant(
        "person_greeting_copied_from_visible_check",
        {
            "define_person": PERSON_FORMAT_METHOD.replace(
                '"Hello, my name is {} and I am {} years old.".format(self.name, self.age)',
                '"Hello, my name is Ada and I am 36 years old."',
            )
        },
        frozenset({"person_greets_with_name_and_age"}),
    ),
    Variant(
        "student_not_a_person",
        {
            "define_student": (
                "class Student:\n"
                "    def __init__(self, name, age, study):\n"
                "        self.name, self.age, self.study = name, age, study\n\n"
                "    def greet(self):\n"
                '        return f"Hello, my name is {self.name} and I am {self.age} years old. '
                'I study {self.study}."\n'
            )
        },
        frozenset({"student_extends_person_greeting"}),
    ),
    Variant(
        "student_rewrites_the_greeting",
        {
            "define_student": (
                "class Student(Person):\n"
                "    def __init__(self, name, age, study):\n"
                "        super().__init__(name, age)\n"
                "        self.study = study\n\n"
                "    def greet(self):\n"
                '        return f"Hello, my name is {self.name} and I am {self.age} years old. '
                'I study {self.study}."\n'
            )
        },
        frozenset({"student_extends_person_greeting"}),
    ),
    Variant(
        "student_skips_parent_init",
        {
            "define_student": (
                "class Student(Person):\n"
                "    def __init__(self, name, age, study):\n"
                "        self.study = study\n\n"
                "    def greet(self):\n"
                '        return super().greet() + f" I study {self.study}."\n'
            )
        },
        frozenset({"student_extends_person_greeting"}),
    ),
    Variant(
        "shift_broadcast_along_the_wrong_axis",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\n"
                "samples = (rng.standard_normal((1000, 5)) + shifts.ravel()).reshape(5, 1000)\n"
            )
        },
        frozenset(
            {"samples_rows_centred_on_shifts", "samples_rows_are_independent_standard_normals"}
        ),
    ),
    Variant(
        "flat_shifts_without_transpose",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10)\n"
                "samples = rng.standard_normal(5000).reshape(1000, 5) + shifts\n"
            )
        },
        frozenset(
            {"samples_rows_centred_on_shifts", "samples_rows_are_independent_standard_normals"}
        ),
    ),
    Variant(
        "uniform_random_instead_of_normal",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\n"
                "samples = rng.random(5000).reshape(5, 1000) + shifts\n"
            )
        },
        frozenset(
            {"samples_rows_centred_on_shifts", "samples_rows_are_independent_standard_normals"}
        ),
    ),
    Variant(
        "uniform_with_unit_spread_instead_of_normal",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\n"
                "spread = np.sqrt(3)\n"
                "samples = rng.uniform(-spread, spread, 5000).reshape(5, 1000) + shifts\n"
            )
        },
        frozenset({"samples_rows_are_independent_standard_normals"}),
    ),
    Variant(
        "shifts_without_noise",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\nsamples = np.zeros((5, 1000)) + shifts\n"
            )
        },
        frozenset({"samples_rows_are_independent_standard_normals"}),
    ),
    Variant(
        "one_draw_copied_into_every_row",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\n"
                "samples = np.tile(rng.standard_normal(1000), (5, 1)) + shifts\n"
            )
        },
        frozenset({"samples_rows_are_independent_standard_normals"}),
    ),
    Variant(
        "window_includes_upper_edge",
        {
            "define_select_in_range": select(
                "    return values[(values >= low) & (values <= high)]\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "window_excludes_lower_edge",
        {"define_select_in_range": select("    return values[(values > low) & (values < high)]\n")},
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "returns_the_mask",
        {"define_select_in_range": select("    return (values >= low) & (values < high)\n")},
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "returns_indices",
        {
            "define_select_in_range": select(
                "    return np.where((values >= low) & (values < high))[0]\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "python_and_on_arrays",
        {
            "define_select_in_range": select(
                "    return values[(values >= low) and (values < high)]\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "sorts_the_input_in_place",
        {
            "define_select_in_range": select(
                "    values.sort()\n    return values[(values >= low) & (values < high)]\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
]
