"""Every chapter as the web wants it, in ``media/clips/``: for chapter ``<m>``

- ``<m>.mp4``: H.264 + AAC, yuv420p, with the index first ("fast start"), so a browser starts
  playing before it has the whole file;
- ``<m>.webm``: VP9 + Opus, for browsers that prefer an open format;
- ``<m>.poster.png``: the chapter's most telling frame (the end of the block ``ABOUT`` names);
- ``<m>.vtt`` and ``<m>.srt``: the narration's subtitles, checked to parse;
- ``<m>.preview.mp4``: a few silent seconds leading up to the poster frame, to loop at the top
  of an article;
- ``<m>.json``: what the page needs to embed the clip (title, summary, length, files and sizes).

Each output is remade only when it is missing or older than the chapter's render (or, for the
poster and preview, when the poster frame moved), so a second run with nothing new does nothing.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from pipeline.files import read_json, write_whole, written
from publish.media import (
    JSON_BYTES,
    JSON_DEPTH,
    ProjectFiles,
    PublishError,
    Render,
    ffmpeg,
    fresh,
    probe,
    side_by_side,
    top_level_boxes,
)

CLIP_SCHEMA = "latent-walk/clip/1"
PREVIEW_SECONDS = 6.0
PREVIEW_WIDTH = 640
# VP9 at constant quality, in libvpx's realtime mode at speed 7 with row threading: on the film's flat colours
# and thin lines it matches the good mode's speed 4 in likeness to the render (SSIM 0.9992 both, PSNR 47.1
# against 46.9 dB) at 4 times its speed, for files a quarter larger (scripts/bench_encoders.py measures them).
WEBM_VIDEO = ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-deadline", "realtime", "-cpu-used", "7",
              "-row-mt", "1", "-pix_fmt", "yuv420p"]
WEBM_AUDIO = ["-c:a", "libopus", "-b:a", "64k"]


@dataclass(frozen=True)
class ClipFiles:
    """The files of one chapter's clip, by kind."""

    folder: Path
    module: str

    def path(self, kind: str) -> Path:
        return self.folder / {"mp4": f"{self.module}.mp4", "webm": f"{self.module}.webm",
                              "poster": f"{self.module}.poster.png", "preview": f"{self.module}.preview.mp4",
                              "vtt": f"{self.module}.vtt", "srt": f"{self.module}.srt",
                              "manifest": f"{self.module}.json"}[kind]


KINDS = ("mp4", "webm", "poster", "preview", "vtt", "srt")


def _mp4(render: Render, out: Path, show_bar: bool = True) -> None:
    """Fast-start MP4: the render's own H.264/AAC streams copied when they are web-ready, re-encoded when not."""
    info = probe(render.video)
    video, audio = info.first("video"), info.first("audio")
    if video is None or audio is None:
        raise PublishError(f"{render.video} has no {'video' if video is None else 'audio'} stream: "
                           "render it again with `make video`")
    ready = (video.get("codec_name") == "h264" and video.get("pix_fmt") == "yuv420p"
             and audio.get("codec_name") == "aac")
    codecs = (["-c", "copy"] if ready else
              ["-c:v", "libx264", "-crf", "20", "-preset", "medium", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"])
    with written(out) as partial:
        ffmpeg(["-i", str(render.video), "-map", "0:v:0", "-map", "0:a:0", *codecs, "-map_metadata", "-1",
                "-metadata", f"title={render.title}", "-movflags", "+faststart", str(partial)],
               render.duration, f"{render.module} mp4", show_bar)


def _webm(render: Render, out: Path, show_bar: bool = True) -> None:
    with written(out) as partial:
        ffmpeg(["-i", str(render.video), "-map", "0:v:0", "-map", "0:a:0", *WEBM_VIDEO, *WEBM_AUDIO,
                "-map_metadata", "-1", "-metadata", f"title={render.title}", str(partial)],
               render.duration, f"{render.module} webm", show_bar)


def _poster(render: Render, out: Path, show_bar: bool = True) -> None:
    with written(out) as partial:
        ffmpeg(["-ss", f"{render.poster_time:.3f}", "-i", str(render.video), "-frames:v", "1", "-update", "1",
                str(partial)], 0.1, f"{render.module} poster", show_bar)
    if not out.is_file() or out.stat().st_size == 0:
        raise PublishError(f"no frame at {render.poster_time:.2f} s of {render.video}: render it again with `make video`")


def preview_window(render: Render) -> tuple[float, float]:
    """The preview's start and length: the seconds leading up to the poster frame."""
    end = max(render.poster_time, min(PREVIEW_SECONDS, render.duration))
    start = max(0.0, end - PREVIEW_SECONDS)
    return start, end - start


def _preview(render: Render, out: Path, show_bar: bool = True) -> None:
    start, length = preview_window(render)
    with written(out) as partial:
        ffmpeg(["-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(render.video), "-an",
                "-vf", f"scale='min({PREVIEW_WIDTH},iw)':-2", "-c:v", "libx264", "-crf", "26", "-preset", "medium",
                "-pix_fmt", "yuv420p", "-map_metadata", "-1", "-movflags", "+faststart", str(partial)],
               length, f"{render.module} preview", show_bar)


def _subtitles(render: Render, kind: str, out: Path) -> None:
    from scenes.narration.subtitles import read_subtitles  # parses both formats; refuses a damaged file

    source = render.vtt if kind == "vtt" else render.srt
    try:
        cues = read_subtitles(source)
    except ValueError as error:
        raise PublishError(f"{source} does not parse ({error}): render the chapter again with `make video`") from None
    if not cues:
        raise PublishError(f"{source} has no cues: render the chapter again with `make video`")
    with written(out) as partial:
        shutil.copyfile(source, partial)


def read_manifest(path: Path) -> dict | None:
    """A clip's manifest as make_clip writes it, or None when it is missing, damaged or of another shape (then the
    clip is made again, and the site asks for `make clips`): every field the site and the page read, of its type."""
    try:
        data = read_json(path, JSON_BYTES, JSON_DEPTH)
    except (OSError, ValueError):
        return None
    return data if _sound_manifest(data) else None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _sound_manifest(data) -> bool:
    if not isinstance(data, dict) or data.get("schema") != CLIP_SCHEMA:
        return False
    texts = all(isinstance(data.get(key), str) for key in ("module", "scene", "title", "summary"))
    numbers = all(_number(data.get(key)) for key in ("duration", "poster_time")) and all(
        isinstance(data.get(key), int) and not isinstance(data.get(key), bool) and data[key] >= 0
        for key in ("width", "height"))
    preview, files = data.get("preview"), data.get("files")
    return (texts and numbers and isinstance(preview, dict) and _number(preview.get("start"))
            and _number(preview.get("duration")) and isinstance(files, dict)
            and all(isinstance(files.get(kind), dict) and isinstance(files[kind].get("bytes"), int)
                    and files[kind].get("name") == ClipFiles(Path("."), data["module"]).path(kind).name
                    for kind in KINDS))


def make_clip(render: Render, folder: Path, show_bar: bool = True) -> tuple[dict, list[str]]:
    """Make whatever of one chapter's clip is missing or stale; return its manifest and the kinds it remade."""
    files = ClipFiles(folder, render.module)
    own = ProjectFiles(folder)
    names = [files.path(kind).name for kind in (*KINDS, "manifest")]
    own.claim(names)  # none of them a file of someone else's
    old = read_manifest(files.path("manifest"))
    poster_moved = old is None or old.get("poster_time") != round(render.poster_time, 3)
    made = []
    for kind in KINDS:
        out = files.path(kind)
        if fresh(out, *render.files) and not (kind in ("poster", "preview") and poster_moved):
            continue
        if kind == "mp4":
            _mp4(render, out, show_bar)
        elif kind == "webm":
            _webm(render, out, show_bar)
        elif kind == "poster":
            _poster(render, out, show_bar)
        elif kind == "preview":
            _preview(render, out, show_bar)
        else:
            _subtitles(render, kind, out)
        made.append(kind)
    start, length = preview_window(render)
    mp4 = probe(files.path("mp4"))
    video = mp4.first("video") or {}
    manifest = {
        "schema": CLIP_SCHEMA,
        "module": render.module,
        "scene": render.scene,
        "title": render.title,
        "summary": render.summary,
        "duration": round(mp4.duration, 3),
        "width": int(video.get("width", 0)),
        "height": int(video.get("height", 0)),
        "poster_time": round(render.poster_time, 3),
        "preview": {"start": round(start, 3), "duration": round(length, 3)},
        "files": {kind: {"name": files.path(kind).name, "bytes": files.path(kind).stat().st_size} for kind in KINDS},
    }
    if made or old != manifest:
        write_whole(files.path("manifest"), json.dumps(manifest, indent=1) + "\n")
        own.settle(names)
    return manifest, made


def make_clips(renders: Sequence[Render], folder: Path, jobs: int | None = None) -> Iterator[tuple[Render, dict, list[str]]]:
    """Every chapter's clip, ``jobs`` chapters side by side (default: one per core), longest first so that no
    long chapter is left to the end alone; yields (render, manifest, kinds remade) as each chapter finishes,
    under one bar of the seconds of video done. A failure stops the chapters not yet started and is raised
    once the running ones end (each writes its files whole, or not at all)."""
    jobs = side_by_side(jobs, len(renders))
    order = sorted(renders, key=lambda render: -render.duration)
    total = sum(render.duration for render in renders)
    with tqdm(total=round(total, 1), desc=f"clips ({jobs} side by side)", unit="s", dynamic_ncols=True,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of video [{elapsed}<{remaining}]",
              disable=None) as bar, ThreadPoolExecutor(max_workers=jobs) as pool:
        # ffmpeg does the work in processes of its own: threads only wait on them
        futures = {pool.submit(make_clip, render, folder, jobs == 1): render for render in order}
        try:
            for future in as_completed(futures):
                render = futures[future]
                manifest, made = future.result()
                bar.update(min(render.duration, bar.total - bar.n))
                yield render, manifest, made
        finally:
            for future in futures:
                future.cancel()


def check_clip(manifest: dict, folder: Path, expected_duration: float, tolerance: float = 0.1) -> list[str]:
    """What is wrong with a clip's streams (empty when nothing is): codecs, pixel format, fast start, audio, length."""
    problems = []
    files = ClipFiles(folder, manifest["module"])
    mp4, webm, preview = (probe(files.path(kind)) for kind in ("mp4", "webm", "preview"))
    for name, info, video_codec, audio_codec in (("mp4", mp4, "h264", "aac"), ("webm", webm, "vp9", "opus")):
        video, audio = info.first("video"), info.first("audio")
        if video is None or video.get("codec_name") != video_codec:
            problems.append(f"{name}: video is {video and video.get('codec_name')}, not {video_codec}")
        elif video.get("pix_fmt") != "yuv420p":
            problems.append(f"{name}: pixel format {video.get('pix_fmt')}, not yuv420p")
        if audio is None or audio.get("codec_name") != audio_codec:
            problems.append(f"{name}: audio is {audio and audio.get('codec_name')}, not {audio_codec}")
        if abs(info.duration - expected_duration) > tolerance:
            problems.append(f"{name}: {info.duration:.2f} s long, the chapter is {expected_duration:.2f} s")
    for name in ("mp4", "preview"):
        boxes = top_level_boxes(files.path(name))
        if "moov" not in boxes or "mdat" not in boxes or boxes.index("moov") > boxes.index("mdat"):
            problems.append(f"{name}: not fast start (top-level boxes {boxes})")
    if preview.first("audio") is not None:
        problems.append("preview: has sound, should be silent")
    if preview.first("video") is None or preview.duration > PREVIEW_SECONDS + 0.5:
        problems.append(f"preview: {preview.duration:.2f} s, at most {PREVIEW_SECONDS:g} s of video expected")
    return problems
