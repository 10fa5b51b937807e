"""docker/: the Dockerfiles lint clean (the naive one on purpose not), and the compose file parses."""

from __future__ import annotations

import subprocess

import pytest

from bench.containers import images
from bench.containers.compose import COMPOSE_FILE, compose_command
from bench.core.errors import MissingToolError
from bench.core.paths import REPO


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


def test_compose_services_are_locked_down_and_pinned() -> None:
    import re

    import yaml

    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in ("app", "redis"):  # they only serve requests: nothing to write, no capabilities needed
        service = services[name]
        assert service["read_only"] and service["cap_drop"] == ["ALL"] and service["mem_limit"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    assert "no-new-privileges:true" in services["nginx"]["security_opt"]
    assert "--maxmemory" in services["redis"]["command"]  # a cache with a bound
    for service in services.values():  # an image tag names a release (x.y.z), not a moving major version
        default = re.search(r":-([^}]+)}", service["image"]).group(1)
        assert re.search(r":\d+\.\d+\.\d+$", default), default


def test_the_pod_carries_no_service_account_token() -> None:
    import yaml

    deployment = yaml.safe_load((REPO / "k8s" / "base" / "deployment.yaml").read_text())
    assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_every_image_compose_pins_has_an_offline_stand_in() -> None:
    from bench.containers.compose import default_image
    from bench.containers.images import OFFLINE_BASES

    for variable in ("NGINX_IMAGE", "REDIS_IMAGE"):  # one pin, in docker/compose.yaml; the bench reads it there
        assert default_image(variable) in OFFLINE_BASES, default_image(variable)
