"""The film's look in one place: a small palette on a dark background, the fonts, and the sizes of words on screen.

Every chapter takes its colours and type from here, so that a colour means the same thing
throughout the film: blue is the picture (the signal), red is noise, yellow marks the moment
the narration points at, green is the model and what it makes.
"""

from __future__ import annotations

from manim import ManimColor

# A near-black rather than pure black: 3Blue1Brown's videos sit on a soft dark grey-blue.
BACKGROUND = ManimColor("#0E1016")

INK = ManimColor("#ECECEC")  # words and axes
MUTED = ManimColor("#8C92A0")  # secondary words: units, tick labels, hints
FAINT = ManimColor("#3A3F4B")  # frames around pictures, guides that should not compete

SIGNAL = ManimColor("#58C4DD")  # the picture, what is left of it
NOISE = ManimColor("#FC6255")  # the noise
HIGHLIGHT = ManimColor("#FFD84D")  # the moment the narration points at
MODEL = ManimColor("#83C167")  # the model, and what generation makes

# What each recurring thing looks like, so that a viewer learns it once (scenes/words.py and scenes/pictures.py
# build them from these):
PROMPT = MODEL  # a prompt quoted on screen ("a red butterfly on grass"), in curly quotes
GUESS = MODEL  # the frame and label of the model's guess of the finished picture
NOISY = NOISE  # the frame of a noisy state, and pure noise
SEED = MUTED  # "seed 7" under a picture
JUDGE_YES = MODEL  # the judge's verdict where the picture shows what was asked
JUDGE_NO = NOISE  # and where it does not
# The colour judge's other readings of two things in two colours: not the moment the narration points at (yellow),
# nor the picture (blue), so that each keeps its one meaning
JUDGE_ONE_COLOUR = ManimColor("#B48EE0")  # one colour on both things
JUDGE_OTHER = MUTED  # colours the prompt never named
JUDGE_MISSING = FAINT  # a thing missing, so no colour to read

# Computer Modern, from Debian's fonts-cmu: the serif of 3Blue1Brown's on-screen words.
FONT = "CMU Serif"
# Numbers that change while you watch (step counters) keep their width in a monospaced face.
NUMBER_FONT = "CMU Typewriter Text"

# Sizes for manim's Text(font_size=...); one scale for the whole film.
TITLE_SIZE = 52
HEADING_SIZE = 40
BODY_SIZE = 32
LABEL_SIZE = 26
SMALL_SIZE = 22
COUNTER_SIZE = LABEL_SIZE  # "step 12", "seed 3", "stop 4 of 9": above its picture, left-aligned
PROMPT_SIZE = LABEL_SIZE  # a prompt quoted as a caption
# A chapter's title, once the chapter has begun, sits small at the top.
TITLE_DOCKED_SCALE = 0.62
TITLE_DOCKED_BUFF = 0.3

# Stroke widths: axes and curves read as drawn lines at every render quality.
AXIS_STROKE = 2.0
CURVE_STROKE = 5.0
FRAME_STROKE = 2.0
ARROW_STROKE = 5.0  # arrows that carry one thing to another
MARK_STROKE = 3.0  # rings, brackets and underlines that point at something
GUIDE_STROKE = 2.0  # dashed guides and thresholds

# A diverging colour map for a vector's values (token strips): purple below zero, orange above,
# and zero dark like the background, so the values that matter stand out. Neither end is one
# of the colours above, because a value's sign says nothing about signal or noise.
VALUE_NEGATIVE = ManimColor("#A07CE0")
VALUE_ZERO = ManimColor("#1B1F2A")
VALUE_POSITIVE = ManimColor("#F09A3E")
