"""report.html is self-contained: no external references, and it renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from qvc.report import write_report

_URL_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction",
              "background", "manifest", "ping", "cite", "longdesc", "usemap", "codebase"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()
        self.ids: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in _URL_ATTRS and value is not None:
                self.refs.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
            if name == "id" and value:
                self.ids.append(value)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _external_references(page: str) -> list[str]:
    c = _Collector()
    c.feed(page)
    bad = [f"<{t} {a}={v!r}>" for t, a, v in c.refs if not (v.startswith("#") or _is_relative(v))]
    for css in c.styles:
        bad += [f"css {m}" for m in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if not m.startswith("#")]
        bad += [f"css {m}" for m in re.findall(r"@import[^;]*", css)]
    bad += [f"<{t}>" for t in ("script", "link", "iframe", "object", "embed", "img", "video", "audio")
            if t in c.tags]
    return bad


def _is_relative(v: str) -> bool:
    return not re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*:|//)", v)


def test_reference_detector_catches_external_resources():
    page = ('<html><head><link rel="stylesheet" href="https://x.example/a.css">'
            '<style>body{background:url(http://x.example/b.png)}</style></head>'
            '<body><img src="//cdn.example/c.png"><svg><use xlink:href="#ok"/></svg></body></html>')
    found = _external_references(page)
    assert any("a.css" in f for f in found) and any("b.png" in f for f in found)
    assert any("c.png" in f for f in found) and not any("#ok" in f for f in found)


def test_run_page_has_no_external_references(iris_run):
    page = (iris_run / "report.html").read_text()
    assert _external_references(page) == []
    assert "http://" not in page and "https://" not in page  # not even as text
    c = _Collector()
    c.feed(page)
    assert len(c.ids) == len(set(c.ids))  # figure ids were made unique per page
    assert "svg" in c.tags


def test_url_in_provenance_stays_text(iris_run, tmp_path):
    """A source that cites a URL is shown as text: the page still references nothing outside."""
    d = tmp_path / "run"
    shutil.copytree(iris_run, d)
    meta = json.loads((d / "metadata.json").read_text())
    meta["device"]["power"]["cryogenics"]["static_w"]["source"] = "https://arxiv.org/abs/2205.12092"
    (d / "metadata.json").write_text(json.dumps(meta))
    _, page_path = write_report(d)
    page = page_path.read_text()
    assert "https://arxiv.org/abs/2205.12092" in page
    assert _external_references(page) == []


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _page_requests(netlog: Path) -> list[str]:
    """Non-file URLs the page itself asked for (the browser's own background traffic excluded)."""
    data = json.loads(netlog.read_text())
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for e in data["events"]:
        p = e.get("params") or {}
        if e["type"] == start and str(p.get("network_isolation_key", "")).startswith("file://"):
            if not str(p.get("url", "")).startswith("file:"):
                urls.append(p["url"])
    return urls


def _screenshot(browser: str, page: Path, out: Path, tmp: Path) -> tuple[np.ndarray, list[str]]:
    netlog = tmp / f"{out.stem}-net.json"
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing resolves: the test never uses the network
        f"--user-data-dir={tmp / (out.stem + '-profile')}", f"--log-net-log={netlog}",
        f"--screenshot={out}", "--window-size=1280,2000", page.resolve().as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert out.is_file(), "Chromium wrote no screenshot"
    import matplotlib.image

    return matplotlib.image.imread(out), _page_requests(netlog)


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_headless_chromium_renders_report(iris_run, tmp_path):
    browser = _chromium()
    # Control: the detector sees a page that does load something from outside.
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://127.0.0.1:9/probe.png"><p>x</p></body></html>')
    _, control_requests = _screenshot(browser, control, tmp_path / "control.png", tmp_path)
    assert control_requests == ["http://127.0.0.1:9/probe.png"]

    img, requests = _screenshot(browser, iris_run / "report.html", tmp_path / "report.png", tmp_path)
    assert requests == []
    assert img.shape[:2] == (2000, 1280)
    rgb = (img[..., :3] * 255).round().astype(int)
    non_white = (rgb.sum(axis=2) < 3 * 245).mean()
    assert non_white > 0.03  # text, tables and plots, not a blank page
    # The accuracy-vs-energy figure draws the svm pair in matplotlib's C0 blue (31, 119, 180).
    blue = (np.abs(rgb - np.array([31, 119, 180])).max(axis=2) <= 12).sum()
    assert blue > 200
    # Nothing overflows a 1280 px window: the right-most 20 px column stays background except
    # for the scrollbar Chromium may draw.
    right = rgb[:, 1240:1260]
    assert (right.sum(axis=2) < 3 * 200).mean() < 0.01


@pytest.fixture(scope="module")
def sweep_page(tmp_path_factory):
    """A real sweep's report page (iris, svm + qsvc over three qubit counts)."""
    from qvc.experiment.specfile import load_spec_file
    from qvc.experiment.sweep import run_sweep
    from qvc.report.sweep_report import write_sweep_report

    d = tmp_path_factory.mktemp("sweep")
    f = d / "s.toml"
    f.write_text('dataset = "iris"\nmodels = ["svm", "qsvc"]\nqubits = [2, 3, 4]\nsamples = 24\n'
                 "[analysis]\ndraws = 20\n")
    res = run_sweep(load_spec_file(f), workers=1, out_dir=d, progress=False)
    return write_sweep_report(res.run_dir)


def test_sweep_page_is_rendered_by_the_same_pipeline_and_self_contained(sweep_page):
    page = sweep_page.read_text()
    assert _external_references(page) == []
    assert "http://" not in page and "https://" not in page
    c = _Collector()
    c.feed(page)
    assert "svg" in c.tags and len(c.ids) == len(set(c.ids))  # figures inline, ids unique per figure
    assert 'class="summary"' in page and "Break-even against the cheapest simulator" in page
    md = sweep_page.with_name("sweep_report.md").read_text()
    assert md.startswith("# qvc sweep") and "| pair |" in md
    assert not list(sweep_page.parent.glob(".*-*"))  # no temporary files left by the atomic writes


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_headless_chromium_renders_sweep_report(sweep_page, tmp_path):
    img, requests = _screenshot(_chromium(), sweep_page, tmp_path / "sweep.png", tmp_path)
    assert requests == []
    rgb = (img[..., :3] * 255).round().astype(int)
    assert (rgb.sum(axis=2) < 3 * 245).mean() > 0.03
    right = rgb[:, 1240:1260]
    assert (right.sum(axis=2) < 3 * 200).mean() < 0.01
