"""A real Synapse homeserver for the tests, on 127.0.0.1, in a temporary directory.

Usage::

    server = SynapseServer()
    server.start()                       # a few seconds
    user_id, token = server.register("alice", "secret")
    ...                                  # talk to server.base_url
    server.stop()                        # kills it by its PID, removes the directory

The server has one plain-HTTP listener (client and admin API) on a free port
of 127.0.0.1 and no federation listener; it trusts no key server, never phones
home, keeps its SQLite database, media and log in the temporary directory, and
has its rate limits raised so load tests are not throttled. Synapse's default
``filter_timeline_limit`` (100) is kept, so a burst makes a sync ``limited``
just as on a real server.

Only the standard library is used here (the HTTP calls are urllib); Synapse
itself runs in a subprocess of the same interpreter as the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

# Generous limits for every rate limiter a client-server test can hit
# (names as read by synapse/config/ratelimiting.py, Synapse 1.163).
_UNLIMITED: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}

# urllib without any proxy from the environment: the tests talk to 127.0.0.1 only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class MatrixUser:
    """A user registered on the test Synapse, with a logged-in device."""

    user_id: str
    access_token: str
    password: str
    localpart: str


# The type of the ``matrix_user`` fixture: ``matrix_user(prefix="user", *, admin=False)``.
MatrixUserFactory = Callable[..., MatrixUser]


class SynapseServer:
    """One Synapse process with its own config, database and log in a temp dir."""

    def __init__(self, server_name: str = "localhost", *, startup_timeout: float = 60.0) -> None:
        self.server_name = server_name
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.directory = Path(tempfile.mkdtemp(prefix="synapse-"))
        self.config_path = self.directory / "homeserver.yaml"
        self.log_path = self.directory / "homeserver.log"
        self.registration_shared_secret = secrets.token_hex(32)
        self._process: subprocess.Popen[bytes] | None = None

    # -- configuration -------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The homeserver config (Synapse reads it as YAML; it is written as JSON)."""
        d = self.directory
        return {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    # "client" also serves /_synapse/admin; no "federation".
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "media_store_path": str(d / "media_store"),
            "signing_key_path": str(d / f"{self.server_name}.signing.key"),
            "registration_shared_secret": self.registration_shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "bcrypt_rounds": 4,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],  # no outbound federation to anyone
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            # Rate limits, raised for the load tests.
            "rc_message": _UNLIMITED,
            "rc_registration": _UNLIMITED,
            "rc_login": {
                "address": _UNLIMITED,
                "account": _UNLIMITED,
                "failed_attempts": _UNLIMITED,
            },
            "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
            "rc_joins_per_room": _UNLIMITED,
            "rc_invites": {
                "per_room": _UNLIMITED,
                "per_user": _UNLIMITED,
                "per_issuer": _UNLIMITED,
            },
            "rc_3pid_validation": _UNLIMITED,
            "rc_room_creation": _UNLIMITED,
            "rc_key_requests": _UNLIMITED,
            "rc_presence": {"per_user": _UNLIMITED},
            "rc_delayed_event_mgmt": _UNLIMITED,
            "rc_media_create": _UNLIMITED,
            "rc_reports": _UNLIMITED,
            "rc_profile": _UNLIMITED,
            "rc_user_directory": _UNLIMITED,
            "rc_admin_redaction": _UNLIMITED,
            # filter_timeline_limit is deliberately left at Synapse's default (100).
        }

    def write_config(self) -> None:
        """Write the config and let Synapse generate the signing key beside it."""
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        subprocess.run(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path),
             "--generate-keys"],
            cwd=self.directory, check=True, capture_output=True, timeout=60,
        )

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Start Synapse and wait until the client API answers.

        Raises ``RuntimeError`` with the end of Synapse's log if it exits or does
        not answer within ``startup_timeout`` seconds.
        """
        if self._process is not None:
            raise RuntimeError("this SynapseServer is already started")
        self.write_config()
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.directory, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                self._fail(f"Synapse exited with code {self._process.returncode} while starting")
            try:
                self.request("GET", "/_matrix/client/versions", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self._fail(f"Synapse did not answer within {self.startup_timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the process by its PID (SIGTERM, then SIGKILL) and remove the temp dir."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of Synapse's log."""
        try:
            with self.log_path.open(encoding="utf-8", errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except FileNotFoundError:
            return "(no log)"

    def _fail(self, reason: str) -> None:
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"{reason}; last lines of its log:\n{tail}")

    # -- users -------------------------------------------------------------------

    def register(self, localpart: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Register a user through the shared-secret admin API.

        Returns ``(user_id, access_token)``; the token belongs to a fresh device.
        """
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([
            nonce.encode(), localpart.encode(), password.encode(),
            b"admin" if admin else b"notadmin",
        ]))
        body = {
            "nonce": nonce, "username": localpart, "password": password,
            "admin": admin, "mac": mac.hexdigest(),
        }
        answer = self.request("POST", "/_synapse/admin/v1/register", body)
        return answer["user_id"], answer["access_token"]

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *,
        access_token: str | None = None, timeout: float = 30,
    ) -> dict[str, Any]:
        """One JSON request to the server, e.g. ``request("GET", "/_matrix/client/versions")``.

        Raises ``RuntimeError`` with the server's answer on an HTTP error status.
        """
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers,
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                result: dict[str, Any] = json.load(response)
                return result
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise RuntimeError(f"{method} {path} -> HTTP {error.code}: {detail}") from error
