"""Text from outside, carried from a prompt into every output, arrives as the text the user wrote and never as markup.

A prompt is a fact of the walk capture: the narration says it, the subtitles show it, the slide
deck's notes and the page carry it. ``HOSTILE`` holds what each format could mistake for its own
markup: HTML that runs a script (``<img onerror>``, ``</script>``), WebVTT/SRT syntax (a timing
line, ``-->``), a character reference (``&amp;``), the narration's own bookmark tag (the very
bookmark the chapter waits for), an HTML and an ASS tag, control characters and a right-to-left
override. Every output must show its visible characters literally (``SHOWN``), drop the
invisible ones, and run nothing.

21 cases, by kind:

- narration markup (4): a fact is filled in inert (no bookmark comes of it, a placeholder in it
  stays words, its text is said as written); a narration file's stray ``<`` is refused; the
  silent voice speaks a hostile block with the block's own bookmarks only, timed exactly; the
  markup's references round-trip.
- subtitles (9): WebVTT escapes ``& < >`` and never holds ``-->`` in a cue, and reads back
  exactly; SRT writes the look-alike safe form and reads it back; ffmpeg's SRT and WebVTT decoders
  (what players use) show the text and no tag or override; each reader refuses a cue line with
  ``-->`` (2); the WebVTT reader drops tags and reads references; controls and bidi overrides are
  dropped and a cue with nothing visible is left out; a blank line never ends a cue early.
- notes (3): the notes are plain text without invisible characters; their Markdown (for
  ``manim-slides present``) renders to exactly that text; the deck's template inserts them as
  escaped HTML with reveal.js's Markdown plugin gone.
- the page (1): titles, summaries and subtitles with the hostile text are escaped, invisible
  characters dropped.
- end to end (4): a real (tiny, silent) render of ``ch01_opening`` with the hostile prompt: its
  spoken text, marks and subtitles hold the prompt literally; its clips' subtitles parse; in
  headless Chromium, the page runs no script, logs no error, plays, and shows the prompt in its
  subtitle cues and the hostile title and summary as text; the deck runs no script, logs no
  error, and shows the prompt in its notes and in the speaker view (``s``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import RENDER_FPS, RENDER_RESOLUTION, TINY_STEPS

from pipeline.contract import read_capture, write_capture
from publish.browser import check_page, chromium, serve
from publish.clips import ClipFiles, make_clip
from publish.media import Block, Render, read_renders
from publish.site import make_site, page, snippet
from publish.slides import deck_template, make_slides, markdown_text, notes, notes_text
from scenes.narration import SilentService, load_narration, read_subtitles, spoken_text
from scenes.narration.script import Narration
from scenes.narration.speech import BOOKMARK, as_markup, cut_points, plain_text
from scenes.narration.subtitles import (
    Cue,
    SubtitleError,
    block_cues,
    parse_subtitles,
    srt_text,
    to_srt,
    to_vtt,
    write_subtitles,
)
from scenes.numbers import visible

ROOT = Path(__file__).resolve().parents[1]

INVISIBLE = "\x07\x00\x1b\x7f\x85\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"
HOSTILE = ('a red <img src=x onerror="window.__pwned=1"> </script> 00:00:01.000 --> 00:00:02.000 --> &amp; '
           '<bookmark mark="enter"/> <b>bold</b> {\\an8} \x07\x00\x1b \u202eevil\u202c fish')
# What every output shows of it: the visible characters, word for word.
SHOWN = " ".join(visible(HOSTILE).split())


def _in_order(needle: str, haystack: str) -> bool:
    """Whether the words of ``needle`` appear in ``haystack`` one after another (line breaks are spaces)."""
    return " ".join(needle.split()) in " ".join(haystack.split())


# ----------------------------------------------------------------------------- narration markup


def test_a_fact_is_filled_in_inert_and_said_as_written(tmp_path):
    block = 'You type: <bookmark mark="type"/> {prompt}. <bookmark mark="enter"/> Enter {seed}.'
    narration = Narration(tmp_path / "x.narration.toml", {"prompt": block})
    filled = narration.filled({"prompt": HOSTILE + " {seed}", "seed": "7"})["prompt"]
    assert BOOKMARK.findall(filled) == ["type", "enter"], "a bookmark in a fact must never become one"
    assert "<" not in BOOKMARK.sub("", filled) and ">" not in BOOKMARK.sub("", filled)
    content, _, marks = cut_points(filled)  # manim-voiceover's bookmarks: the block's two, no duplicate
    assert list(marks) == ["type", "enter"]
    said = spoken_text(filled)
    assert _in_order(SHOWN + " {seed}", said), "a placeholder inside a fact's value is words, not a placeholder"
    assert said.endswith("Enter 7.") and not any(char in said for char in INVISIBLE)


def test_a_narration_file_with_a_stray_angle_bracket_is_refused(tmp_path):
    from scenes.narration import NarrationError

    path = tmp_path / "chapter.narration.toml"
    path.write_text('[blocks]\nopening = "Five is <b>more</b> than four."\n')
    with pytest.raises(NarrationError, match="no bookmark"):
        load_narration(path)
    path.write_text('[blocks]\nopening = "Four &lt; five, <bookmark mark=\'a\'/> and salt & pepper."\n')
    assert spoken_text(load_narration(path).blocks["opening"]) == "Four < five, and salt & pepper."


def test_the_voice_speaks_a_hostile_block_with_its_own_bookmarks_only(tmp_path):
    from manim_voiceover.tracker import VoiceoverTracker

    markup = f'You type: <bookmark mark="type"/> {as_markup(HOSTILE)}. <bookmark mark="enter"/> You press enter.'
    service = SilentService(cache_dir=tmp_path / "voiceovers")
    data = service._wrap_generate_from_text(markup)
    clock = type("Scene", (), {"renderer": type("Renderer", (), {"time": 0.0})()})()
    tracker = VoiceoverTracker(clock, data, service.cache_dir)
    assert set(tracker.bookmark_times) == {"type", "enter"}
    # Each bookmark falls exactly on the start of the segment after it
    starts = {segment["text_offset"]: segment["start"] for segment in data["segments"]}
    marks = cut_points(data["input_text"])[2]  # the text as spoken: spaces normalised
    assert tracker.bookmark_times["enter"] == pytest.approx(starts[marks["enter"]], abs=1e-6)
    cues = block_cues(0.0, data["segments"])
    assert _in_order(SHOWN, " ".join(cue.text for cue in cues))


def test_the_markup_references_round_trip():
    for text in (HOSTILE, "&lt; is <", "&amp;lt;", "& alone", "&&;;", "<bookmark mark='x'/>"):
        assert plain_text(as_markup(text)) == visible(text)
        assert not BOOKMARK.search(as_markup(text))
    assert plain_text("a &lt;b&gt; &amp;amp; &copy; & c") == "a <b> &amp; &copy; & c"


# ----------------------------------------------------------------------------- subtitles


def _cues() -> list[Cue]:
    return [Cue(1.0, 2.0, SHOWN[:40]), Cue(2.5, 4.0, SHOWN[40:80] + "\n" + SHOWN[80:]), Cue(4.5, 5.0, HOSTILE)]


def _cue_lines(text: str) -> list[str]:
    """The lines of a subtitle file that are cue text (not a header, a number or a timing line)."""
    lines, out = text.split("\n"), []
    for index, line in enumerate(lines):
        if line and "-->" not in line and not line.isdigit() and line != "WEBVTT":
            out.append(line)
        assert "-->" not in line or index > 0 and (lines[index - 1].isdigit()), f"a cue line holds -->: {line!r}"
    return out


def test_webvtt_escapes_markup_and_reads_back_exactly():
    cues = _cues()
    text = to_vtt(cues)
    for line in _cue_lines(text):
        assert "<" not in line and ">" not in line
        assert all(line[i:].startswith(("&amp;", "&lt;", "&gt;")) for i, char in enumerate(line) if char == "&")
    assert "--&gt;" in text and "&amp;amp;" in text and "&lt;bookmark" in text
    back = parse_subtitles(text)
    assert [cue.text for cue in back] == [visible(cue.text) for cue in cues]


def test_srt_writes_a_safe_form_and_reads_it_back():
    cues = _cues()
    text = to_srt(cues)
    for line in _cue_lines(text):
        assert not any(char in line for char in "<>{\\"), f"SRT markup left in {line!r}"
    back = parse_subtitles(text)
    assert [cue.text for cue in back] == [srt_text(cue.text) for cue in cues]
    assert "\u2039img src=x" in back[0].text and "\u2039b\u203abold\u2039/b\u203a" in text


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_a_players_decoder_shows_the_text_and_no_markup(tmp_path, kind):
    """ffmpeg's subtitle decoders (mpv and many players use them) turn the file into ASS: no tag may come of it."""
    vtt, srt = write_subtitles(tmp_path, "hostile", [Cue(1.0, 3.0, SHOWN)])
    ass = tmp_path / f"{kind}.ass"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(vtt if kind == "vtt" else srt), str(ass)], check=True)
    dialogue = "".join(line.split(",,", 1)[1] for line in ass.read_text(encoding="utf-8").splitlines()
                       if line.startswith("Dialogue:"))
    assert not re.search(r"(?<!\\)\{\\", dialogue), f"an ASS override came of it: {dialogue}"
    if kind == "vtt":  # WebVTT has escapes: the very characters come back (ffmpeg escapes the braces for ASS)
        assert "<b>bold</b>" in dialogue and 'src=x onerror="window.__pwned=1">' in dialogue
        assert "--> 00:00:02.000 --> &amp;" in dialogue and "\\{\\an8\\}" in dialogue
    else:  # SRT has none: the look-alikes, not a bold word or a dropped tag
        assert "\u2039b\u203abold\u2039/b\u203a" in dialogue and "\u2039img src=x" in dialogue
        assert "\uff5b\u29f5an8}" in dialogue


@pytest.mark.parametrize("text", [
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nsome words\n00:00:03.000 --> 00:00:04.000\n",
    "1\n00:00:01,000 --> 00:00:02,000\nwords --> more words\n",
])
def test_a_cue_line_with_an_arrow_is_refused(text):
    with pytest.raises(SubtitleError, match="-->"):
        parse_subtitles(text)


def test_the_webvtt_reader_drops_tags_and_reads_references():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Joe><b>bold</b> &lt;b&gt; &amp;amp; 1 &lt; 2</v>\n"
    assert parse_subtitles(text)[0].text == "bold <b> &amp; 1 < 2"


def test_invisible_characters_are_dropped_and_a_cue_of_nothing_is_left_out():
    cues = [Cue(1.0, 2.0, f"a{INVISIBLE}b \u202eevil"), Cue(2.0, 3.0, INVISIBLE), Cue(3.0, 4.0, "c")]
    for text in (to_vtt(cues), to_srt(cues)):
        assert not any(char in text for char in INVISIBLE)
        assert [cue.text for cue in parse_subtitles(text)] == ["ab evil", "c"]


def test_a_blank_line_in_a_cue_never_ends_it_early():
    cues = [Cue(1.0, 2.0, "first\n\n2\n00:00:09.000 --> 00:00:10.000\nforged"), Cue(3.0, 4.0, "last")]
    for text in (to_vtt(cues), to_srt(cues)):
        back = parse_subtitles(text)
        assert len(back) == 2 and back[0].start == 1.0 and back[1].text == "last"
        assert back[0].text.split("\n")[0] == "first" and "forged" in back[0].text


# ----------------------------------------------------------------------------- notes


def _render(text: str, title: str = "A <i>title</i> & more") -> Render:
    return Render("ch01_opening", "Opening", Path("x.mp4"), Path("x.vtt"), Path("x.srt"), Path("x.marks.json"),
                  title, 3.0, (Block("prompt", 0.0, 1.0, text),), "", "prompt")


def test_the_notes_are_plain_visible_text():
    render = _render(f"You type {HOSTILE}.")
    text = notes_text(render, 1, 0)
    assert text.startswith("Chapter 1, A <i>title</i> & more: slide 1 of 1 (prompt)\n\n")
    assert _in_order(SHOWN, text) and not any(char in text for char in INVISIBLE)


def test_the_markdown_notes_render_as_exactly_their_text():
    markdown_it = pytest.importorskip("markdown_it")
    render = _render(f"You type {HOSTILE}. *Not* _emphasis_, [no](link), # no heading, 1. no list, `no code`.")
    rendered = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(notes(render, 1, 0))
    soup = BeautifulSoup(rendered, "html.parser")
    assert {tag.name for tag in soup.find_all(True)} == {"p"}, f"Markdown made markup: {rendered}"
    assert [p.get_text() for p in soup.find_all("p")] == notes_text(render, 1, 0).split("\n\n")
    assert markdown_text("a\\b") == "a\\\\b"


def test_the_deck_template_inserts_notes_as_escaped_text_without_markdown():
    from jinja2 import Template

    template = deck_template()
    assert "markdown" not in template.lower()
    assert "RevealNotes" in template and "notes.js" in template, "the speaker view stays"
    section = template[template.index("<aside"):template.index("</aside>") + len("</aside>")]
    html = Template(section).render(slide_config=type("Slide", (), {"notes": "a <img src=x>\n\n& b"})())
    assert html == '<aside class="notes">a &lt;img src=x&gt;<br><br>&amp; b</aside>'


# ----------------------------------------------------------------------------- the page


def test_the_page_escapes_hostile_titles_summaries_and_subtitles():
    manifest = {"module": "ch01_opening", "title": HOSTILE, "summary": HOSTILE, "duration": 3.0, "width": 426,
                "height": 240, "preview": {"duration": 1.0},
                "files": {kind: {"name": f"ch01_opening.{kind}"} for kind in ("mp4", "webm", "poster", "preview",
                                                                              "vtt", "srt")}}
    colours = {name: "#000000" for name in ("background", "ink", "muted", "faint", "signal", "highlight")}
    text = page([manifest], colours, {"ch01_opening": to_vtt([Cue(0.0, 1.0, HOSTILE)])})
    soup = BeautifulSoup(text, "html.parser")
    assert not soup.find("img") and not soup.find("b") and len(soup.find_all("script")) == 1
    assert _in_order(SHOWN, soup.find("h2").get_text())
    assert _in_order(SHOWN, soup.find("p", class_="summary").get_text())
    assert soup.select_one("section.chapter video")["title"] == visible(HOSTILE)
    assert not any(char in text for char in INVISIBLE)
    assert soup.find("textarea").get_text() == visible(snippet(manifest))


# ----------------------------------------------------------------------------- end to end: a chapter, its clips, page and deck


@pytest.fixture(scope="module")
def hostile_render(tmp_path_factory, tiny_captures):
    """ch01_opening rendered (silent, 5 fps, 426x240) from a tiny walk capture whose prompt is ``HOSTILE``, beside
    the tiny captures of everything else it reads: (media, renders)."""
    from pipeline.experiments import walk
    from scenes.chapters import read_chapter

    work = tmp_path_factory.mktemp("hostile")
    real, _ = walk.capture(work / "real", steps=TINY_STEPS, progress=False)
    # The text encoder refuses long prompts, and the prompt is only a fact the film quotes: write it in.
    capture = read_capture(real.path)
    facts = dict(capture.facts, prompt=dataclasses.replace(capture.facts["prompt"], value=HOSTILE))
    media = work / "media"
    write_capture(media / "captures", "walk", dict(capture.spec, prompt=HOSTILE), dict(capture.arrays),
                  capture.meanings, facts)
    from pipeline.experiments import blend  # the opening's blend question names its two prompts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blend, "POINTS", 3)
        blend.capture(media / "captures", steps=TINY_STEPS, progress=False)
    captures, root = tiny_captures  # the rest of what the opening reads, as the other chapter tests have it
    for name in read_chapter(ROOT / "scenes" / "ch01_opening.narration.toml").reads:
        if name not in ("walk", "blend"):
            shutil.copytree(captures[name].path, media / "captures" / captures[name].path.name)
            shutil.copyfile(root / f"{name}.current", media / "captures" / f"{name}.current")
    command = [sys.executable, "-m", "manim", "render", "--config_file", str(ROOT / "manim.cfg"), "-ql",
               "--fps", str(RENDER_FPS), "-r", RENDER_RESOLUTION, "--media_dir", str(media),
               "--progress_bar", "none", "scenes/ch01_opening.py", "Opening"]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "LATENT_WALK_VOICE": "silent"},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    renders = work / "renders"
    renders.mkdir()
    shutil.copyfile(next(media.glob("videos/ch01_opening/*/Opening.mp4")), renders / "ch01_opening.mp4")
    for ext in ("vtt", "srt", "marks.json"):
        shutil.copyfile(media / "subtitles" / f"Opening.{ext}", renders / f"ch01_opening.{ext}")
    return media, renders


@pytest.mark.render
def test_a_chapter_renders_a_hostile_prompt_and_says_and_shows_it_literally(hostile_render):
    _, renders = hostile_render
    marks = json.loads((renders / "ch01_opening.marks.json").read_text(encoding="utf-8"))
    prompt = next(block for block in marks["blocks"] if block["name"] == "prompt")
    assert prompt["text"] == f"You type a few words: {SHOWN}. You press enter."
    vtt = read_subtitles(renders / "ch01_opening.vtt")
    assert _in_order(f"You type a few words: {SHOWN}. You press enter.", " ".join(cue.text for cue in vtt))
    srt = read_subtitles(renders / "ch01_opening.srt")
    assert [cue.text for cue in srt] == [srt_text(cue.text) for cue in vtt]
    assert [(cue.start, cue.end) for cue in srt] == [(cue.start, cue.end) for cue in vtt]


@pytest.fixture(scope="module")
def hostile_exports(hostile_render, tmp_path_factory):
    """The hostile render's clip, page and deck; the page's clip manifest also gets the hostile text as title and summary."""
    _, renders = hostile_render
    work = tmp_path_factory.mktemp("hostile-exports")
    render, = read_renders(renders, ["ch01_opening"])
    manifest, _ = make_clip(render, work / "clips")
    manifest_path = ClipFiles(work / "clips", "ch01_opening").path("manifest")
    manifest_path.write_text(json.dumps(dict(manifest, title=HOSTILE, summary=HOSTILE)), encoding="utf-8")
    index = make_site(work / "clips", work / "site", ["ch01_opening"])
    _, deck = make_slides([render], work / "slides")
    return render, manifest, index, deck


@pytest.mark.render
def test_the_clips_subtitles_carry_the_prompt_literally(hostile_exports):
    render, _, index, _ = hostile_exports
    vtt = read_subtitles(index.parent / "clips" / "ch01_opening.vtt")
    assert _in_order(SHOWN, " ".join(cue.text for cue in vtt))
    srt = index.parent / "clips" / "ch01_opening.srt"
    assert _in_order(srt_text(SHOWN), " ".join(cue.text for cue in read_subtitles(srt)))
    assert "<" not in srt.read_text(encoding="utf-8")


_NEEDS_CHROMIUM = pytest.mark.skipif(chromium() is None, reason="needs Chromium; `make test` installs it")


def _in_chromium(url: str, script: str, speaker_view: bool = False) -> tuple[dict, list[str]]:
    """Open ``url`` in headless Chromium, run ``script`` there (and, with ``speaker_view``, press s and read the speaker
    window's notes); returns what it found and every console error, uncaught exception or set ``__pwned``."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []

    def watch(page, where: str) -> None:
        page.on("console", lambda message: problems.append(f"{where} console: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"{where} uncaught: {error}"))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True,
                                             args=["--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(60_000)
            watch(page, "page")
            page.goto(url, wait_until="load")
            found = page.evaluate(script)
            windows = [page]
            if speaker_view:
                with page.expect_popup() as popup:
                    page.keyboard.press("s")
                speaker = popup.value
                watch(speaker, "speaker view")
                speaker.wait_for_function("() => (document.querySelector('.speaker-controls-notes .value') || {})"
                                          ".textContent?.includes('Chapter')")
                found["speaker_notes"] = speaker.evaluate(
                    "() => { const v = document.querySelector('.speaker-controls-notes .value');"
                    " return { text: v.innerText, tags: [...v.querySelectorAll('*')].map(e => e.tagName) }; }")
                windows.append(speaker)
            page.wait_for_timeout(500)  # an onerror handler fires once the image has failed to load
            for window in windows:
                for frame in window.frames:
                    if frame.evaluate("() => typeof window.__pwned") != "undefined":
                        problems.append(f"a script ran in {frame.url[:80]}")
        finally:
            browser.close()
    return found, problems


PAGE_TEXT = """
async () => {
  const video = document.querySelector("section.chapter video");
  const track = video.textTracks[0];
  track.mode = "hidden";
  for (let i = 0; i < 100 && !(track.cues && track.cues.length); i++) await new Promise(r => setTimeout(r, 50));
  return {
    cues: [...track.cues].map(cue => cue.getCueAsHTML().textContent),
    cue_tags: [...track.cues].flatMap(cue => [...cue.getCueAsHTML().querySelectorAll("*")].map(e => e.tagName)),
    heading: document.querySelector("section.chapter h2").textContent,
    summary: document.querySelector("section.chapter p.summary").textContent,
    snippet: document.querySelector("textarea.snippet").value,
    images: document.images.length,
    bold: document.querySelectorAll("main b").length,
  };
}
"""


@pytest.mark.browser
@_NEEDS_CHROMIUM
def test_the_page_runs_no_script_and_shows_the_text_in_chromium(hostile_exports):
    render, manifest, index, _ = hostile_exports
    with serve(index.parent) as url:
        report = check_page(url + "index.html", {"ch01_opening": render.duration})
    assert report.problems == []
    found, problems = _in_chromium(index.as_uri(), PAGE_TEXT)
    assert problems == []
    assert found["images"] == 0 and found["bold"] == 0 and found["cue_tags"] == []
    assert _in_order(f"You type a few words: {SHOWN}. You press enter.", " ".join(found["cues"]))
    assert _in_order(SHOWN, found["heading"]) and _in_order(SHOWN, found["summary"])
    assert found["snippet"] == visible(snippet(dict(manifest, title=HOSTILE)))


DECK_TEXT = """
async () => {
  for (let i = 0; i < 200 && !(window.Reveal && Reveal.isReady()); i++) await new Promise(r => setTimeout(r, 50));
  const notes = [...document.querySelectorAll("aside.notes")];
  return {
    ready: Reveal.isReady(),
    plugins: Object.keys(Reveal.getPlugins()),
    notes: notes.map(aside => aside.innerText),
    tags: notes.flatMap(aside => [...aside.querySelectorAll("*")].map(e => e.tagName)),
    images: document.images.length,
  };
}
"""


@pytest.mark.browser
@_NEEDS_CHROMIUM
def test_the_deck_runs_no_script_and_shows_the_notes_as_text_in_chromium(hostile_exports):
    _, _, _, deck = hostile_exports
    found, problems = _in_chromium(deck.as_uri(), DECK_TEXT, speaker_view=True)
    assert problems == []
    assert found["ready"] and found["plugins"] == ["notes"], "notes only: no Markdown plugin"
    assert found["images"] == 0 and set(found["tags"]) <= {"BR"}
    assert _in_order(f"You type a few words: {SHOWN}. You press enter.", found["notes"][0])
    assert found["notes"][0].startswith("Chapter 1, What happens in between?: slide 1 of")
    speaker = found["speaker_notes"]
    assert set(speaker["tags"]) <= {"BR"} and _in_order(SHOWN, speaker["text"])
