"""Narration for the film's chapters: the offline voice with exact bookmarks, the base scene, the narration files and subtitles."""

from .scene import NarratedScene, SpokenBlock, subtitles_folder
from .script import Narration, NarrationError, digits_outside_placeholders, load_narration, placeholders_in
from .speech import VOICE_ENV, PiperService, SilentService, service_from_env, spoken_text
from .subtitles import Cue, read_subtitles, write_subtitles

__all__ = [
    "Cue", "NarratedScene", "Narration", "NarrationError", "PiperService", "SilentService", "SpokenBlock",
    "VOICE_ENV", "digits_outside_placeholders", "load_narration", "placeholders_in", "read_subtitles",
    "service_from_env", "spoken_text", "subtitles_folder", "write_subtitles",
]
