"""The film's chapters in the order they play, as (module under scenes/, scene class): the Makefile and every export step loop over this list."""

CHAPTERS: list[tuple[str, str]] = [
    ("ch04_noise", "NoiseForwardBackward"),
]
