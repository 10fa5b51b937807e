"""Looking at a server's processes: memory per process, the process tree."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import psutil

MB = 1024 * 1024
# Why unique memory cannot be read everywhere (psutil's docs: memory_full_info needs higher privileges on macOS).
NO_USS = ("this system does not let one process read another's unique memory (USS): macOS allows it for the "
          "process's own memory only, so only RSS, which counts every shared page in every process, is measured")


def memory(processes: list[psutil.Process]) -> pd.DataFrame:
    """Memory per process in MB. RSS counts shared pages in every process that maps them; USS is
    what the process alone holds (freed if it exits); PSS splits shared pages between sharers.
    Where the system denies USS and PSS (macOS, for other processes), those columns are NaN."""
    rows = []
    for role, proc in zip(["master", *["worker"] * (len(processes) - 1)], processes, strict=True):
        try:
            info = proc.memory_full_info()
            uss, pss = info.uss, getattr(info, "pss", info.uss)
        except psutil.AccessDenied:
            info, uss, pss = proc.memory_info(), math.nan, math.nan
        rows.append({"pid": proc.pid, "role": role, "rss MB": info.rss / MB, "uss MB": uss / MB, "pss MB": pss / MB})
    return pd.DataFrame(rows).round(1)


def unique_mb(table: pd.DataFrame) -> float:
    """The unique memory (USS) the processes of a `memory()` table hold together; NaN where it cannot be read."""
    return float(table["uss MB"].sum(min_count=len(table))) if len(table) else math.nan


def memory_kind(table: pd.DataFrame) -> str:
    """"USS" where a `memory()` table has unique memory, else "RSS" (macOS, for other processes)."""
    return "USS" if table["uss MB"].notna().all() else "RSS"


def held_mb(table: pd.DataFrame) -> float:
    """What the processes hold together: their USS, or their RSS where the system denies USS (`memory_kind`)."""
    return unique_mb(table) if memory_kind(table) == "USS" else float(table["rss MB"].sum())


def held(processes: list[psutil.Process]) -> tuple[float, str]:
    """What the processes hold together in MB, and how it was counted: "USS", or "RSS" where the system denies
    USS (macOS, for other processes)."""
    table = memory(processes)
    return held_mb(table), memory_kind(table)


def why_no_uss(*values: float | str) -> str:
    """The reason a claim about unique memory cannot be measured here: "" when every value is a measured USS
    (a number) or the kind "USS"; NO_USS when one is NaN or "RSS"."""
    return NO_USS if any(v == "RSS" or (isinstance(v, float) and math.isnan(v)) for v in values) else ""


def tree(processes: list[psutil.Process], roles: dict[int, str] | None = None) -> pd.DataFrame:
    """pid, parent pid and command line of each process: the pre-fork model, made visible; with `roles` (a server's
    `roles()`), each one's role too, which the command lines of forked processes do not show."""
    def short(proc: psutil.Process) -> str:
        return " ".join(Path(part).name if part.startswith("/") else part for part in proc.cmdline())[:90]

    return pd.DataFrame([{"pid": p.pid, "ppid": p.ppid(), **({"role": roles.get(p.pid, "?")} if roles else {}),
                          "command": short(p)} for p in processes])
