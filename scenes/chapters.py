"""The film's chapters in the order they play, as (module under scenes/, scene class): the Makefile and every export step loop over this list; and what the exports say about each."""

# The schema of <Scene>.marks.json, which every narrated render writes beside its subtitles and
# the exports read (scenes/narration/scene.py writes it; publish/media.py reads it).
MARKS_SCHEMA = "latent-walk/marks/1"

CHAPTERS: list[tuple[str, str]] = [
    ("ch01_opening", "Opening"),
    ("ch02_compass", "Compass"),
    ("ch03_seeds", "StartingPoint"),
    ("ch04_noise", "NoiseForwardBackward"),
    ("ch05_walk", "TheWalk"),
    ("ch06_jump", "WhyNotJump"),
    ("ch07_prompt_space", "WherePromptPoints"),
    ("ch08_commit", "WhenSeedMatters"),
    ("ch09_guidance", "Guidance"),
    ("ch10_words", "OneWordAtATime"),
    ("ch11_blend", "ButterflyAndSnail"),
    ("ch12_explore", "ExploringByHand"),
    ("ch13_closing", "Closing"),
]


# The captures each chapter reads, its own first: the Makefile re-renders a chapter when one of
# these changes (and only then), and a chapter that reads a capture not named here stops with
# an error, so the list cannot fall behind the code.
CAPTURES_READ: dict[str, tuple[str, ...]] = {
    "ch01_opening": ("walk",),
    "ch02_compass": ("map", "walk"),
    "ch03_seeds": ("seeds",),
    "ch04_noise": ("forward",),
    "ch05_walk": ("walk", "map"),
    "ch06_jump": ("jump",),
    "ch07_prompt_space": ("map", "jump", "blend", "walk"),
    "ch08_commit": ("seeds",),
    "ch09_guidance": ("guidance",),
    "ch10_words": ("words", "map"),
    "ch11_blend": ("blend",),
    "ch12_explore": ("explore",),
    "ch13_closing": ("forward",),
}

# What the exports (clips, page, slides) say about each chapter and which frame stands for it:
# the poster is the last frame of the named narration block, once its animations have ended.
# Kept apart from the chapters themselves, so that editing a summary re-renders nothing.
ABOUT: dict[str, dict[str, str]] = {
    "ch01_opening": {"summary": "A prompt is typed, a picture comes out of noise, and the questions this film answers.",
                     "poster": "picture"},
    "ch02_compass": {"summary": "How a prompt becomes tokens, then vectors of real numbers, then one point on a map of prompts.",
                     "poster": "map"},
    "ch03_seeds": {"summary": "The seed makes the starting noise: one prompt, different seeds, different good pictures.",
                   "poster": "row"},
    "ch04_noise": {"summary": "A picture dissolves into noise step by step, and the model learns to run it backwards.",
                   "poster": "curves"},
    "ch05_walk": {"summary": "Each step of the walk: the noisy picture beside the model's guess of the finished one.",
                  "poster": "walk"},
    "ch06_jump": {"summary": "Why the model cannot jump: its first guess is the blurry average of every fitting picture.",
                  "poster": "ladder"},
    "ch07_prompt_space": {"summary": "A prompt marks out a region of pictures, and the middle of that region is no picture at all.",
                          "poster": "middle"},
    "ch08_commit": {"summary": "By which step the layout is fixed: one walk forked with fresh noise at later and later steps.",
                    "poster": "forks"},
    "ch09_guidance": {"summary": "Two guesses per step, with and without the prompt, and what turning guidance up does.",
                      "poster": "up"},
    "ch10_words": {"summary": "A prompt arrives word by word: the picture and the prompt's point on the map at each word.",
                   "poster": "growth"},
    "ch11_blend": {"summary": "Pictures along the straight path from butterfly to snail, and where the prompt naming both lies.",
                   "poster": "path"},
    "ch12_explore": {"summary": "A grid of starting noises and the pictures they lead to, then a walk in a loop.",
                     "poster": "grid"},
    "ch13_closing": {"summary": "What to remember: four lines, each tied to one part of the walk from noise to picture.",
                     "poster": "picture"},
}
