"""Whether the course runs in its own dev container (.devcontainer/), and which program opened it.

    bench.host.devcontainer.where()      # "Codespaces", "VS Code", "a dev container" or None
    bench.host.devcontainer.describe(kind_ready=False)   # notebook 00's line for it, or None

The container sets COURSE_DEVCONTAINER=1 (devcontainer.json's `containerEnv`); GitHub Codespaces adds
CODESPACES=true and VS Code's Dev Containers REMOTE_CONTAINERS=true. Another container with those variables but
not ours (another project's Codespace) is not the course's: its tools may differ, so only the course's switch counts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SWITCH = "COURSE_DEVCONTAINER"
# Variables the programs that open a dev container set inside it, in the order they are checked.
OPENED_BY = (("CODESPACES", "Codespaces"), ("REMOTE_CONTAINERS", "VS Code"))


def where(environ: Mapping[str, str] | None = None) -> str | None:
    """Which program opened the course's dev container ("a dev container" when none says), or None outside it."""
    environ = os.environ if environ is None else environ
    if environ.get(SWITCH, "").strip() in ("", "0"):
        return None
    for variable, program in OPENED_BY:
        if environ.get(variable, "").strip().lower() == "true":
            return program
    return "a dev container"


def describe(kind_ready: bool, environ: Mapping[str, str] | None = None) -> str | None:
    """Notebook 00's first line in the course's dev container (None elsewhere): where it runs, that Docker runs
    inside it, and whether kind and kubectl were installed for stage 06's live part (kind's nodes are privileged
    containers, which the engine inside may refuse: not yet tried) or 06 runs only its offline parts."""
    program = where(environ)
    if program is None:
        return None
    opened = "" if program == "a dev container" else f" ({program})"
    kind = ("kind and kubectl are installed: 06's live part runs where the engine inside may start kind's "
            "privileged node containers, which has not been tried yet (not on this engine without --privileged)"
            if kind_ready else
            "kind or kubectl is missing (the image was built where their downloads could not be reached), "
            "so 06 runs its offline parts")
    return f"✓ running in the course's dev container{opened}: it has a Docker engine of its own; {kind}."
