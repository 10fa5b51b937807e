"""The caps in requirements.txt and the record of checked versions (course/versions.py) move together."""

from __future__ import annotations

import re

from bench.core.paths import REPO
from course import versions


def _specs() -> dict[str, str]:
    specs = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)(.*)", line).groups()
            specs[name.lower()] = spec.replace(" ", "")
    return specs


def test_each_taught_package_is_capped_below_the_next_major_after_the_checked_one() -> None:
    specs = _specs()
    for record in versions.CHECKED:
        if not record.pip:
            continue
        caps = re.findall(r"<([\d.]+)", specs.get(record.name, ""))
        assert caps == [versions.next_major(record.version)], (
            f"{record.name}: requirements.txt caps it at {caps or 'nothing'}, the record says "
            f"{record.version} was checked ({record.source}): the cap must be <{versions.next_major(record.version)}")


def test_the_installed_packages_are_within_the_caps() -> None:
    for row in versions.rows():
        assert row["installed"], f"{row['package']} is not installed"
        assert versions.parse(row["installed"])[:2] < versions.parse(versions.next_major(row["checked"]) + ".0")[:2]


def test_next_major_and_the_newer_than_checked_note() -> None:
    assert versions.next_major("27.0") == "28" and versions.next_major("0.55") == "0.56"
    assert versions.newer_than_checked("nginx", "1.22.1") == ""
    assert "newer than the 1.30" in versions.newer_than_checked("nginx", "1.31.2")
    assert versions.newer_than_checked("not-recorded", "9.9") == ""


def test_each_floor_is_at_most_the_checked_version() -> None:
    specs = _specs()
    for record in (r for r in versions.CHECKED if r.pip):
        floor = re.search(r">=([\d.]+)", specs[record.name]).group(1)
        assert versions.parse(floor)[:2] <= versions.parse(record.version)[:2], (record.name, floor, record.version)
