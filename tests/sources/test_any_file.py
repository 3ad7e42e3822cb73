"""Whatever bytes a stage, plan or .zwo file holds, `treadlink validate` answers 0 or 2.

Generated documents mix the shapes that broke it before: aliases and anchors, merge keys, deep
nesting, huge repeat counts and durations, explicit tags, odd scalars and stray bytes. Each run is
in-process (`treadlink.cli.main`), so an exception escaping it fails the test with the traceback
the runner would have seen; tracemalloc bounds the memory each document may cost. Deterministic
(derandomize) and modest in examples: CI runs the same few hundred documents every time.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treadlink.cli import main

pytestmark = pytest.mark.slow

PEAK_BYTES = 64 * 1024**2  # a bad file may cost this much Python memory, not gigabytes

PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,  # time is bounded by the subprocess tests' RLIMIT_CPU, not per example here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

KEYS = [
    "items", "stages", "repeat", "walk", "run", "speed", "pace", "for", "distance", "incline",
    "name", "cue", "cues", "at", "text", "description", "walk_speed", "run_speed", "<<", "_env",
    "1", "? [a]", "'items'",
]  # fmt: skip

SCALARS = [
    "3:00", "0:30", "1:01:30", "99999:00:00", "8:00:01", "0:00", "-1", "0", "1", "2", "1000",
    "100000000", "LONG-NUMBER", "1e999", "-.inf", ".nan", "1e-300", "400m", "1.2km", "0m",
    "50000.1m", "5k", "mile", "~", "null", "yes", "no", "2024-05-01", "0x1F", "0o17", "1_000",
    "!!int x", "!!float nope", "!!binary '@@'", "!!timestamp x", "!!str 3", "!foo bar",
    "!!python/object:os.system x", "'quoted'", '"\\x00"', '"\\u2028"', "LONG-TEXT", "&a 1", "*a",
    "*undefined", "<<", "@", "`", "%",
]  # fmt: skip


def _flow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    lists = st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
    maps = st.lists(st.tuples(st.sampled_from(KEYS), children), max_size=4).map(
        lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"
    )
    anchored = st.tuples(st.sampled_from(["a", "b"]), st.one_of(lists, maps)).map(
        lambda t: f"&{t[0]} {t[1]}"
    )
    return st.one_of(lists, maps, anchored)


def _long(scalar: str) -> str:
    # Written out here, not in SCALARS, so hypothesis does not repr 5 kB for every example.
    return scalar.replace("LONG-NUMBER", "1" + "0" * 5000).replace("LONG-TEXT", "x" * 300)


NODES = st.recursive(
    st.one_of(st.sampled_from(SCALARS).map(_long), st.integers().map(str), st.floats().map(repr)),
    _flow,
    max_leaves=25,
)

ALIAS_BOMB_LINES = st.integers(1, 12).map(
    lambda n: (
        "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, n))
    )
)

DEEP = st.tuples(st.integers(20, 400), st.sampled_from(["[", "{a: ", "- "])).map(
    lambda t: t[1] * t[0] + ("]" * t[0] if t[1] == "[" else "}" * t[0] if t[1] == "{a: " else "x")
)

NESTED_REPEATS = st.lists(st.sampled_from(SCALARS[:12]), min_size=1, max_size=6).map(
    lambda counts: (
        "items:\n"
        + "".join(
            f"{'    ' * i}  - repeat: {c}\n{'    ' * i}    items:\n" for i, c in enumerate(counts)
        )
        + f"{'    ' * len(counts)}  - walk: 1\n"
    )
)

# Mostly valid stages, with a value or a count that may not be: where the limits bite.
SEGMENTS = st.sampled_from(
    ["{walk: 3:00}", "{run: 0:30}", "{run: 400m}", "{speed: 8.2, for: 2:00}",
     "{pace: 5k, distance: 1km}", "{walk: 1:00, incline: 2, cues: [{at: 0:30, text: hi}]}"]
)  # fmt: skip
REPEATS = ["1", "2", "6", "12", "1000", "100000000", "0", "-1", "LONG-NUMBER", "3:00", "yes"]
VALIDISH = st.lists(
    st.one_of(
        SEGMENTS,
        st.tuples(st.sampled_from(REPEATS).map(_long), st.lists(SEGMENTS, min_size=1)).map(
            lambda t: f"{{repeat: {t[0]}, items: [{', '.join(t[1])}]}}"
        ),
    ),
    min_size=1,
    max_size=6,
).map(lambda items: "items:\n" + "".join(f"  - {i}\n" for i in items))

STAGES = st.one_of(
    VALIDISH,
    NODES.map(lambda node: f"items: {node}\n"),
    st.lists(st.tuples(st.sampled_from(KEYS), NODES), max_size=4).map(
        lambda kvs: "".join(f"{k}: {v}\n" for k, v in kvs)
    ),
    NODES,
    ALIAS_BOMB_LINES,
    DEEP,
    NESTED_REPEATS,
    st.text(max_size=200),
)


def _zwo_element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    tags = st.sampled_from(
        ["SteadyState", "IntervalsT", "Warmup", "Ramp", "FreeRide", "textevent", "workout", "x"]
    )
    names = st.sampled_from(
        ["Duration", "Power", "PowerLow", "PowerHigh", "Repeat", "OnDuration", "OffDuration",
         "OnPower", "OffPower", "pace", "timeoffset", "message", "Cadence", "bogus"]
    )  # fmt: skip
    values = st.sampled_from(
        [
            "60",
            "0.8",
            "1e12",
            "-1",
            "nan",
            "inf",
            "1000000000",
            "9",
            "",
            "&amp;",
            "&x;",
            "LONG-TEXT",
        ]
    )
    attrs = st.lists(st.tuples(names, values), max_size=5, unique_by=lambda a: a[0]).map(
        lambda kvs: "".join(f' {k}="{_long(v)}"' for k, v in kvs)
    )
    return st.tuples(tags, attrs, st.lists(children, max_size=4)).map(
        lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>"
    )


ZWO_LEAVES = [
    "", "text", "<SteadyState Duration='60' Power='0.8'/>", "<textevent message='x'/>", "&lol9;",
    "<",
]  # fmt: skip
ZWO_BODY = st.recursive(
    st.sampled_from(ZWO_LEAVES),
    _zwo_element,
    max_leaves=12,
)

ZWOS = st.tuples(
    st.sampled_from(
        [
            "",
            "",
            "",
            '<?xml version="1.0"?>\n',
            '<?xml version="1.0" encoding="bogus"?>\n',
            '<?xml version="1.0" encoding="utf-16"?>\n',
            '<!DOCTYPE w [<!ENTITY lol9 "lol">]>\n',
            '<!DOCTYPE w SYSTEM "file:///etc/passwd">\n',
        ]
    ),
    st.sampled_from(["run", "run", "run", "bike", "", "&lol9;"]),
    st.sampled_from(
        ["", "<durationType>distance</durationType>", "<durationType>x</durationType>"]
    ),
    ZWO_BODY,
    st.sampled_from(["<workout_file>", "<workout_file>", "<workout_file>", "<workout>", ""]),
).map(
    lambda t: (
        f"{t[0]}{t[4]}<sportType>{t[1]}</sportType>{t[2]}<workout>{t[3]}</workout>"
        + ("</workout_file>" if t[4] == "<workout_file>" else "")
    )
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as env, tempfile.TemporaryDirectory() as tmp:
        for name in ("TREADLINK_CONFIG", "TREADLINK_PACES", "TREADLINK_MAX_SPEED"):
            env.delenv(name, raising=False)
        env.setenv("XDG_CONFIG_HOME", str(Path(tmp) / "no-config"))
        yield Path(tmp)


def _validate(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["validate", str(path)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak / 1024**2:.0f} MB for {path.read_bytes()[:200]!r}"
    return status, out.getvalue() + err.getvalue()


def _check(status: int, output: str) -> None:
    assert status in (0, 2), output
    assert "Traceback" not in output
    if status == 2:
        assert output.startswith("BAD "), output
        # One line per problem, each a short one: no value is quoted whole.
        assert all(len(line) < 600 for line in output.splitlines()), output


@PROPERTY
@given(text=STAGES, suffix=st.sampled_from([".yaml", ".yml"]))
def test_any_yaml_is_ok_or_refused(folder: Path, text: str, suffix: str) -> None:
    path = folder / f"stage{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(*_validate(path))


@PROPERTY
@given(data=st.one_of(STAGES.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary()))
def test_any_bytes_are_ok_or_refused(folder: Path, data: bytes) -> None:
    path = folder / "bytes.yaml"
    path.write_bytes(data)
    _check(*_validate(path))


@PROPERTY
@given(text=ZWOS)
def test_any_zwo_is_ok_or_refused(folder: Path, text: str) -> None:
    path = folder / "workout.zwo"
    path.write_text(text, encoding="utf-8")
    _check(*_validate(path))
