"""The version of each tool the course's facts were last checked against, with the changelog read.

Raising a cap in requirements.txt means reading that changelog from the checked version up, fixing what the
course says, and updating the record here: `tests/test_versions.py` holds the caps and the record together, so a
new major release never turns CI red by itself and never slips in unread.

    python -m course.versions            what is installed, against what was checked
    python -m course.versions --outdated  also the newest release on the package index (`make outdated`)
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version


@dataclass(frozen=True)
class Checked:
    name: str  # the PyPI distribution, or the system tool's name in bench.host.env.TOOLS
    version: str  # major.minor the facts were checked against
    source: str  # the changelog or release notes read
    pip: bool = True  # capped in requirements.txt (a system tool is only noted when newer)


CHECKED = (
    Checked("gunicorn", "27.0", "https://gunicorn.org/news/"),
    Checked("pyuwsgi", "2.0", "https://uwsgi-docs.readthedocs.io/en/latest/index.html#release-notes"),
    Checked("flask", "3.1", "https://flask.palletsprojects.com/en/stable/changes/"),
    Checked("werkzeug", "3.1", "https://werkzeug.palletsprojects.com/en/stable/changes/"),
    Checked("locust", "2.47", "https://docs.locust.io/en/stable/changelog.html"),
    Checked("uvicorn", "0.55", "https://www.uvicorn.org/release-notes/"),
    # gevent numbers its releases by year: the first release of a new year waits for its changelog to be read.
    Checked("gevent", "26.9", "https://www.gevent.org/changelog.html"),
    Checked("granian", "2.8", "https://github.com/emmett-framework/granian/releases"),
    Checked("nginx", "1.30", "https://nginx.org/en/CHANGES", pip=False),
    Checked("redis", "7.4", "https://github.com/redis/redis/blob/7.4/00-RELEASENOTES", pip=False),
    Checked("docker", "28.2", "https://docs.docker.com/engine/release-notes/", pip=False),
    Checked("kubectl", "1.37", "https://kubernetes.io/releases/", pip=False),  # its skew: bench.k8s.kubectl_skew
    Checked("kind", "0.33", "https://github.com/kubernetes-sigs/kind/releases", pip=False),
)


def parse(version: str) -> tuple[int, ...]:
    """(major, minor, …) of a version string; (0,) when it has none."""
    found = re.match(r"\D*(\d+(?:\.\d+)*)", version or "")
    return tuple(int(part) for part in found.group(1).split(".")) if found else (0,)


def next_major(version: str) -> str:
    """The release a cap stops below: the next major (for 0.x, the next minor: 0.x has no compatibility promise)."""
    major, minor = (*parse(version), 0)[:2]
    return f"0.{minor + 1}" if major == 0 else f"{major + 1}"


def newer_than_checked(name: str, found: str | None) -> str:
    """A note for the tools table when `found` is a newer major.minor than the facts were checked against."""
    record = {c.name: c for c in CHECKED}.get(name)
    if record is None or not found or parse(found)[:2] <= parse(record.version)[:2]:
        return ""
    return f"newer than the {record.version} the course was checked against: see {record.source}"


def _latest(name: str) -> str:
    """The newest release on the package index (`pip index versions`), or "" when it cannot be asked."""
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    found = re.search(r"\((\S+)\)", out.stdout)
    return found.group(1) if found else ""


def rows(outdated: bool = False) -> list[dict[str, str]]:
    """One row per Python package in the record: checked, installed, and (with `outdated`) the newest release."""
    table = []
    for record in CHECKED:
        if not record.pip:
            continue
        try:
            have = installed_version(record.name)
        except PackageNotFoundError:
            have = ""
        row = {"package": record.name, "checked": record.version, "installed": have}
        if outdated:
            latest = _latest(record.name)
            row["newest"] = latest
            row["note"] = "a newer major: read its changelog before raising the cap" if latest and parse(
                latest)[:2] >= parse(next_major(record.version))[:2] else ""
        table.append(row)
    return table


def main(argv: list[str]) -> int:
    table = rows(outdated="--outdated" in argv)
    for row in table:
        print("  ".join(f"{key}: {value}" for key, value in row.items() if value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
