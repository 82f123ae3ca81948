"""One static page that embeds every chapter: ``media/site/index.html`` with the clips beside it in ``media/site/clips/``.

The page needs nothing from elsewhere (no fonts, scripts or styles from the internet) and works
opened from disk or from any static server. Every text it inserts is escaped (``_html``: what
cannot be seen dropped, then HTML's escape), in HTML and in the copy-ready snippets alike: titles
and summaries are written by people, and prompts by anyone.

``out/clips/`` holds the clips' files; the site records what it put there (``ProjectFiles``) and
removes only those of its own files that the page no longer names: a user's file, a folder, or
the clips the page was made from are never touched. When ``--clips`` is ``out/clips`` itself, the
files are in place already, and nothing is copied or removed.
"""

from __future__ import annotations

import base64
import html
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from pipeline.files import write_whole, written
from publish.clips import KINDS, ClipFiles, read_manifest
from publish.media import ProjectFiles, PublishError, inside, same_folder
from scenes.chapters import find_chapters
from scenes.numbers import visible

PAGE_TITLE = "latent-walk: how a text-to-image model walks from noise to a picture"
INTRO = ("A small text-to-image diffusion model, trained on a toy world of coloured shapes, "
         "recorded at every step of its walk from random noise to the picture a prompt asks for. "
         "Every picture in these clips is one the model made; every number is one we measured.")
# Written between single quotes in the page (they hold double quotes and no text from outside).
MP4_TYPE = 'video/mp4; codecs="avc1.640028, mp4a.40.2"'
WEBM_TYPE = 'video/webm; codecs="vp9, opus"'


def _html(text: object, quote: bool = True) -> str:
    """Any text as HTML text or an attribute's value: invisible characters dropped, then ``& < > " '`` escaped."""
    return html.escape(visible(str(text)), quote=quote)


def clock(seconds: float) -> str:
    """A length as people read it, and as video players show it (whole seconds, cut down): 1:08."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def read_clips(folder: Path, modules: Sequence[str] | None = None) -> list[dict]:
    """Every chapter's clip manifest (or those named), in play order; a missing one is a clear error naming the target."""
    known = [chapter.module for chapter in find_chapters()]
    unknown = [module for module in modules or () if module not in known]
    if unknown:
        raise PublishError(f"no chapter named {', '.join(unknown)}; the chapters are: {', '.join(known)}")
    manifests = []
    for module in (m for m in known if not modules or m in modules):
        manifest = read_manifest(ClipFiles(folder, module).path("manifest"))
        if manifest is None:
            raise PublishError(f"{ClipFiles(folder, module).path('manifest')} is missing or damaged: "
                               "make the clips first with `make clips`")
        for kind in KINDS:
            if not ClipFiles(folder, module).path(kind).is_file():
                raise PublishError(f"{ClipFiles(folder, module).path(kind)} is missing: make the clips again with `make clips`")
        manifests.append(manifest)
    return manifests


def video_tag(manifest: dict, base: str, indent: str = "", subtitles: str | None = None) -> str:
    """The <video> element for one clip, every attribute escaped; ``base`` is the folder its files are in.

    With ``subtitles`` (the WebVTT text), the track carries them in a data: URL rather than
    naming the .vtt file: a page opened from disk may not load files beside it as subtitles.
    """
    def url(kind: str) -> str:
        if kind == "vtt" and subtitles is not None:
            return "data:text/vtt;base64," + base64.b64encode(subtitles.encode("utf-8")).decode("ascii")
        return _html(f"{base}{manifest['files'][kind]['name']}")

    title = _html(manifest["title"])
    width, height = int(manifest.get("width", 854)), int(manifest.get("height", 480))
    return "\n".join([
        f'{indent}<video controls preload="metadata" playsinline width="{width}" height="{height}" '
        f'poster="{url("poster")}" title="{title}">',
        f"{indent}  <source src=\"{url('webm')}\" type='{WEBM_TYPE}'>",
        f"{indent}  <source src=\"{url('mp4')}\" type='{MP4_TYPE}'>",
        f'{indent}  <track kind="subtitles" srclang="en" label="English" src="{url("vtt")}" default>',
        f'{indent}  <a href="{url("mp4")}">{title} (MP4)</a>',
        f"{indent}</video>",
    ])


def snippet(manifest: dict) -> str:
    """What to paste into another page to embed this clip, with its files copied beside that page in clips/."""
    return video_tag(manifest, "clips/")


EXPLORER_LINE = ("Or drive it yourself: <a href=\"explore.html\">the explorer</a> runs the film's model in your "
                 "browser, from any prompt and seed to the picture the film would show.")


def page(manifests: list[dict], colours: dict[str, str], subtitles: dict[str, str], explorer: bool = False) -> str:
    e = _html
    total = sum(manifest["duration"] for manifest in manifests)
    hero = manifests[0]
    sections = []
    for number, manifest in enumerate(manifests, 1):
        module = e(manifest["module"], quote=True)
        sections.append(f"""
  <section class="chapter" id="{module}">
    <h2><span class="number">{number}.</span> {e(manifest["title"])}</h2>
    <p class="summary">{e(manifest["summary"])} <span class="length">{clock(manifest["duration"])}</span></p>
{video_tag(manifest, "clips/", "    ", subtitles.get(manifest["module"]))}
    <details>
      <summary>Embed this chapter</summary>
      <p>Copy the files <code>{e(manifest["files"]["mp4"]["name"])}</code>, <code>{e(manifest["files"]["webm"]["name"])}</code>,
      <code>{e(manifest["files"]["poster"]["name"])}</code> and <code>{e(manifest["files"]["vtt"]["name"])}</code> into a folder
      <code>clips/</code> beside your page, then paste:</p>
      <textarea class="snippet" readonly rows="8" spellcheck="false">{e(snippet(manifest))}</textarea>
      <button type="button" class="copy" data-for="{module}">Copy</button>
      <p class="files">Also: a silent {clock(manifest["preview"]["duration"])} loop,
      <a href="clips/{e(manifest["files"]["preview"]["name"], quote=True)}">{e(manifest["files"]["preview"]["name"])}</a>,
      and subtitles as <a href="clips/{e(manifest["files"]["srt"]["name"], quote=True)}">SRT</a>.</p>
    </details>
  </section>""")
    toc = "\n".join(f'    <li><a href="#{e(m["module"], quote=True)}">{e(m["title"])}</a> '
                    f'<span class="length">{clock(m["duration"])}</span></li>' for m in manifests)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{e(PAGE_TITLE)}</title>
<style>
  :root {{ color-scheme: dark; --bg: {colours["background"]}; --ink: {colours["ink"]}; --muted: {colours["muted"]};
          --faint: {colours["faint"]}; --accent: {colours["signal"]}; --mark: {colours["highlight"]}; }}
  body {{ margin: 0; background: var(--bg); color: var(--ink);
         font: 17px/1.55 "CMU Serif", "Latin Modern Roman", Georgia, "Times New Roman", serif; }}
  main {{ max-width: 900px; margin: 0 auto; padding: 2rem 1.25rem 4rem; }}
  h1 {{ font-size: 2rem; line-height: 1.2; margin: 0 0 1rem; }}
  h2 {{ font-size: 1.45rem; margin: 0 0 .3rem; }}
  .number, .length, .files {{ color: var(--muted); }}
  .length {{ font-variant-numeric: tabular-nums; white-space: nowrap; }}
  .hero {{ display: block; width: 100%; height: auto; border: 1px solid var(--faint); margin: 1rem 0; }}
  video {{ display: block; width: 100%; height: auto; background: #000; border: 1px solid var(--faint); }}
  .chapter {{ margin: 3rem 0 0; }}
  .summary {{ margin: 0 0 .8rem; }}
  details {{ margin: .6rem 0 0; }}
  summary {{ cursor: pointer; color: var(--accent); }}
  textarea {{ box-sizing: border-box; width: 100%; background: #05060a; color: var(--ink);
             border: 1px solid var(--faint); font: 13px/1.4 "CMU Typewriter Text", ui-monospace, monospace; }}
  button {{ background: var(--faint); color: var(--ink); border: 0; padding: .35rem .9rem; cursor: pointer; }}
  a {{ color: var(--accent); }}
  ol {{ padding-left: 1.4rem; }}
  code {{ font-family: "CMU Typewriter Text", ui-monospace, monospace; }}
</style>
</head>
<body>
<main>
  <h1>{e(PAGE_TITLE)}</h1>
  <video class="hero" autoplay muted loop playsinline preload="auto" width="640" height="360"
    src="clips/{e(hero["files"]["preview"]["name"], quote=True)}" poster="clips/{e(hero["files"]["poster"]["name"], quote=True)}"
    aria-label="{e(hero["title"], quote=True)}, a silent loop"></video>
  <p>{e(INTRO)}</p>
  <p>{len(manifests)} chapters, {clock(total)} in all. Each has subtitles and can be embedded on its own.</p>
{f'  <p class="explorer">{EXPLORER_LINE}</p>{chr(10)}' if explorer else ""}  <ol class="toc">
{toc}
  </ol>
{"".join(sections)}
</main>
<script>
  // Copy buttons: the snippet goes to the clipboard, or is selected for Ctrl+C where that is refused.
  for (const button of document.querySelectorAll("button.copy")) {{
    button.addEventListener("click", async () => {{
      const area = document.getElementById(button.dataset.for).querySelector("textarea.snippet");
      area.select();
      try {{ await navigator.clipboard.writeText(area.value); button.textContent = "Copied"; }}
      catch (error) {{ button.textContent = "Selected: press Ctrl+C"; }}
    }});
  }}
</script>
</body>
</html>
"""


def _link_or_copy(source: Path, target: Path) -> None:
    """Put a clip file into the site: a hard link where the file system allows (no second copy on disk)."""
    if target.exists() and os.path.samefile(source, target):
        return
    with written(target) as partial:
        partial.unlink()
        try:
            os.link(source, partial)
        except OSError:
            shutil.copyfile(source, partial)


def make_site(clips: Path, out: Path, modules: Sequence[str] | None = None) -> Path:
    """Write ``out/index.html`` and put every clip's files (or the named chapters') in ``out/clips/``; return the page.

    Only files this function put into ``out/clips/`` before and no longer needs are removed from it.
    """
    from scenes import style  # the film's palette, so the page looks like the film

    if inside(out, clips):
        raise PublishError(f"--out {out} is inside --clips {clips}: the page would be written among the clips it "
                           "is made from; choose a folder outside it (the default is media/site)")
    manifests = read_clips(clips, modules)
    index = out / "index.html"
    page_files = ProjectFiles(out)
    # before anything is copied: a page of someone else's there stops the run now (the explorer is made beside it)
    page_files.claim([index.name], beside=["clips", "explore", "explore.html"])
    wanted = {name for manifest in manifests for name in
              [manifest["files"][kind]["name"] for kind in KINDS] + [ClipFiles(clips, manifest["module"]).path("manifest").name]}
    (out / "clips").mkdir(parents=True, exist_ok=True)
    if not same_folder(clips, out / "clips"):  # when it is, the files are in place: nothing to copy or clear
        own = ProjectFiles(out / "clips")
        own.claim(wanted)
        for name in sorted(wanted):
            _link_or_copy(clips / name, out / "clips" / name)
        own.settle(wanted)
        own.keep_only(wanted)
    colours = {name: getattr(style, name.upper()).to_hex() for name in
               ("background", "ink", "muted", "faint", "signal", "highlight")}
    subtitles = {m["module"]: (clips / m["files"]["vtt"]["name"]).read_text(encoding="utf-8") for m in manifests}
    explorer = (out / "explore.html").is_file()  # made beside it by python -m publish.explore (make site)
    write_whole(index, page(manifests, colours, subtitles, explorer))
    page_files.settle([index.name])
    return index
