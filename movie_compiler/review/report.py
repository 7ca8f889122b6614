"""``moviec diff --report DIR``: a self-contained HTML page and a Markdown summary of a diff.

``DIR/index.html`` shows the list of changes, the shots a build re-renders, before and after
contact sheets of those shots side by side (before: the old shots they were matched with, and
removed shots), both camera paths in one plot and both transfer
functions. It links only its own images, by relative path: no network, no script.
``DIR/summary.md`` says the same in a form to paste into a pull request. The images are
written first and the two pages last, each file atomically.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from movie_compiler import fsutil
from movie_compiler.review import camera_plot, stills, transfer_plot
from movie_compiler.review.compare import Comparison

log = logging.getLogger(__name__)

BEFORE = "before.png"
AFTER = "after.png"
CAMERA = "camera-paths.png"
TRANSFER = "transfer-functions.png"


def write(result: Comparison, out_dir: Path, size: tuple[int, int] | None = None) -> Path:
    """Render and draw the report of ``result`` into ``out_dir``; return the HTML page."""
    new_shots = [r.index for r in result.rerender]
    pairs = _old_of(result)
    removed = [i for i in range(len(result.old_plan.shots)) if i not in pairs.values()]
    old_shots = sorted({pairs[j] for j in new_shots if j in pairs} | set(removed))
    size = size or stills.default_size(result.new)
    images: dict[str, str] = {}
    if old_shots:
        old_plan, old_stills, _ = stills.render(result.old, size, shots=old_shots)
        stills.contact_sheet(old_plan, old_stills, out_dir / BEFORE, title="before")
        images["before"] = BEFORE
    if new_shots:
        new_plan, new_stills, _ = stills.render(result.new, size, shots=new_shots)
        stills.contact_sheet(new_plan, new_stills, out_dir / AFTER, title="after")
        images["after"] = AFTER
    paths = [
        camera_plot.Path3("before: ", result.old_plan, dashed=True),
        camera_plot.Path3("after: ", result.new_plan),
    ]
    camera_plot.draw(paths, out_dir / CAMERA, camera_plot.volume_box(result.new))
    groups = [
        ("before" + transfer_plot.color_space_note(result.old),
         transfer_plot.scene_curves(result.old, dashed=True)),
        ("after" + transfer_plot.color_space_note(result.new),
         transfer_plot.scene_curves(result.new)),
    ]  # fmt: skip
    transfer_plot.draw(groups, transfer_plot.histogram(result.new), out_dir / TRANSFER)
    fsutil.write_text(out_dir / "summary.md", summary(result, images))
    page = out_dir / "index.html"
    fsutil.write_text(page, index_html(result, images))
    return page


def _old_of(result: Comparison) -> dict[int, int]:
    """New shot index -> the old shot it was matched with."""
    from movie_compiler.review.semantic import match_shots

    a = result.old.scene.model_dump(mode="json")["shots"]
    b = result.new.scene.model_dump(mode="json")["shots"]
    return {j: i for i, j in match_shots(a, b)}


def _name(result: Comparison, which: str) -> str:
    loaded = result.old if which == "old" else result.new
    return loaded.origins.file if loaded.origins is not None else str(loaded.path)


def _rerender_lines(result: Comparison) -> list[str]:
    total = sum(r.frames for r in result.rerender)
    movie = len(result.new_plan.rendered())
    lines = [f"{total} of {movie} frames"]
    lines += [f"shots[{r.index}] {r.shot}: {r.frames} of {r.of} frames" for r in result.rerender]
    if not result.keys.build:
        lines.append(f"(keyed without the data: {result.keys.reason})")
    return lines


def summary(result: Comparison, images: dict[str, str]) -> str:
    """The report as Markdown for a pull request."""
    out = [f"## Scene diff: `{_name(result, 'old')}` → `{_name(result, 'new')}`", ""]
    out += ["### Changes", ""]
    out += [f"- `{c}`" for c in result.changes] or ["- none"]
    out += ["", "### Frames a build re-renders", ""]
    lines = _rerender_lines(result)
    out += [lines[0], ""] + [f"- {line}" for line in lines[1:]]
    out += ["", "### Pictures", ""]
    for label, name in (("before", images.get("before")), ("after", images.get("after"))):
        if name:
            out.append(f"![{label}]({name})")
    out += [f"![camera paths]({CAMERA})", f"![transfer functions]({TRANSFER})", ""]
    return "\n".join(out)


STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1400px; }
code { background: #f2f2f2; padding: 0 0.2em; }
.pair { display: flex; gap: 1em; flex-wrap: wrap; }
.pair figure { flex: 1 1 45%; margin: 0; }
img { max-width: 100%; border: 1px solid #ccc; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
td, th { padding: 0.2em 0.8em; text-align: left; }
"""


def index_html(result: Comparison, images: dict[str, str]) -> str:
    """The self-contained HTML page."""
    e = html.escape
    changes = "\n".join(f"<li><code>{e(str(c))}</code></li>" for c in result.changes)
    rows = "\n".join(
        f"<tr><td>shots[{r.index}]</td><td>{e(r.shot)}</td><td>{r.frames} of {r.of}</td></tr>"
        for r in result.rerender
    )
    lines = _rerender_lines(result)
    figures = "\n".join(
        f'<figure><figcaption>{label}</figcaption><img src="{e(images[label])}" '
        f'alt="{label}: stills of the shots that re-render"></figure>'
        for label in ("before", "after")
        if label in images
    )
    note = "" if result.keys.build else f"<p>{e(lines[-1])}</p>"
    title = f"Scene diff: {_name(result, 'old')} → {_name(result, 'new')}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{e(title)}</h1>
<h2>Changes</h2>
<ul>
{changes or "<li>none</li>"}
</ul>
<h2>Re-render: {e(lines[0])}</h2>
<table>
<tr><th>shot</th><th>name</th><th>frames</th></tr>
{rows}
</table>
{note}
<h2>Shots that re-render</h2>
<div class="pair">
{figures or "<p>No shot re-renders.</p>"}
</div>
<h2>Camera paths (before dashed)</h2>
<img src="{CAMERA}" alt="camera paths before and after">
<h2>Transfer functions</h2>
<img src="{TRANSFER}" alt="transfer functions before and after">
</body>
</html>
"""
