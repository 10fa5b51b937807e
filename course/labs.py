"""Automatic lab checks: `make check LAB=02a` runs labs/02a/check.py against your copy in labs/02a/mine/.

A lab's check.py defines `check(directory: Path) -> Iterator[Check]`, yielding one result per
requirement; the lab passes when every requirement does.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.core.paths import REPO
from bench.servers import Nginx
from course import stages
from course.stages import LABS


@dataclass(frozen=True)
class Check:
    requirement: str
    passed: bool
    detail: str = ""
    skipped: bool = False  # could not run on this machine (the detail says why); neither passed nor failed

    @property
    def ok(self) -> bool:
        """Counts towards passing the lab: passed, or skipped for want of a tool."""
        return self.passed or self.skipped

    def __str__(self) -> str:
        mark = "–" if self.skipped else "✓" if self.passed else "✗"
        return f"  {mark} {self.requirement}" + (f" — {self.detail}" if self.detail else "")


def skipped(requirement: str, why: str) -> Check:
    """A check this machine cannot run."""
    return Check(requirement, False, f"not run here: {why}", skipped=True)


def start_nginx(web: Nginx) -> Iterator[Check]:
    """`nginx -t` on a learner's config, then a start, each as a check; stops at the first failure. Afterwards,
    `web.running` says whether there is an nginx to test (the caller stops it)."""
    tested = web.test_config()
    ok = tested.returncode == 0
    yield Check("nginx -t accepts the config", ok, "" if ok else tested.stderr.strip()[-300:])
    if not ok:
        return
    try:
        web.start()
    except BenchError as error:
        yield Check("nginx starts", False, str(error).splitlines()[0])


def lab_dir(lab: str) -> Path:
    if lab not in stages.labs():
        raise SystemExit(f"no lab {lab!r}; the labs are {', '.join(stages.labs())} (course/stages.py)")
    return LABS / lab


def run_check(lab: str, directory: Path) -> list[Check]:
    """Run lab `lab`'s checks against the files in `directory`."""
    spec = importlib.util.spec_from_file_location(f"lab_{lab}_check", lab_dir(lab) / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks: Iterator[Check] = module.check(directory)
    return list(checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lab", help="the lab number, e.g. 02a")
    parser.add_argument("--dir", type=Path, help="check these files instead of labs/LAB/mine/")
    args = parser.parse_args(argv)
    lab = lab_dir(args.lab)
    directory = args.dir or lab / "mine"
    if args.dir is None and not directory.exists():
        shutil.copytree(lab / "starter", directory)
        print(f"Created {directory.relative_to(REPO)}/ from the starter files: edit them, then run the check again.")
    print(f"Lab {args.lab}: checking {directory}")
    results = run_check(args.lab, directory)
    for result in results:
        print(result)
    passed = all(r.ok for r in results)
    if passed and any(r.skipped for r in results):
        print("PASSED what this machine can check (– lines did not run here).")
    else:
        print("PASSED: well done." if passed else "Not yet: fix the ✗ lines above (the lab's README has hints).")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
