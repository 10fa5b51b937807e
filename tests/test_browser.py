"""The course in a real browser: JupyterLab in headless Chromium runs notebook 00 from its Run menu, the RISE
slideshow opens, and the book (`make book`) shows the recorded figures.

Chromium is Debian's (`make test` installs it as root); Playwright drives it through `executable_path`, so
no browser is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest
from jupyter_lab import Lab

from bench.core.paths import REPO, state_dir
from bench.host import env

pytestmark = pytest.mark.skipif(env.find("chromium") is None and not os.environ.get("CI"),
                                reason="Chromium is not installed (make test installs it on Debian as root)")
NOTEBOOK = "00_setup_check.ipynb"
# Chromium as root in a container: no sandbox; no network beyond 127.0.0.1 (no updates, no safe browsing).
FLAGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=env.require("chromium"), args=FLAGS)
        yield chromium
        chromium.close()


def _wait_for_a_connected_idle_kernel(lab: Lab, timeout: float = 60) -> None:
    """Until the notebook's kernel is idle with the page's websocket connected (the status bar can say Idle
    before that)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = lab.get("/api/kernels").json()
        if any(k["execution_state"] == "idle" and k.get("connections", 0) >= 1 for k in kernels):
            return
        time.sleep(0.5)
    raise TimeoutError("no connected, idle kernel")


def test_notebook_00_runs_from_the_run_menu(jupyterlab: Lab, browser: object) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = (REPO / "notebooks" / NOTEBOOK).read_bytes()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    step = "opening the notebook"
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK}?token={jupyterlab.token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
        step = "waiting for the kernel"
        _wait_for_a_connected_idle_kernel(jupyterlab)
        step = "Run ▸ Run All Cells"
        for _attempt in range(3):  # a click in the moment the kernel connects can be dropped: then click again
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:
                page.wait_for_selector(".jp-CodeCell .jp-InputArea-prompt:text-matches('\\[(\\*|\\d+)\\]')",
                                       timeout=20_000)
                break
            except PlaywrightTimeout:  # no cell started
                continue
        step = "waiting for the progress widget (tqdm.auto) of the first load test"
        page.wait_for_selector(".jp-OutputArea-output .widget-hprogress", timeout=180_000)
        step = "waiting for every cell to finish"
        page.wait_for_function(
            """() => {
                const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
                    .map(c => c.textContent.trim());
                return p.length > 0 && p.every(t => /^\\[\\d+\\]:$/.test(t));
            }""",
            timeout=300_000,
        )
    except Exception as error:  # a timeout: say where, and keep a screenshot to look at
        shot = state_dir() / "browser-test-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputArea-prompt", "cs => cs.map(c => c.textContent)")
        raise AssertionError(f"stuck {step}; cell prompts {prompts}; screenshot {shot}") from error
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert page.locator(".jp-OutputArea-output img").count() >= 1, "no figure rendered"
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output").all_text_contents()
    assert any("✓" in text for text in outputs), f"the claims should print ✓; outputs: {outputs}"
    page.close()
    assert (REPO / "notebooks" / NOTEBOOK).read_bytes() == before, "running the notebook must not rewrite it"


def test_rise_slideshow_opens(jupyterlab: Lab, browser: object) -> None:
    page = browser.new_page()
    page.goto(f"{jupyterlab.url}/rise/{NOTEBOOK}?token={jupyterlab.token}")
    page.wait_for_selector(".reveal .slides section", timeout=60_000)
    assert page.locator(".reveal .slides section").count() >= 2
    page.close()


def test_the_book_shows_every_chapter_with_its_figures(browser: object) -> None:
    import nbformat

    from course.stages import NOTEBOOKS, STAGES

    done = subprocess.run(["make", "--no-print-directory", "book"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = REPO / "_build" / "html"
    page = browser.new_page()
    page.goto((html / "index.html").as_uri())
    nav = page.locator("nav").first.inner_text()
    for stage in STAGES:
        assert stage.title in nav, f"the book's navigation lacks stage {stage.number}"
        cells = nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells
        recorded = sum("image/png" in o.get("data", {}) for c in cells if c.cell_type == "code" for o in c.outputs)
        page.goto((html / "notebooks" / stage.notebook.replace(".ipynb", ".html")).as_uri())
        figures = page.locator("main img")
        loaded = [figures.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
                  for i in range(figures.count())]
        assert len(loaded) >= recorded and all(loaded), f"{stage.notebook}: {sum(loaded)} of {recorded} figures shown"
    page.close()
