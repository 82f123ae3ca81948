"""The film as a manim-slides deck for a lecture: one slide per narration block, cut from the chapters already rendered.

A slide ends where its block's animations end, so a lecturer who pauses there sees the finished
picture of that idea, and the next slide starts with the movement into the next one. Each slide
keeps its stretch of the narration's audio and carries the block's words as speaker notes.

In ``media/slides/``:

- ``slides/<Scene>.json``: manim-slides' own presentation files, one per chapter, with the slide
  videos in ``slides/files/<Scene>/``; ``make present`` (``manim-slides present`` there) plays them;
- ``latent-walk.html``: the whole deck as one self-contained reveal.js page (videos inlined, reveal.js
  from ``publish/vendor``), which needs no internet and no server.

The deck's "reverse" key plays a slide forwards again: reversed copies of every slide would double
the encoding time for a key lectures rarely use.

The notes are the narration's words, and a prompt's among them, so they are text from outside,
escaped once for each place they are shown (``notes_text`` is the plain text):

- in ``<Scene>.json`` as Markdown (``markdown_text``), which ``manim-slides present`` renders;
- in the HTML deck as HTML text in ``<aside class="notes">``. manim-slides' own template marks the
  notes ``data-markdown`` and loads reveal.js's Markdown plugin, which reads the notes' text back
  and sets it as HTML (so a ``<img onerror=...>`` in a prompt would run). The deck is made from
  that template with the notes escaped as HTML where they are inserted and the Markdown plugin
  gone (``deck_template``); the notes plugin, and its speaker view (``s``), stay.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from pipeline.files import write_whole, written
from publish.media import ProjectFiles, PublishError, Render, ffmpeg, fresh, probe, side_by_side
from scenes.chapters import find_chapters
from scenes.numbers import visible

DECK_NAME = "latent-walk.html"
REVEAL_VERSION = "6.0.1"
VENDOR = Path(__file__).resolve().parent / "vendor" / f"reveal.js-{REVEAL_VERSION}"
SLIDE_VIDEO = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "128k"]


def slide_cuts(render: Render) -> list[tuple[float, float]]:
    """Each slide's start and end in its chapter: one per block, ending where the block's animations end."""
    ends = [block.end for block in render.blocks[:-1]] + [render.duration]
    starts = [0.0] + ends[:-1]
    cuts = [(start, end) for start, end in zip(starts, ends)]
    if any(end - start <= 0 for start, end in cuts):
        raise PublishError(f"{render.marks} has blocks out of order: render the chapter again with `make video`")
    return cuts


def slide_name(render: Render, index: int) -> str:
    return f"{index + 1:02d}_{render.blocks[index].name}.mp4"


def _one_line(text: str) -> str:
    return " ".join(visible(text).split())


def notes_text(render: Render, number: int, index: int) -> str:
    """A slide's speaker notes as plain text: where it is in the film, a blank line, and the words the narration
    says over it (what cannot be seen dropped)."""
    block = render.blocks[index]
    heading = f"Chapter {number}, {render.title}: slide {index + 1} of {len(render.blocks)} ({block.name})"
    return _one_line(heading) + "\n\n" + _one_line(block.text)


# CommonMark: any ASCII punctuation character may be escaped with a backslash, and is then just itself.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(text: str) -> str:
    """Plain text as Markdown that shows exactly that text: every ASCII punctuation character backslash-escaped,
    so nothing in it is emphasis, a link, a heading, a list or HTML."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def notes(render: Render, number: int, index: int) -> str:
    """A slide's speaker notes as manim-slides keeps them (Markdown, for ``manim-slides present``)."""
    return markdown_text(notes_text(render, number, index))


def _cut_chapter(render: Render, folder: Path, show_bar: bool = True) -> list[Path]:
    """Cut one chapter into its slides, each re-encoded from its exact first frame; every file written whole."""
    cuts = slide_cuts(render)
    names = [slide_name(render, index) for index in range(len(cuts))]
    targets = [folder / name for name in names]
    # Recorded before they are written; the slides of blocks the chapter no longer has go, nothing else.
    own = ProjectFiles(folder)
    own.claim(names)
    own.keep_only(names)
    for index, ((start, end), target) in enumerate(zip(cuts, targets)):
        if fresh(target, render.video, render.marks):
            continue
        # One file per slide, seeking in the input: a single pass through the segment muxer cuts
        # the video at the right frame but hands the audio of each slide's last moments to the next.
        with written(target) as partial:
            ffmpeg(["-ss", f"{start:.3f}", "-t", f"{end - start:.3f}", "-i", str(render.video),
                    "-map", "0:v:0", "-map", "0:a:0?", *SLIDE_VIDEO, "-map_metadata", "-1",
                    "-movflags", "+faststart", str(partial)],
                   end - start, f"{render.module} slide {index + 1}/{len(cuts)}", show_bar)
    own.settle(names)
    return targets


def write_presentation(render: Render, number: int, deck: Path, show_bar: bool = True) -> Path:
    """Cut a chapter and write manim-slides' presentation file for it: ``deck/slides/<Scene>.json``."""
    from manim_slides.config import PresentationConfig, SlideConfig

    configs = deck / "slides"
    files = _cut_chapter(render, configs / "files" / render.scene, show_bar)
    video = probe(render.video).first("video") or {}
    presentation = PresentationConfig(
        slides=[SlideConfig(file=path, rev_file=path, notes=notes(render, number, index))
                for index, path in enumerate(files)],
        resolution=(int(video.get("width", 1920)), int(video.get("height", 1080))),
        background_color=_background(),
    )
    # Paths relative to the deck, as manim-slides writes them, so the folder can be moved whole.
    data = json.loads(presentation.model_dump_json())
    for slide in data["slides"]:
        for key in ("file", "rev_file"):
            slide[key] = Path(slide[key]).relative_to(deck.resolve() if Path(slide[key]).is_absolute() else deck).as_posix()
    target = configs / f"{render.scene}.json"
    text = json.dumps(data, indent=2) + "\n"
    own = ProjectFiles(configs)
    own.claim([target.name], beside=["files"])  # the slides' own folders are cut there first
    if not target.is_file() or target.read_text(encoding="utf-8") != text:  # unchanged, so the HTML deck is reused
        write_whole(target, text)
        own.settle([target.name])
    return target


def _background() -> str:
    from scenes import style

    return style.BACKGROUND.to_hex()


# What deck_template changes in manim-slides' reveal.js template: each must be found exactly once.
_TEMPLATE_EDITS = (
    # The notes as HTML text (escaped where inserted, line breaks kept), never as Markdown.
    ('<aside class="notes" data-markdown>{{ slide_config.notes }}</aside>',
     '<aside class="notes">{{ slide_config.notes | e | replace("\\n", "<br>") }}</aside>'),
    ('<script src="{{ cdn_url }}/dist/plugin/markdown.js"></script>', ""),
    ("plugins: [ RevealMarkdown, RevealNotes ],", "plugins: [ RevealNotes ],"),
)


def deck_template() -> str:
    """manim-slides' reveal.js template, with the notes inserted as escaped HTML text and no Markdown plugin."""
    from importlib import resources

    from manim_slides import templates

    text = resources.files(templates).joinpath("revealjs.html").read_text(encoding="utf-8")
    for old, new in _TEMPLATE_EDITS:
        if text.count(old) != 1:
            raise PublishError(f"manim-slides' reveal.js template has changed (no single {old!r} in it): "
                               "publish/slides.py must be brought up to date with it")
        text = text.replace(old, new)
    if "markdown" in text.lower():
        raise PublishError("manim-slides' reveal.js template still uses Markdown after its notes were made text: "
                           "publish/slides.py must be brought up to date with it")
    return text


def make_slides(renders: list[Render], deck: Path, jobs: int | None = None) -> tuple[list[Path], Path]:
    """Write every chapter's presentation file (``jobs`` chapters cut side by side, default one per core; ffmpeg
    does the work in processes of its own), then the one-file HTML deck; return both."""
    from manim_slides.config import PresentationConfig
    from manim_slides.convert import RevealJS

    numbers = {chapter.module: number for number, chapter in enumerate(find_chapters(), 1)}
    deck = deck.resolve()
    html_path = deck / DECK_NAME
    deck_files = ProjectFiles(deck)
    deck_files.claim([DECK_NAME], beside=["slides"])  # before minutes of cutting: a page of someone else's there stops the run now
    jobs = side_by_side(jobs, len(renders))
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tqdm(total=len(renders), desc=f"slides ({jobs} chapters side by side)", unit="chapter",
                 disable=None if jobs > 1 else True) as bar:
        def cut(render: Render) -> Path:
            presentation = write_presentation(render, numbers[render.module], deck, show_bar=jobs == 1)
            bar.update(1)
            return presentation

        presentations = list(pool.map(cut, renders))
    sources = [render.video for render in renders] + presentations + [Path(__file__)]  # this code makes the page
    if fresh(html_path, *sources):
        return presentations, html_path
    with tempfile.TemporaryDirectory(prefix="reveal-cache-") as cache:
        # manim-slides inlines reveal.js from its asset cache in offline mode: fill that cache from
        # the vendored copy, so nothing is fetched from the internet.
        assets = Path(cache) / "manim-slides" / f"revealjs{REVEAL_VERSION}"
        assets.mkdir(parents=True)
        for asset in VENDOR.iterdir():
            shutil.copyfile(asset, assets / asset.name)
        template = Path(cache) / "revealjs.html"
        template.write_text(deck_template(), encoding="utf-8")
        # The deck's notes are the plain text; the template escapes them as HTML.
        configs = []
        for render, path in zip(renders, presentations):
            config = PresentationConfig.from_file(path)
            slides = [slide.model_copy(update={"notes": notes_text(render, numbers[render.module], index)})
                      for index, slide in enumerate(config.slides)]
            configs.append(config.model_copy(update={"slides": slides}))
        previous = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            converter = RevealJS(presentation_configs=configs, template=template,
                                 one_file=True, offline=True, reveal_version=REVEAL_VERSION,
                                 title="latent-walk: from noise to a picture", slide_number="c/t")
            with written(html_path) as partial:
                converter.convert_to(partial)
            deck_files.settle([DECK_NAME])
        finally:
            if previous is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = previous
    return presentations, html_path


def present(deck: Path) -> None:
    """Play the deck's chapters in film order with ``manim-slides present``; a missing deck names the target to run."""
    configs = deck / "slides"
    scenes = [c.scene for c in find_chapters() if (configs / f"{c.scene}.json").is_file()]
    if not scenes:
        raise PublishError(f"{configs} holds no presentation: make the deck first with `make slides`")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        raise PublishError("manim-slides present needs a display (none is set in DISPLAY or WAYLAND_DISPLAY); "
                           f"open {deck / DECK_NAME} in a browser instead")
    executable = Path(sys.executable).with_name("manim-slides")
    command = [str(executable) if executable.exists() else "manim-slides", "present", "--folder", str(configs), *scenes]
    if subprocess.run(command).returncode != 0:
        raise PublishError("manim-slides present stopped with an error (see above)")
