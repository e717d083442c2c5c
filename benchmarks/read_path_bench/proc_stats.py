"""CPU and memory read from ``/proc``: a process's CPU ticks and RSS, the PostgreSQL backends serving one
server's connections, the machine's busy ticks, and the waits for a quiet machine and an idle server. Read
directly because the numbers must cover exactly the server, its backends and nothing else on a shared machine."""

from __future__ import annotations

import os
import re
import resource
import threading
import time

from .errors import BenchmarkError


def cpu_ticks(pid: int) -> int:
    """utime + stime of all the process's threads, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise BenchmarkError(f"no VmRSS for process {pid}")


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def database_client_ports(pid: int, database_port: int) -> set[int]:
    """Local ports of the process's TCP connections to PostgreSQL (its socket inodes looked up in /proc/net/tcp*)."""
    inodes = set()
    for descriptor in os.scandir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(descriptor.path)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as sockets:
            next(sockets)
            for line in sockets:
                columns = line.split()
                local, remote, inode = columns[1], columns[2], columns[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == database_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


BACKEND_TITLE = re.compile(rb"^postgres: .*? (?P<database>\S+) [^ ]+\((?P<port>\d+)\) ")


def database_backends(database: str, client_ports: set[int]) -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends serving ``database`` for the given client ports.

    A backend's process title names its database and its client's address and port, so other people's
    sessions on the same database, autovacuum and background processes are left out.
    """
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                title = BACKEND_TITLE.match(cmdline.read())
            if title and title["database"] == database.encode() and int(title["port"]) in client_ports:
                ticks[int(entry.name)] = cpu_ticks(int(entry.name))
        except OSError:
            continue
    return ticks


class DatabaseCpu(threading.Thread):
    """CPU of the backends serving one server's connections, sampled every 0.2 s so that connections the
    server opens and closes during a run are counted too."""

    def __init__(self, database: str, server_pid: int, database_port: int) -> None:
        super().__init__(daemon=True)
        self.database, self.server_pid, self.database_port = database, server_pid, database_port
        self.baseline = self._sample()
        self.latest = dict(self.baseline)
        self._stop_event = threading.Event()

    def _sample(self) -> dict[int, int]:
        return database_backends(self.database, database_client_ports(self.server_pid, self.database_port))

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            self.latest.update(self._sample())

    def finish(self) -> float:
        self._stop_event.set()
        self.join()
        self.latest.update(self._sample())
        ticks = sum(value - self.baseline.get(pid, 0) for pid, value in self.latest.items())
        return ticks / TICKS_PER_SECOND


def machine_busy_ticks() -> int:
    """Non-idle CPU ticks of the whole machine, all cores (first line of /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in stat.readline().split()[1:9])
    return user + nice + system + irq + softirq + steal


def own_ticks() -> float:
    """CPU used by this driver and its finished children (wrk), in ticks."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime) * TICKS_PER_SECOND


def wait_until_quiet(max_wait_seconds: float, threshold: float = 0.15) -> float:
    """The machine is shared: wait (bounded) until other processes use under ``threshold`` of its CPUs.

    Returns the share measured last (0–1), printed with each run so a noisy run can be told apart.
    """
    deadline = time.monotonic() + max_wait_seconds
    while True:
        busy, started = machine_busy_ticks(), time.monotonic()
        time.sleep(1.0)
        share = (machine_busy_ticks() - busy) / (TICKS_PER_SECOND * (time.monotonic() - started) * os.cpu_count())
        if share < threshold or time.monotonic() >= deadline:
            return share


def wait_until_idle(pid: int, max_wait_seconds: float = 120) -> None:
    """When wrk stops, each connection still has one request in the server: let the server finish them, so
    their cost is counted in this run and does not spill into the next one."""
    deadline = time.monotonic() + max_wait_seconds
    before = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now - before <= 0.02 * 0.5 * TICKS_PER_SECOND:  # under 2 % of a core for half a second
            return
        before = now
