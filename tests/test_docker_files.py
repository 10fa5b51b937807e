"""docker/: the Dockerfiles lint clean (the naive one on purpose not), and the compose file parses."""

from __future__ import annotations

import subprocess

import pytest

from bench import images
from bench.compose import COMPOSE_FILE, compose_command
from bench.errors import MissingToolError
from bench.paths import REPO


@pytest.mark.parametrize("dockerfile", ["docker/Dockerfile", "labs/05/solution/Dockerfile"])
def test_production_dockerfiles_are_hadolint_clean(dockerfile: str) -> None:
    assert images.hadolint(REPO / dockerfile) == []


def test_hadolint_flags_the_naive_dockerfile() -> None:
    assert "DL3025" in {f["code"] for f in images.hadolint(REPO / "docker" / "Dockerfile.naive")}


def test_production_dockerfile_has_what_the_course_promises() -> None:
    text = (REPO / "docker" / "Dockerfile").read_text()
    assert text.count("\nFROM ") == 2 and "AS deps" in text  # multi-stage
    assert "\nUSER 10001" in text and "\nHEALTHCHECK " in text and '\nCMD ["gunicorn"' in text


def test_dockerignore_lets_in_only_what_images_copy() -> None:
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!sample_app/", "!config/gunicorn.conf.py", "!docker/requirements.txt", "!docker/wheelhouse/"} <= set(lines)


def test_compose_file_is_valid_for_the_installed_compose() -> None:
    try:
        command = compose_command()
    except MissingToolError as error:
        pytest.skip(str(error))
    done = subprocess.run([*command, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_compose_publishes_on_loopback_only() -> None:
    import yaml

    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published and all(port.startswith("127.0.0.1:") for port in published)
    assert all("flask-in-production.course" in service["labels"] for service in services.values())
