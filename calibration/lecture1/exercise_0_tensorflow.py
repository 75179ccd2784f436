"""Exercise 0 (TensorFlow): the reference and every correct variant on the hidden tests' inputs.

The instructor's answers and every correct variant run on inputs drawn the way the hidden tests
draw theirs (with other seeds): each tolerance against the worst error of a correct answer; the
mistakes of the variants module on the same checks, as error / tolerance (above 1: caught).
ONE_TWELFTH_TOL is statistical: it counts in spreads sqrt(1 / (180 N)) and wants many draws.
About a minute on 2 cores, most of it TensorFlow's eager loops in the loop-based variants.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from coursekit.calibration.specs import CalibrationRun  # noqa: E402
from coursekit.calibration.types import Measured  # noqa: E402

DEFAULT_SEEDS = 40
FUNCTIONS = {
    "define_simulate_fall": "simulate_fall",
    "define_subtract_channel_means": "subtract_channel_means",
    "define_mean_squared_error": "mean_squared_error",
}
# The hidden tests' shapes and dtypes (their values are drawn here with other seeds).
MSE_CASES = [
    ((1,), np.float32),
    ((7,), np.float64),
    ((2000,), np.float32),
    ((4, 5), np.float64),
    ((50, 3), np.float32),
    ((3, 1), np.float32),
    ((2, 300), np.float64),
]
GRAPH_CASES = [((300,), np.float32), ((6, 7), np.float64)]
CENTRE_CASES = [(4, 3, np.float32), (3, 5, np.float64), (6, 6, np.float32)]
CENTRE_CASES += [(1, 4, np.float64), (500, 2, np.float32)]
FALL_STEPS = (0, 1, 4, 25, 60)
REPEAT_SIZES = (1_000, 10_000)
ONE_TWELFTH_SAMPLES = 2000
FALL = "simulate_fall_updates_variables_in_place"
MSE = "mean_squared_error_matches_numpy"
GRAPH = "mean_squared_error_runs_in_tensorflow"
TWELFTH = "loss_uniform_close_to_one_twelfth"
CENTRE = "channel_means_subtracted"
# The tolerance each test's mistakes are measured against (MSE: the one of the dtype).
MISTAKE_TOLERANCES = {
    FALL: "FALL_TOL",
    CENTRE: "CENTRE_TOL",
    MSE: "SINGLE_PRECISION_TOL",
    GRAPH: "GRAPH_TOL",
    TWELFTH: "ONE_TWELFTH_TOL",
}


def tolerances(run: CalibrationRun) -> dict[str, float]:
    """The named tolerances of the notebook's tests; ONE_TWELFTH_TOL in spreads (its factor)."""
    sources = run.tolerance_sources
    found = {name: float(value) for name, value in sources.items() if name != "ONE_TWELFTH_TOL"}
    found["ONE_TWELFTH_TOL"] = float(sources["ONE_TWELFTH_TOL"].split("*")[0])
    return found


def answer_functions(reference: dict[str, str], overrides: dict[str, str]) -> dict[str, Callable]:
    """The three graded functions, from the reference answers with `overrides` put in."""
    answers = {**reference, **overrides}
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec("import numpy as np\nimport tensorflow as tf\n", namespace)
        for grade_id in FUNCTIONS:
            # AutoGraph reads a function's source to convert its loops for tf.function; a
            # notebook kernel keeps every cell's source in linecache, so do the same here.
            filename = f"<answer {grade_id} {len(linecache.cache)}>"  # one name per source
            lines = answers[grade_id].splitlines(keepends=True)
            linecache.cache[filename] = (len(answers[grade_id]), None, lines, filename)
            exec(compile(answers[grade_id], filename, "exec"), namespace)
    return {name: namespace[name] for name in FUNCTIONS.values()}


def relative(found: float, reference: float) -> float:
    return abs(found - reference) / abs(reference)


def mse_errors(mse: Callable, rng: np.random.Generator) -> dict[str, float]:
    """Largest relative error per dtype over the hidden cases; inf where a check fails outright."""
    import tensorflow as tf

    worst = {"float32": 0.0, "float64": 0.0}
    for shape, dtype in MSE_CASES:
        x = rng.normal(0, 3, size=shape).astype(dtype)
        y = rng.uniform(-1, 1, size=shape).astype(dtype)
        reference = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
        try:
            found = np.asarray(mse(tf.constant(x), tf.constant(y)))
        except Exception:
            found = None
        name = np.dtype(dtype).name
        if found is None or found.shape != () or found.dtype != dtype:
            worst[name] = float("inf")
        else:
            worst[name] = max(worst[name], relative(float(found), reference))
    return worst


def graph_error(mse: Callable, rng: np.random.Generator) -> float:
    """Largest relative difference between the function in tf.function and called directly."""
    import tensorflow as tf

    graph = tf.function(mse)
    worst = 0.0
    for shape, dtype in GRAPH_CASES:
        x = tf.constant(rng.normal(0, 2, size=shape).astype(dtype))
        y = tf.constant(rng.normal(0, 2, size=shape).astype(dtype))
        try:
            in_graph = graph(x, y)
            eager = float(np.asarray(mse(x, y), dtype=np.float64))
        except Exception:
            return float("inf")
        if not tf.is_tensor(in_graph):
            return float("inf")
        worst = max(worst, relative(float(np.asarray(in_graph, dtype=np.float64)), eager))
    return worst


def centre_error(subtract: Callable, rng: np.random.Generator) -> float:
    """Largest |result - reference| / max |reading| over the hidden cases."""
    import tensorflow as tf

    worst = 0.0
    for rows, columns, dtype in CENTRE_CASES:
        offsets = rng.uniform(-50, 50, size=columns)
        readings = (rng.normal(0, 5, size=(rows, columns)) + offsets).astype(dtype)
        reference = readings.astype(np.float64) - readings.astype(np.float64).mean(axis=0)
        try:
            found = np.asarray(subtract(tf.constant(readings)))
        except Exception:
            return float("inf")
        if found.shape != (rows, columns) or found.dtype != dtype:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(found - reference)) / np.max(np.abs(readings))))
    return worst


def fall_errors(simulate: Callable, rng: np.random.Generator) -> dict[str, float]:
    """Largest deviation / max(|h|, |v|, 1) per dtype over the hidden test's kinds of start."""
    import tensorflow as tf

    worst = {"float32": 0.0, "float64": 0.0}
    for n_steps in FALL_STEPS:
        for dtype in (tf.float32, tf.float64):
            h_start, v_start = rng.uniform(0, 50), rng.uniform(-5, 5)
            acceleration = rng.choice([-1, 1]) * rng.uniform(2, 12)
            dt = rng.uniform(0.02, 0.2)
            height = tf.Variable(h_start, dtype=dtype)
            velocity = tf.Variable(v_start, dtype=dtype)
            h_ref, v_ref = float(height.numpy()), float(velocity.numpy())
            for _ in range(n_steps):
                v_ref += acceleration * dt
                h_ref += v_ref * dt
            try:
                simulate(height, velocity, acceleration, dt, n_steps)
            except Exception:
                worst[dtype.name] = float("inf")
                continue
            scale = max(abs(h_ref), abs(v_ref), 1.0)
            deviation = max(
                abs(float(height.numpy()) - h_ref), abs(float(velocity.numpy()) - v_ref)
            )
            worst[dtype.name] = max(worst[dtype.name], deviation / scale)
    return worst


def repeat_error(mse: Callable, seeds: int) -> float:
    """Largest relative difference between two calls on the same N uniform numbers and 0.5."""
    import tensorflow as tf

    worst = 0.0
    for n in REPEAT_SIZES:
        for seed in range(seeds):
            tf.random.set_seed(seed)
            x, y = tf.random.uniform([n]), tf.fill([n], 0.5)
            first = float(np.asarray(mse(x, y), dtype=np.float64))
            worst = max(worst, relative(float(np.asarray(mse(x, y), dtype=np.float64)), first))
    return worst


def one_twelfth_spreads(
    mse: Callable, draw: Callable, n: int, samples: int, first_seed: int = 0
) -> np.ndarray:
    """abs(loss - 1/12) in units of the estimate's spread sqrt(1 / (180 N)), one per seed."""
    import tensorflow as tf

    spreads = []
    for seed in range(first_seed, first_seed + samples):
        tf.random.set_seed(seed)
        x = draw(n)
        loss = float(np.asarray(mse(x, tf.fill([n], 0.5)), dtype=np.float64))
        spreads.append(abs(loss - 1 / 12) / np.sqrt(1 / (180 * n)))
    return np.array(spreads)


def spread_or_inf(mse: Callable, rng: np.random.Generator, sigmas: float) -> float:
    """abs(loss - 1/12) of one draw of 10_000 numbers in tolerances; inf if the function raises."""
    import tensorflow as tf

    try:
        seed = int(rng.integers(2**31))
        spread = one_twelfth_spreads(mse, lambda k: tf.random.uniform([k]), 10_000, 1, seed)[0]
    except Exception:
        return float("inf")
    return spread / sigmas


def overrides(variant) -> dict[str, str]:
    return {gid: code for gid, code in variant.answers.items() if gid in FUNCTIONS}


ERROR_KEYS = (
    "FALL_TOL32",
    "FALL_TOL64",
    "CENTRE_TOL",
    "SINGLE_PRECISION_TOL",
    "DOUBLE_PRECISION_TOL",
    "GRAPH_TOL",
    "REPEAT_TOL",
)


def errors_of_correct(
    correct: dict[str, dict[str, Callable]], seeds: int
) -> dict[str, list[float]]:
    """tolerance key -> the error of every correct answer on every draw, in its units."""
    errors: dict[str, list[float]] = {key: [] for key in ERROR_KEYS}
    for functions in correct.values():
        mse = functions["mean_squared_error"]
        for seed in range(seeds):
            by_dtype = mse_errors(mse, np.random.default_rng(seed))
            falls = fall_errors(functions["simulate_fall"], np.random.default_rng(seed))
            found = {
                "FALL_TOL32": falls["float32"],
                "FALL_TOL64": falls["float64"],
                "CENTRE_TOL": centre_error(
                    functions["subtract_channel_means"], np.random.default_rng(seed)
                ),
                "SINGLE_PRECISION_TOL": by_dtype["float32"],
                "DOUBLE_PRECISION_TOL": by_dtype["float64"],
                "GRAPH_TOL": graph_error(mse, np.random.default_rng(seed)),
            }
            for key, value in found.items():
                errors[key].append(value)
        errors["REPEAT_TOL"].append(repeat_error(mse, 3))
    return errors


CORRECT_ROWS = [  # (test, quantity, key of the errors, tolerance)
    (FALL, "float32 deviation / max(abs h, abs v, 1)", "FALL_TOL32", "FALL_TOL"),
    (FALL, "float64 deviation / max(abs h, abs v, 1)", "FALL_TOL64", "FALL_TOL"),
    (CENTRE, "deviation / max abs reading", "CENTRE_TOL", "CENTRE_TOL"),
    (MSE, "float32 relative error", "SINGLE_PRECISION_TOL", "SINGLE_PRECISION_TOL"),
    (MSE, "float64 relative error", "DOUBLE_PRECISION_TOL", "DOUBLE_PRECISION_TOL"),
    (GRAPH, "graph vs eager, relative", "GRAPH_TOL", "GRAPH_TOL"),
    (TWELFTH, "second call vs first, N = 1e3 and 1e4, relative", "REPEAT_TOL", "REPEAT_TOL"),
]


def mistake_ratios(
    wrong, draws: dict[str, Callable], reference_mse: Callable, seeds: int, tols
) -> list[tuple[str, str, list[float]]]:
    """Each mistake of the variants module on the checks aimed at it: error / tolerance."""
    sigmas = tols["ONE_TWELFTH_TOL"]
    in_tolerances = {  # each check's error divided by its tolerance: above 1 is caught
        FALL: lambda f, rng: max(fall_errors(f["simulate_fall"], rng).values()) / tols["FALL_TOL"],
        CENTRE: lambda f, rng: centre_error(f["subtract_channel_means"], rng) / tols["CENTRE_TOL"],
        MSE: lambda f, rng: max(
            value / tols["SINGLE_PRECISION_TOL" if name == "float32" else "DOUBLE_PRECISION_TOL"]
            for name, value in mse_errors(f["mean_squared_error"], rng).items()
        ),
        GRAPH: lambda f, rng: graph_error(f["mean_squared_error"], rng) / tols["GRAPH_TOL"],
        TWELFTH: lambda f, rng: spread_or_inf(f["mean_squared_error"], rng, sigmas),
    }
    found = [
        (
            name,
            test,
            [in_tolerances[test](functions, np.random.default_rng(s)) for s in range(seeds)],
        )
        for name, (functions, loses) in wrong.items()
        for test in sorted(loses)
    ]
    for label, draw in draws.items():
        values = one_twelfth_spreads(reference_mse, draw, 10_000, seeds) / sigmas
        found.append((f"numbers {label}, N = 10000", TWELFTH, list(values)))
    return found


def measure(run: CalibrationRun) -> Measured:
    """Every correct answer and mistake of the variants module over `run.seeds` input draws."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # a fresh tf.function per draw: retracing warnings by design
    seeds, tols, variants = run.seeds, tolerances(run), run.variants
    correct = {v.name: answer_functions(run.answers, overrides(v)) for v in variants.correct}
    # Mistakes in the functions; those in the numbers of Task 4 are the `draws` below.
    wrong = {
        v.name: (answer_functions(run.answers, overrides(v)), v.loses)
        for v in variants.wrong
        if overrides(v)
    }
    errors = errors_of_correct(correct, seeds)
    reference_mse = correct["reference"]["mean_squared_error"]
    uniform = lambda k: tf.random.uniform([k])  # noqa: E731
    samples = min(ONE_TWELFTH_SAMPLES, 50 * seeds)  # a statistical tolerance wants many draws
    spreads = {
        n: one_twelfth_spreads(reference_mse, uniform, n, samples // 4) for n in (1_000, 100_000)
    }
    spreads[10_000] = one_twelfth_spreads(reference_mse, uniform, 10_000, samples)
    draws = {
        "normal, mean 0.5, sd 0.1": lambda k: tf.random.normal([k], 0.5, 0.1),
        "uniform in [0.25, 0.75)": lambda k: tf.random.uniform([k], 0.25, 0.75),
        "uniform in [0, 0.5) (mean square 1/12 as well)": lambda k: tf.random.uniform([k], 0, 0.5),
    }
    ratios = mistake_ratios(wrong, draws, reference_mse, seeds, tols)

    def aimed_at(test: str, tol: float) -> dict[str, list[float]]:
        return {name: [r * tol for r in found] for name, t, found in ratios if t == test}

    rows = [
        run.row(
            test,
            name,
            quantity,
            errors[key],
            aimed_at(test, tols[name]) if test not in (MSE, TWELFTH) else None,
            value=tols[name],
        )
        for test, quantity, key, name in CORRECT_ROWS
    ]
    sigmas = tols["ONE_TWELFTH_TOL"]
    rows += [
        run.row(
            TWELFTH,
            "ONE_TWELFTH_TOL",
            f"abs(loss - 1/12) in spreads sqrt(1 / (180 N)), N = {n}",
            list(values),
            aimed_at(TWELFTH, sigmas) if n == 10_000 else None,
            value=sigmas,
        )
        for n, values in sorted(spreads.items())
    ]
    mistakes = [
        run.mistake(
            name,
            test,
            MISTAKE_TOLERANCES[test],
            "error / tolerance (above 1: caught)",
            found,
            caught=sum(ratio > 1 for ratio in found),
        )
        for name, test, found in ratios
    ]
    notes = (f"{len(correct)} correct answers (the reference and the correct variants).",)
    return Measured(tuple(rows), tuple(mistakes), notes)
