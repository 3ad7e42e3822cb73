"""A real Mosquitto on 127.0.0.1 for the tests and the benchmarks: three listeners on free ports,
anonymous, password (a password file made here) and TLS (certificates made here with trustme)."""

from __future__ import annotations

import getpass
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import trustme

USER, PASSWORD = "runner", "s3cret"


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found is None and Path("/usr/sbin/mosquitto").exists():
        return "/usr/sbin/mosquitto"
    return found


# Ports for brokers come from below the kernel's ephemeral range (32768 and up on Linux), in a
# block of each pytest-xdist worker's own: a port released here is never handed to another
# worker's broker, nor taken as the local port of a connection, while the broker starts or
# restarts on it (bind(0) would pick from the ephemeral range, where both happen). Blocks of 500
# from 20000: up to 25 workers (TEST_WORKERS) stay below 32768.
_BLOCK = 500
_FIRST = 20000 + _BLOCK * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
_next = itertools.count(random.randrange(_BLOCK))


def free_port() -> int:
    """A port of this worker's block that nothing listens on now (another run on the machine
    may use the same block: a port it holds is skipped)."""
    for _ in range(_BLOCK):
        port = _FIRST + next(_next) % _BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_FIRST}-{_FIRST + _BLOCK - 1}")


class Mosquitto:
    """`start()` / `stop()` / `kill()`; the same ports after a restart."""

    def __init__(self, directory: Path, *, tls: bool = True, password: bool = True) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto is not installed (.ci/run installs it with apt-get)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.password_port = free_port() if password else None
        self.tls_port = free_port() if tls else None
        self.ca: trustme.CA | None = None
        self.log: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._config = directory / "mosquitto.conf"
        lines = [
            "per_listener_settings true",
            "set_tcp_nodelay true",  # as docs/mqtt.md recommends: no Nagle delay on commands
            f"user {getpass.getuser()}",  # as root, it would drop to a user that cannot read tmp
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
        ]
        if self.password_port is not None:
            passwords = directory / "passwords"
            passwords.touch(mode=0o600)
            subprocess.run(
                ["mosquitto_passwd", "-b", str(passwords), USER, PASSWORD],
                check=True,
                capture_output=True,
            )
            lines += [
                f"listener {self.password_port} 127.0.0.1",
                "allow_anonymous false",
                f"password_file {passwords}",
            ]
        if self.tls_port is not None:
            self.ca = trustme.CA()
            cert = self.ca.issue_cert("127.0.0.1", "localhost")
            cert.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
            self.ca.cert_pem.write_to_path(str(directory / "ca.pem"))
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                "allow_anonymous true",
                f"certfile {directory / 'server.pem'}",
                f"keyfile {directory / 'server.pem'}",
            ]
        self._config.write_text("\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def start(self) -> None:
        assert self._process is None
        process = subprocess.Popen(
            [self.binary, "-c", str(self._config)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert process.stderr is not None
        for line in process.stderr:  # its own word that it listens, not a guess in time
            self.log.append(line.rstrip())
            if " running" in line:
                break
        else:
            process.wait()
            raise RuntimeError("mosquitto did not start:\n" + "\n".join(self.log))
        self._process = process
        # Drained for as long as it runs, so a chatty broker never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(process,), daemon=True).start()

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.log.append(line.rstrip())

    def stop(self) -> None:
        """Terminate and wait: the broker is gone when this returns."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=10)

    def kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: a broker that is there but answers nothing (a hung or swamped one)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
