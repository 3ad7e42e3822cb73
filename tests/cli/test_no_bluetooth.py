"""A computer whose Bluetooth cannot be used: `scan`, `probe` and `run` say what is missing and how
to fix it, exit with status 1, and show no traceback.

The commands run as real processes. $DBUS_SYSTEM_BUS_ADDRESS points dbus_fast (under bleak) at a
socket path of the test's choosing, so each case is the same on any machine: no socket at all, a
file nothing listens on, a bus that refuses us. Powered-off adapters and D-Bus refusals that need a
real BlueZ are checked on `explain` with the exceptions bleak and dbus_fast really raise.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakError,
)
from dbus_fast.errors import AuthError

from tests.support.cli_process import treadlink_without_bluetooth
from treadlink.ble.native import DEFAULT_SYSTEM_BUS, BluetoothUnavailable, explain
from treadlink.ble.radio import TreadmillNotFound

STAGE = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-01.yaml"
COMMANDS = {
    "scan": ["scan", "--timeout", "1"],
    "probe": ["probe", "--timeout", "1"],
    "run": ["run", str(STAGE), "--timeout", "1"],
}


def assert_told(done: subprocess.CompletedProcess[str], command: str, *says: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    told = done.stderr.strip().splitlines()[-1]
    assert told.startswith(f"treadlink {command}: "), done.stderr
    for text in (*says, "or use --sim"):
        assert text in told, told


@pytest.mark.parametrize("command", COMMANDS)
def test_no_system_bus(command: str, tmp_path: Path) -> None:
    bus = tmp_path / "system_bus_socket"
    done = treadlink_without_bluetooth(COMMANDS[command], str(bus), tmp_path)
    assert_told(
        done,
        command,
        f"no Bluetooth: the BlueZ D-Bus system bus is not running ({bus} not found)",
        "Start dbus and bluetoothd",
    )
    assert done.stdout == ""  # nothing about a treadmill, nothing sent


@pytest.mark.skipif(
    Path(DEFAULT_SYSTEM_BUS.removeprefix("unix:path=")).exists(),
    reason="this machine has a D-Bus system bus",
)
def test_this_machine_without_dbus(tmp_path: Path) -> None:
    done = treadlink_without_bluetooth(COMMANDS["scan"], None, tmp_path)
    assert_told(done, "scan", "(/var/run/dbus/system_bus_socket not found)")


def test_nothing_listening_on_the_bus(tmp_path: Path) -> None:
    bus = tmp_path / "system_bus_socket"
    bus.write_text("")  # a leftover file: connecting is refused
    done = treadlink_without_bluetooth(COMMANDS["probe"], str(bus), tmp_path)
    assert_told(done, "probe", f"no Bluetooth: the D-Bus system bus is not answering ({bus}: ")


@contextlib.contextmanager
def bus_refusing_us(path: Path) -> Iterator[None]:
    """A unix socket that answers every D-Bus authentication attempt with REJECTED."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    server.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            with client, contextlib.suppress(OSError):
                client.settimeout(5)
                said = b""
                while b"AUTH" not in said or not said.endswith(b"\r\n"):
                    chunk = client.recv(4096)
                    if not chunk:
                        break
                    said += chunk
                client.sendall(b"REJECTED EXTERNAL\r\n")
                while client.recv(4096):  # until the client gives up and hangs up
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
        server.close()


def test_a_bus_that_refuses_us(tmp_path: Path) -> None:
    bus = tmp_path / "system_bus_socket"
    with bus_refusing_us(bus):
        done = treadlink_without_bluetooth(COMMANDS["run"], str(bus), tmp_path)
    assert_told(done, "run", "no permission to use Bluetooth (authentication failed")


# --- the translation, on the exceptions bleak and dbus_fast raise ------------------------------
Why = BleakBluetoothNotAvailableReason


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            # bleak's BlueZ manager, every adapter off (and macOS/Windows alike)
            BleakBluetoothNotAvailableError(
                "No powered Bluetooth adapters found. Turn on Bluetooth and try again.",
                Why.POWERED_OFF,
            ),
            "the Bluetooth adapter is powered off (No powered Bluetooth adapters found.",
        ),
        (
            BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]),
            "the Bluetooth adapter is powered off (BlueZ said org.bluez.Error.NotReady)",
        ),
        (
            BleakError("Bluetooth adapter is powered off"),  # older bleak, other backends
            "the Bluetooth adapter is powered off (Bluetooth adapter is powered off)",
        ),
        (
            BleakBluetoothNotAvailableError("No Bluetooth adapters found.", Why.NO_BLUETOOTH),
            "no Bluetooth adapter found. Plug in or enable one",
        ),
        (
            BleakBluetoothNotAvailableError("access to Bluetooth denied", Why.DENIED_BY_USER),
            "no permission to use Bluetooth (access to Bluetooth denied)",
        ),
        (
            BleakDBusError(
                "org.freedesktop.DBus.Error.AccessDenied",
                ['Rejected send message, 1 matched rules; type="method_call"'],
            ),
            "no permission to use Bluetooth (BlueZ said org.freedesktop.DBus.Error.AccessDenied: "
            "Rejected send message",
        ),
        (
            BleakDBusError("org.bluez.Error.NotPermitted", ["Not Permitted"]),
            "no permission to use Bluetooth (BlueZ said org.bluez.Error.NotPermitted",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "no permission to use Bluetooth (/var/run/dbus/system_bus_socket: Permission denied)",
        ),
        (
            AuthError("authentication failed: REJECTED: ['EXTERNAL']"),
            "no permission to use Bluetooth (the D-Bus system bus refused us",
        ),
        (
            BleakDBusError(
                "org.freedesktop.DBus.Error.ServiceUnknown",
                ["The name org.bluez was not provided by any .service files"],
            ),
            "no Bluetooth: BlueZ (bluetoothd) is not running on the D-Bus system bus",
        ),
        (
            BrokenPipeError(errno.EPIPE, "Broken pipe"),  # a bus that hangs up on us
            "no Bluetooth: the D-Bus system bus is not answering "
            "(/var/run/dbus/system_bus_socket: Broken pipe)",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory"),
            "no Bluetooth: the BlueZ D-Bus system bus is not running "
            "(/var/run/dbus/system_bus_socket not found)",
        ),
    ],
)
def test_explain(error: Exception, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)
    unavailable = explain(error)
    assert isinstance(unavailable, BluetoothUnavailable)
    assert isinstance(unavailable, BleakError)  # `except BleakError` in the commands catches it
    assert str(unavailable).startswith(says), str(unavailable)
    assert str(unavailable).endswith("or use --sim for the simulated treadmill")


@pytest.mark.parametrize(
    "error",
    [
        TreadmillNotFound("no FTMS treadmill (service 0x1826) heard within 5 s."),
        BleakDBusError("org.bluez.Error.InProgress", ["Operation already in progress"]),
        BleakError("Device with address F0:F0:F0:F0:F0:01 was not found."),
        ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"),
        ValueError("not about Bluetooth"),
    ],
)
def test_explain_lets_other_failures_through(error: Exception) -> None:
    assert explain(error) is None
