"""treadlink reaches into two private attributes of aiomqtt's client: an aiomqtt without them is
refused when treadlink.mqtt is imported, by name, with the version to install."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import aiomqtt
import pytest

from treadlink.mqtt.aiomqtt_private import REACHED, TESTED, check, missing

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_installed_aiomqtt_is_the_one_tested_and_has_both() -> None:
    assert aiomqtt.__version__.startswith(f"{TESTED}.")
    assert missing(aiomqtt.Client) == []
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert f"aiomqtt>={TESTED},<2.6" in dependencies  # the pin moves with TESTED


class PahoClientRenamed(aiomqtt.Client):
    def __init__(self) -> None:
        self._queue = None
        self._paho = None


class QueueRenamed(aiomqtt.Client):
    def __init__(self) -> None:
        self._client = None
        self._incoming = None


@pytest.mark.parametrize(
    ("client_type", "gone"), [(PahoClientRenamed, "_client"), (QueueRenamed, "_queue")]
)
def test_a_client_without_an_attribute_is_refused_by_name(
    client_type: type[aiomqtt.Client], gone: str
) -> None:
    with pytest.raises(ImportError, match=rf"aiomqtt {TESTED}\.x: .* has no Client\.{gone} "):
        check(client_type)


def test_the_import_of_treadlink_mqtt_fails_loudly() -> None:
    probe = (
        "import aiomqtt\n"
        "def __init__(self, *args, **kwargs):\n"
        "    self._client = None\n"
        "aiomqtt.Client.__init__ = __init__\n"
        "import treadlink.mqtt.client\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        f"ImportError: treadlink needs aiomqtt {TESTED}.x: aiomqtt {aiomqtt.__version__} has no "
        f"Client._queue ({REACHED['_queue']}); install 'aiomqtt>={TESTED},<2.6'"
    )
