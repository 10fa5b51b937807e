"""`make lab` reaches a running JupyterLab on 127.0.0.1, with the RISE slideshow (then we stop it by its pid)."""

from __future__ import annotations

from jupyter_lab import Lab


def test_make_lab_serves_jupyterlab(jupyterlab: Lab) -> None:
    assert "JupyterLab" in jupyterlab.get("/lab").text
    tree = jupyterlab.get("/api/contents").json()
    assert any(item["name"].startswith("00") for item in tree["content"]), "lab should open on notebooks/"
    slides = jupyterlab.get("/rise/00_setup_check.ipynb")
    assert slides.status_code == 200, "the RISE slideshow (jupyterlab-rise) should serve the notebooks"
