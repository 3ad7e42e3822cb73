"""Bad input gets a clear error naming the field: an unknown key inside a section (a treadmill's
own settings) is named as itself, with the keys that section knows, never as the section's name
with the top level's keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadlink.config import ConfigError, load_profile


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TREADLINK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_an_unknown_key_in_a_treadmills_settings_is_named_as_itself(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text('treadmills:\n  "NOBLEPRO CONNECT":\n    speed_unit: mph\n    speed_cap: 3\n')
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith(f"{path}:4: treadmills.NOBLEPRO CONNECT.speed_cap: ")
    said = problem.split(": ", 2)[2]
    assert "unknown key 'speed_cap'" in said, said
    assert "speed_unit" in said and "walk_speed" not in said, said
