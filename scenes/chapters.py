"""The film's chapters in the order they play, as (module under scenes/, scene class): the Makefile and every export step loop over this list."""

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
