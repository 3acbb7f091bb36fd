"""Shared helpers of the benchmark scripts: timing, peak memory, machine and versions.

Only the standard library and numpy are imported, so a peer's environment (which may not have
cjmodels) can import this file too. Timings are wall-clock medians over repeats with their
interquartile range; peak memory is the process's resident high-water mark (``VmHWM`` from
``/proc/self/status``; ``ru_maxrss`` where that is missing), measured in a fresh process per
point when it matters (see :func:`run_json`).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def timings(fn: Callable[[], Any], repeat: int = 3, warmup: int = 0) -> tuple[dict, Any]:
    """Run ``fn`` ``warmup + repeat`` times; the median, quartiles and all wall times.

    Returns ``({"median", "iqr", "q1", "q3", "min", "repeat", "times", "cpu_median"}, out)``
    where ``out`` is the last run's result and ``cpu_median`` the median process CPU time.
    """
    out = None
    for _ in range(warmup):
        out = fn()
    wall, cpu = [], []
    for _ in range(max(repeat, 1)):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    q1, med, q3 = np.percentile(wall, [25, 50, 75])
    return {
        "median": round(float(med), 4),
        "iqr": round(float(q3 - q1), 4),
        "q1": round(float(q1), 4),
        "q3": round(float(q3), 4),
        "min": round(float(min(wall)), 4),
        "repeat": len(wall),
        "times": [round(t, 4) for t in wall],
        "cpu_median": round(float(np.median(cpu)), 4),
    }, out


def _status_kib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib / 1024, 1)


def rss_mib() -> float:
    """Current resident memory of this process (MiB)."""
    kib = _status_kib("VmRSS")
    return round((kib or 0.0) / 1024, 1)


def load_average() -> list[float]:
    """1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(float(line.split()[1]) / 2**20, 1)
    except OSError:
        return None
    return None


def machine() -> dict:
    """CPU model, cores, RAM, OS, Python and the load average now."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": load_average(),
    }


def versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of the named distributions (None when missing)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_json(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
    """Run a command that prints one JSON object on its last stdout line; parse it.

    A failure is returned as ``{"error": ...}`` (never raised), so one broken peer does not
    stop a suite.
    """
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})}, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout)[-1500:], "returncode": proc.returncode}
    return json.loads(lines[-1])


def emit(obj: dict) -> None:
    """Print ``obj`` as one JSON line (how a child process reports back)."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def write_json(obj: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def command_line() -> str:
    """The command that ran this script, relative to the project root where possible."""
    exe = Path(sys.executable)
    try:
        exe_text = str(exe.relative_to(ROOT))
    except ValueError:
        exe_text = "python"
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(ROOT))
    except ValueError:
        script_text = sys.argv[0]
    return " ".join([exe_text, script_text, *sys.argv[1:]])


def source_digest(package: str = "cjmodels/data") -> str:
    """A short hash of the package's sources, so results from mixed code versions show."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((ROOT / package).glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def descendants_peak_rss_mib() -> float:
    """Sum of the peak resident memory of this process's descendants still running (MiB):
    for example the Java process behind a local Spark session."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += float(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def available_mib() -> float | None:
    """MemAvailable from /proc/meminfo (MiB)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) / 1024
    except OSError:
        return None
    return None
