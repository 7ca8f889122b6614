"""Open an HTML page in real headless Chromium and report what it loaded.

A copy of the page, beside it, gets a first script that records every error (script errors,
resources that failed to load, console.error) and, once the page has loaded, writes into the
DOM how many images there are and which did not load. ``--dump-dom`` prints that DOM.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
]
PROBE = """<script>
window.__moviecErrors = [];
window.addEventListener("error", function (event) {
  var target = event.target || {};
  window.__moviecErrors.push(String(event.message || target.src || target.href || "error"));
}, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__moviecErrors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var out = document.createElement("pre");
  out.id = "moviec-probe";
  out.textContent = JSON.stringify({
    images: images.length,
    broken: broken.map(function (i) { return i.getAttribute("src"); }),
    errors: window.__moviecErrors
  });
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("chromium not found: run `make test`, which installs it")
    return path


def open_page(page: Path) -> dict[str, Any]:
    """``{"images": N, "broken": [src...], "errors": [...], "console": [lines]}``."""
    text = page.read_text("utf-8")
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(text.replace("<head>", "<head>\n" + PROBE, 1), "utf-8")
    try:
        with tempfile.TemporaryDirectory(prefix="moviec-chromium-") as profile:
            done = subprocess.run(
                [
                    chromium(),
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                    probe.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=180,
                check=True,
            )
    finally:
        probe.unlink(missing_ok=True)
    match = re.search(r'<pre id="moviec-probe">(.*?)</pre>', done.stdout, re.S)
    if match is None:
        raise AssertionError(f"the page never finished loading:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    result["console"] = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    return result
