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

# Issue 15: correct answers that use more of the language, as students who know it write them.
PERSON_DATACLASS = """
from dataclasses import dataclass


@dataclass
class Person:
    name: str
    age: int

    def greet(self):
        return f"Hello, my name is {self.name} and I am {self.age} years old."
"""

STUDENT_DATACLASS = """
@dataclass
class Student(Person):
    study: str

    def greet(self):
        return f"{super().greet()} I study {self.study}."
"""

# Equality by state, ordering by age, a hash and a repr: an ordinary value class.
PERSON_ORDERED_BY_AGE = """
import functools


@functools.total_ordering
class Person:
    def __init__(self, name, age):
        self.name = name
        self.age = age

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, age={self.age!r})"

    def __eq__(self, other):
        return self.__dict__ == other.__dict__

    def __lt__(self, other):
        return (self.age, self.name) < (other.age, other.name)

    def __hash__(self):
        return hash((self.name, self.age))

    def greet(self):
        return "Hello, my name is %s and I am %d years old." % (self.name, self.age)
"""

STUDENT_OLD_STYLE_SUPER = """
class Student(Person):
    def __init__(self, name, age, study):
        super(Student, self).__init__(name, age)
        self.study = study

    def __repr__(self):
        return f"Student({self.name!r}, {self.age!r}, {self.study!r})"

    def greet(self):
        return " ".join([super(Student, self).greet(), "I study " + self.study + "."])
"""

PERSON_SLOTS_AND_STR = """
class Person:
    __slots__ = ("name", "age")

    def __init__(self, name, age):
        self.name, self.age = name, age

    def __str__(self):
        return f"Hello, my name is {self.name} and I am {self.age} years old."

    def __eq__(self, other):
        if not isinstance(other, Person):
            return NotImplemented
        return (self.name, self.age) == (other.name, other.age)

    def __hash__(self):
        return hash((Person, self.name, self.age))

    def greet(self):
        return str(self)
"""

STUDENT_WITH_SLOTS = """
class Student(Person):
    __slots__ = ("study",)

    def __init__(self, name, age, study):
        super().__init__(name, age)
        self.study = study

    def greet(self):
        return f"{super().greet()} I study {self.study}."
"""

PERSON_PROPERTIES = """
class Person:
    def __init__(self, name, age):
        self._name = name
        self._age = age

    @property
    def name(self):
        return self._name

    @property
    def age(self):
        return self._age

    def greet(self):
        parts = ["Hello, my name is", self.name, "and I am", str(self.age), "years old."]
        return " ".join(parts)
"""

GENERATOR_PARITY = (
    "    def label_each():\n"
    "        for n in numbers:\n"
    "            if n != 0:\n"
    "                yield f\"{n} is {('even', 'odd')[n % 2]}\"\n"
    "\n"
    "    return list(label_each())\n"
)

DICT_LOOKUP_PARITY = (
    '    word = {True: "even", False: "odd"}\n'
    '    return list(map(lambda n: f"{n} is {word[n % 2 == 0]}", filter(None, numbers)))\n'
)

DIVIDE_AND_CONQUER_FACTORIAL = factorial(
    "    def product(low, high):\n"
    "        if low > high:\n"
    "            return 1\n"
    "        if low == high:\n"
    "            return low\n"
    "        middle = (low + high) // 2\n"
    "        return product(low, middle) * product(middle + 1, high)\n"
    "\n"
    "    return product(1, n)\n"
)

CALLABLE_CLASS_FACTORIAL = """
class Factorial:
    \"\"\"n! by recursion, as a callable object.\"\"\"

    def __call__(self, n):
        return 1 if n == 0 else n * self(n - 1)


factorial = Factorial()
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
    Variant(
        "dataclass_person_and_student_with_generator",
        {
            "define_parity_labels": parity(GENERATOR_PARITY),
            "define_person": PERSON_DATACLASS,
            "define_student": STUDENT_DATACLASS,
        },
    ),
    Variant(
        "value_class_with_total_ordering_and_split_product",
        {
            "define_factorial": DIVIDE_AND_CONQUER_FACTORIAL,
            "define_person": PERSON_ORDERED_BY_AGE,
            "define_student": STUDENT_OLD_STYLE_SUPER,
        },
    ),
    Variant(
        "slots_and_str_person_and_callable_factorial",
        {
            "define_factorial": CALLABLE_CLASS_FACTORIAL,
            "define_person": PERSON_SLOTS_AND_STR,
            "define_student": STUDENT_WITH_SLOTS,
        },
    ),
    Variant(
        "read_only_properties_and_map_filter",
        {"define_parity_labels": parity(DICT_LOOKUP_PARITY), "define_person": PERSON_PROPERTIES},
    ),
    Variant(
        "accumulator_recursion_partial_draw_and_fromiter",
        {
            "define_factorial": (
                "def factorial(n, accumulated=1):\n"
                "    return accumulated if n == 0 else factorial(n - 1, accumulated * n)\n"
            ),
            "build_shifted_samples": (
                "import functools\n\n"
                "draw = functools.partial(rng.normal, 0.0, 1.0)\n"
                "shifts = np.arange(5)[:, None] * 10\n"
                "samples = draw(size=(5, 1000)) + shifts\n"
            ),
            "define_select_in_range": select(
                "    return np.fromiter((v for v in values if low <= v < high), dtype=values.dtype)\n"
            ),
        },
    ),
    Variant(
        "einsum_outer_shift_and_compress",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0.0, 50.0, 10.0).reshape(-1, 1)\n"
                "samples = rng.standard_normal((5, 1000)) + np.einsum('i,j->ij', shifts[:, 0], np.ones(1000))\n"
            ),
            "define_select_in_range": select(
                "    return np.compress((values >= low) & (values < high), values)\n"
            ),
        },
    ),
    Variant(
        "row_comprehension_and_flatnonzero",
        {
            "build_shifted_samples": (
                "shifts = np.c_[0:50:10]\n"
                "samples = np.vstack([rng.normal(shift, 1.0, size=1000) for shift in shifts.ravel()])\n"
            ),
            "define_select_in_range": select(
                "    return values[np.flatnonzero((low <= values) & (values < high))]\n"
            ),
        },
    ),
    Variant(
        "functools_cache_and_logical_and_reduce",
        {
            "define_factorial": (
                "import functools\n\n\n@functools.cache\n"
                + factorial("    return n * factorial(n - 1) if n else 1\n")
            ),
            "define_select_in_range": select(
                "    inside = np.logical_and.reduce([values >= low, values < high])\n"
                "    return values[inside]\n"
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
    Variant(
        "parity_returns_a_generator",
        {
            "define_parity_labels": parity(
                "    return (f\"{n} is {'even' if n % 2 == 0 else 'odd'}\" for n in numbers if n != 0)\n"
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_by_integer_division",
        {
            "define_parity_labels": parity(
                "    return [f\"{n} is {'even' if n // 2 == 0 else 'odd'}\" for n in numbers if n != 0]\n"
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "parity_mutable_default_list",
        {
            "define_parity_labels": (
                "def parity_labels(numbers, result=[]):\n"
                "    for n in numbers:\n"
                "        if n != 0:\n"
                "            result.append(f\"{n} is {'even' if n % 2 == 0 else 'odd'}\")\n"
                "    return result\n" + LABELS_LINE
            )
        },
        frozenset({"parity_labels_skip_zero"}),
    ),
    Variant(
        "factorial_base_case_returns_n",
        {"define_factorial": factorial("    return n * factorial(n - 1) if n > 1 else n\n")},
        frozenset({"factorial_matches_math_factorial"}),
    ),
    Variant(
        "factorial_from_the_gamma_function",
        {"define_factorial": factorial("    return int(math.gamma(n + 1))\n")},
        frozenset({"factorial_matches_math_factorial", "factorial_is_recursive"}),
    ),
    Variant(
        "person_age_stored_as_text",
        {"define_person": PERSON_FORMAT_METHOD.replace("self.age = age", "self.age = str(age)")},
        frozenset({"person_greets_with_name_and_age", "student_extends_person_greeting"}),
    ),
    Variant(
        "dataclass_fields_in_the_wrong_order",
        {
            "define_person": PERSON_DATACLASS.replace(
                "    name: str\n    age: int\n", "    age: int\n    name: str\n"
            ),
            "define_student": STUDENT_DATACLASS,
        },
        frozenset({"person_greets_with_name_and_age", "student_extends_person_greeting"}),
    ),
    Variant(
        "student_stores_the_study_under_another_name",
        {
            "define_student": STUDENT_WITH_SLOTS.replace('    __slots__ = ("study",)\n\n', "")
            .replace("self.study = study", "self.subject = study")
            .replace("{self.study}", "{self.subject}")
        },
        frozenset({"student_extends_person_greeting"}),
    ),
    Variant(
        "student_greeting_without_a_space",
        {"define_student": STUDENT_OLD_STYLE_SUPER.replace('" ".join(', '"".join(')},
        frozenset({"student_extends_person_greeting"}),
    ),
    Variant(
        "shifts_start_at_ten",
        {
            "build_shifted_samples": (
                "shifts = np.arange(10, 60, 10).reshape(5, 1)\n"
                "samples = rng.standard_normal((5, 1000)) + shifts\n"
            )
        },
        frozenset({"samples_rows_centred_on_shifts"}),
    ),
    Variant(
        "noise_multiplied_by_shifts",
        {
            "build_shifted_samples": (
                "shifts = np.arange(0, 50, 10).reshape(5, 1)\n"
                "samples = rng.standard_normal((5, 1000)) * shifts\n"
            )
        },
        frozenset(
            {"samples_rows_centred_on_shifts", "samples_rows_are_independent_standard_normals"}
        ),
    ),
    Variant(
        "select_returns_a_list",
        {
            "define_select_in_range": select(
                "    return [value for value in values if low <= value < high]\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
    Variant(
        "select_shifts_the_input_in_place",
        {
            "define_select_in_range": select(
                "    values -= low\n"
                "    return values[(values >= 0) & (values < high - low)] + low\n"
            )
        },
        frozenset({"select_in_range_matches_reference"}),
    ),
]
