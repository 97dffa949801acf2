"""What bench/daemon_backfill.py prints about where a backfill's time went: each run's timeline from the instance's
records and events, and the CPU the started processes used (read from /proc)."""

import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playlist_assets_tests.servers import Processes

CORES = 2


def run_timeline(instance, record) -> dict:
    """When the run was created, dequeued and launched (RUN_STARTING), started, its steps' spans, and when it ended (epoch seconds)."""
    import dagster as dg

    kinds = dg.DagsterEventType
    wanted = {kinds.RUN_ENQUEUED, kinds.RUN_STARTING, kinds.RUN_START, kinds.STEP_START, kinds.STEP_SUCCESS,
              kinds.STEP_FAILURE}
    timeline: dict = {"created": record.create_timestamp.timestamp(), "end": record.end_time, "steps": {}, "events": 0,
                      "planned": 0}
    for entry in instance.all_logs(record.dagster_run.run_id):
        event = entry.dagster_event
        timeline["events"] += 1
        timeline["planned"] += bool(event and event.event_type == kinds.ASSET_MATERIALIZATION_PLANNED)
        if not event or event.event_type not in wanted:
            continue
        if event.event_type in (kinds.STEP_START, kinds.STEP_SUCCESS, kinds.STEP_FAILURE):
            timeline["steps"].setdefault(event.step_key, []).append(entry.timestamp)
        else:
            timeline[event.event_type.name] = entry.timestamp
    return timeline


def where_the_time_went(runs: list[dict], launched_at: float, ended_at: float, status_seen_at: float,
                        import_seconds: float) -> list[str]:
    """Lines on the daemon's ticks, the runs' start-up, their steps and how long both cores had a run."""
    first_created = min(run["created"] for run in runs)
    submitted = [run["RUN_ENQUEUED"] - run["created"] for run in runs]
    queued = [run["RUN_STARTING"] - run["RUN_ENQUEUED"] for run in runs]
    start_up = [run["RUN_START"] - run["RUN_STARTING"] for run in runs]
    to_first_step = [min(spans[0] for spans in run["steps"].values()) - run["RUN_START"] for run in runs]
    durations = [run["end"] - run["RUN_START"] for run in runs]
    steps: dict[str, float] = defaultdict(float)
    for run in runs:
        for step, (start, end) in run["steps"].items():
            steps[step] += end - start
    spans = [(run["RUN_STARTING"], run["end"]) for run in runs]
    wall = ended_at - launched_at
    return [
        "where the time went (seconds; per run: min / median / max):",
        f"  launch -> the backfill daemon's tick created the first run: {first_created - launched_at:.1f}"
        " (the backfill loop ticks every 30 s from the daemon's start, fixed in Dagster)",
        f"  created -> submitted to the run queue: {spread(submitted)}"
        f" (the daemon writes the run's {sum(run['planned'] for run in runs) // len(runs)} planned-materialization events)",
        f"  submitted -> dequeued and launched by the run queue: {spread(queued)}",
        f"  launched -> the run's process started (spawn, imports, instance): {spread(start_up)}"
        f" (importing the code location alone: {import_seconds:.1f})",
        f"  started -> first step: {spread(to_first_step)}",
        f"  run durations, start to end: {spread(durations)}",
        "  steps, summed over the runs: " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in steps.items()),
        f"  events in the runs' event logs: {sum(run['events'] for run in runs)}",
        f"  a run in its process: {busy_time(spans, 1):.1f} of the {wall:.1f}; {CORES} at once: {busy_time(spans, CORES):.1f}",
        f"  last run ended -> backfill status seen: {status_seen_at - ended_at:.1f} (the backfill loop's next tick)",
    ]


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]:.1f} / {ordered[len(ordered) // 2]:.1f} / {ordered[-1]:.1f}"


def busy_time(spans: list[tuple[float, float]], at_least: int) -> float:
    """Seconds during which at least ``at_least`` of ``spans`` were open."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    total, open_now, since = 0.0, 0, None
    for moment, step in edges:
        if open_now >= at_least:
            total += moment - since
        open_now += step
        since = moment
    return total


class CpuSampler:
    """CPU seconds used since it was made by the processes of the started process groups, read from /proc (Linux)
    each time ``sample`` is called (a process's last moments after its last sample are not counted)."""

    def __init__(self, processes: "Processes"):
        self.names = {process.pid: name for name, process in processes.started}
        self.tick = os.sysconf("SC_CLK_TCK")
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.sample()
        self.first = {pid: seconds for pid, (_, seconds) in self.last.items()}

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:  # gone meanwhile
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            group = int(fields[2])
            pid, known = int(entry.name), self.last.get(int(entry.name))
            if group in self.names and (known or command):  # an exited process not yet reaped has no command line
                kind = known[0] if known else self.kind(group, command)
                self.last[pid] = (kind, (int(fields[11]) + int(fields[12])) / self.tick)

    def kind(self, group: int, command: bytes) -> str:
        if b"multiprocessing" in command or b"tail\0-F" in command or b"watch_orphans" in command:
            return "runs' processes"  # spawned by the code server, with their compute-log helpers
        name = self.names[group]
        return f"{name}'s code server" if b"grpc" in command and name != "code_server" else name

    def summary(self, floor_cpu: float | None) -> str:
        used: dict[str, float] = defaultdict(float)
        for pid, (kind, seconds) in self.last.items():
            used[kind] += seconds - self.first.get(pid, 0.0)
        runs = used.pop("runs' processes", 0.0)
        against = f" ({runs / floor_cpu:.1f} x the floor's {floor_cpu:.1f})" if floor_cpu else ""
        others = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(used.items()))
        return f"  CPU seconds from the launch to the end: runs' processes {runs:.1f}{against}; {others}"
