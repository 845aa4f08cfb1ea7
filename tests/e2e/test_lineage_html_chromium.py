"""The lineage picture as a person sees it: `maskloop lineage model seg@3 --format html` and
GET /v1/models/seg/3/lineage.html rendered by headless Chromium (Debian's `chromium` package).

Asserts on what is visible: every node label is text of the rendered SVG (--dump-dom), and the
screenshot shows the node boxes in their colors (not a blank or broken page)."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from flows.api.app import create_app
from flows.api.lineage_page import COLORS
from flows.cli.main import main
from flows.settings import Settings
from storage.catalog.api_tokens import create_token
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1600,1000")
LABELS = ("seg@3", "seg@2", "seg@1", "run mlf-2", "run mlf-1", "demo@2", "demo@1", "rev0", "rev1")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("headless Chromium is needed: apt-get install -y chromium (make system-deps)")
    return found


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=180, check=True)


class _SvgText(HTMLParser):
    """Collects the text inside <svg><text> elements of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.texts, self._in_text = 0, [], False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.depth += tag == "svg"
        self._in_text = self.depth > 0 and tag == "text"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "svg"
        self._in_text = False if tag == "text" else self._in_text

    def handle_data(self, data: str) -> None:
        if self._in_text:
            self.texts.append(data)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("chromium-home")
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as cat:
        scenario = build_scenario(cat)
        secret = create_token(cat, name="viewer", role="auditor", actor="root", actor_role="admin").secret
    cli_page = home / "cli.html"
    assert main(["--home", str(home), "lineage", "model", "seg@3", "--format", "html", "--out", str(cli_page)]) == 0
    with TestClient(create_app(Settings(_env_file=None, home=home))) as client:
        response = client.get("/v1/models/seg/3/lineage.html", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    api_page = home / "api.html"
    api_page.write_text(response.text, encoding="utf-8")
    return {"cli": cli_page, "api": api_page, "round_label": f"round {scenario['round_id']}"}


@pytest.mark.parametrize("source", ["cli", "api"])
def test_rendered_dom_shows_every_node_label(pages, source, tmp_path) -> None:
    dom = _run(["--dump-dom", pages[source].as_uri()], tmp_path / "profile").stdout
    parser = _SvgText()
    parser.feed(dom)
    texts = set(parser.texts)
    assert set(LABELS) <= texts, sorted(texts)
    assert pages["round_label"] in texts
    assert sum(t.startswith("demo/") for t in texts) == 3  # the three videos


def test_screenshot_shows_the_colored_graph(pages, tmp_path) -> None:
    shot = tmp_path / "lineage.png"
    _run([f"--screenshot={shot}", pages["cli"].as_uri()], tmp_path / "profile")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1600, 1000)
    counts = {color: n for n, color in image.getcolors(maxcolors=1 << 20)}
    assert len(counts) > 50  # text, borders, anti-aliasing: not a blank page
    white = counts.get((255, 255, 255), 0)
    assert white < 0.95 * image.size[0] * image.size[1]
    for kind in ("model", "base_model", "training_run", "dataset_version", "video", "reviewer", "round"):
        fill = tuple(int(COLORS[kind][0][i:i + 2], 16) for i in (1, 3, 5))
        assert counts.get(fill, 0) > 2000, f"no visible {kind} box (fill {COLORS[kind][0]})"
