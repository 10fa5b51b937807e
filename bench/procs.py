"""Looking at a server's processes: memory per process, the process tree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psutil

MB = 1024 * 1024


def memory(processes: list[psutil.Process]) -> pd.DataFrame:
    """Memory per process in MB. RSS counts shared pages in every process that maps them; USS is
    what the process alone holds (freed if it exits); PSS splits shared pages between sharers."""
    rows = []
    for role, proc in zip(["master", *["worker"] * (len(processes) - 1)], processes, strict=True):
        info = proc.memory_full_info()
        rows.append({"pid": proc.pid, "role": role, "rss MB": info.rss / MB, "uss MB": info.uss / MB,
                     "pss MB": getattr(info, "pss", info.uss) / MB})
    return pd.DataFrame(rows).round(1)


def tree(processes: list[psutil.Process]) -> pd.DataFrame:
    """pid, parent pid and command line of each process: the pre-fork model, made visible."""
    def short(proc: psutil.Process) -> str:
        return " ".join(Path(part).name if part.startswith("/") else part for part in proc.cmdline())[:90]

    return pd.DataFrame([{"pid": p.pid, "ppid": p.ppid(), "command": short(p)} for p in processes])
