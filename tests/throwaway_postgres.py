"""A PostgreSQL cluster of the tests' own, on its own port in a temporary folder, that a test may stop and start.

The machine's own PostgreSQL is never restarted: outage tests stop this one instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

POSTGRES_BIN = Path(os.environ.get("INCIDENT_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
# The server refuses to run as root; as root, the cluster belongs to the `postgres` user.
CLUSTER_USER = "postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """initdb once, then `stop()` and `start()` as often as a test likes; `remove()` at the end."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="incident-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, CLUSTER_USER)
            self._as_owner = ["runuser", "-u", CLUSTER_USER, "--"]
        # Trust on loopback: any password is accepted, so a test can put one in the URL and look for it.
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        """Stop the server as an operator's restart does: sessions are terminated, the port closes."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        status = subprocess.run(
            [*self._as_owner, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    def remove(self) -> None:
        subprocess.run(
            [*self._as_owner, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def fresh_schema_url(self, password: str = "") -> str:
        """A new schema's URL; a password given is sent (and ignored by trust authentication)."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        user = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres?schema={schema}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._as_owner, str(POSTGRES_BIN / program), *args], check=True, capture_output=True)
