"""`treadlink run` keeps the programme, end to end in subprocesses on the in-process simulator:
a plan without --stage runs the stage that comes next (said before the belt moves), the session
appears in `history --json`, and its exports read back with independent parsers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fitdecode
import pytest
from tcxreader.tcxreader import TCXReader

from tests.support.cli_process import treadlink
from treadlink.records.store import Store

pytestmark = pytest.mark.slow

STAGE = "name: {name}\nitems:\n  - walk: 0:30\n  - run: 0:30\n  - walk: 0:30\n"
PLAN = """\
name: Short programme
stages: [one.yaml, two.yaml]
progression:
  rest_days: 0
  repeat:
    rest_days: 0
  step_back:
    pain: 3
    stages: 1
    rest_days: 1
    advice: see a clinician
"""


@pytest.mark.timeout(300)
def test_a_plan_runs_its_next_stage_and_the_session_is_kept(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(STAGE.format(name="one"))
    (tmp_path / "two.yaml").write_text(STAGE.format(name="two"))
    (tmp_path / "plan.yaml").write_text(PLAN)
    data = tmp_path / "data"

    run = treadlink(
        data, "run", "plan.yaml", "--sim", "--speedup", "20", "--pain-before", "0",
        "--pain-after", "0", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.index("Next: stage 1 of 2 of Short programme (one.yaml)") < out.index("session one")
    assert "not medical advice" in out
    assert "recorded as session 1" in out

    listed = treadlink(data, "history", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (session,) = json.loads(listed.stdout)
    assert session["outcome"] == "completed" and session["simulated"] is True
    assert session["stage"] == 1 and session["plan"] == "Short programme"
    assert session["pain"] == {"before": 0, "after": 0}
    # 30 s walks at 5.5 km/h and a 30 s run at 8.5 km/h on the sped-up belt: about 163 m.
    # (20×, not faster: telemetry comes at most 20 times a real second, and the walk/run
    # split is only as fine as the frames; at 60× one frame is 3 s of the session.)
    assert session["distance_m"] == pytest.approx(163, abs=12)
    assert session["run_m"] == pytest.approx(71, abs=8)

    files = [tmp_path / "a.tcx", tmp_path / "a.fit", tmp_path / "a.png"]
    exported = treadlink(
        data, "export", "last", "--tcx", str(files[0]), "--fit", str(files[1]),
        "--png", str(files[2]), cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    with Store.open(data / "history.sqlite3") as store:
        record = store.session(1)
    laps_m = [lap.distance_m for lap in record.laps]
    assert len(laps_m) == 3 and sum(laps_m) == session["distance_m"]

    tcx = TCXReader().read(str(files[0]), only_gps=False)
    assert [lap.distance for lap in tcx.laps] == pytest.approx(laps_m)
    fit_laps: list[dict[str, Any]] = []
    with fitdecode.FitReader(files[1], check_crc=fitdecode.CrcCheck.ENABLED) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "lap":
                fit_laps.append({f.name: f.value for f in frame.fields})
    assert [lap["total_distance"] for lap in fit_laps] == pytest.approx(laps_m)
    # FIT times are whole seconds: each lap's timer is the record's to within one.
    assert [lap["total_timer_time"] for lap in fit_laps] == pytest.approx(
        [lap.time_s for lap in record.laps], abs=1.0
    )
    assert files[2].read_bytes()[:4] == b"\x89PNG"

    # The rules now ask for the next morning's pain before stage 2.
    waiting = treadlink(data, "run", "plan.yaml", "--sim", "--speedup", "60", cwd=tmp_path)
    assert waiting.returncode == 2
    assert "record the missing pain score first" in waiting.stderr
    assert "nothing was sent to the treadmill" in waiting.stderr
