"""Dagster's servers started for a test or a benchmark: free ports, process groups, the webserver's GraphQL API."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str, **variables) -> dict:
    """The ``data`` of the webserver's answer to ``query``; RuntimeError when it answers with errors."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"query": query, "variables": variables}).encode())
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = json.load(answer)
    if "errors" in body:
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


class Processes:
    """Commands run from the project's folder, each in a process group of its own, all stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, name: str, command: list[str]) -> None:
        """Start ``command`` (``dagster…`` commands from this environment's bin folder), its output in ``name``.log."""
        if command[0].startswith("dagster"):
            command = [str(Path(sys.executable).parent / command[0]), *command[1:]]
        with (self.logs / f"{name}.log").open("w") as log:
            process = subprocess.Popen(command, cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append((name, process))

    def wait_for(self, what: str, condition, timeout: float, every: float = 1.0):
        """``condition()``'s first true value (OSError counts as not yet); RuntimeError when a command exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.started:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} while waiting for {what}:\n"
                                       f"{self.log_tail(name)}")
            try:
                found = condition()
            except OSError:
                found = None
            if found:
                return found
            time.sleep(every)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")

    def log_tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> str:
        """Stop every group (the command, the code server it started, the runs' processes); say which are gone."""
        for _, process in self.started:
            signal_group(process.pid, signal.SIGTERM)
        for _, process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            signal_group(process.pid, signal.SIGKILL)  # what the group still holds
            process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(group_alive(process.pid) for _, process in self.started) and time.monotonic() < deadline:
            time.sleep(0.2)
        return ", ".join(f"{name} (process group {process.pid}: {'ALIVE' if group_alive(process.pid) else 'empty'})"
                         for name, process in self.started)


def signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
