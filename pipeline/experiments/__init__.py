"""The film's experiments: each a named spec with defaults, run through the recorder and written as a capture.

One module per experiment, in the order `capture --all` makes them (the map last: it is
fitted over the others). Each has ``capture(root, seed=None, force=False, progress=True,
model=None, prompt=None, steps=None, guidance=None) -> (Capture, cached)``.
"""

EXPERIMENTS = ("walk", "seeds", "jump", "guidance", "words", "blend", "explore", "map")
