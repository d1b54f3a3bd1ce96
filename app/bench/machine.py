"""The machine a benchmark ran on: CPU model, cores, RAM, Python, OS, and how busy it was."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

QUIET_LOAD = 0.5  # a 1-minute load average below this counts as a quiet machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> float | None:
    """The 1-minute load average, where the OS reports one."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """What the figures depend on, as JSON-ready values."""
    load = load_average()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "load_1min": load,
        "quiet": load is not None and load < QUIET_LOAD,
    }


def describe(machine: dict[str, Any]) -> str:
    """One line: CPU, cores, RAM, Python, OS and load."""
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, {machine['os']}; 1-min load {machine['load_1min']}"
    )
