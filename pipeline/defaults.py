"""The film's sampling settings, in a module that imports nothing, so the experiment registry and the
command line's help read them without loading torch: steps of a walk and the classifier-free guidance scale."""

STEPS = 25
GUIDANCE = 2.0

# The film's prompts, by the key film.toml's [prompts] gives each: the prompt an experiment walks by default (each
# experiment names its key, FILM_PROMPT), and what that prompt is for. film.toml states the same prompts for the
# reader (tests/test_film.py checks that they agree).
PROMPTS = {
    "walk": ("a red butterfly on grass", "the walk step by step, guidance and the latent twin"),
    "object": ("a butterfly", "many seeds, the jump and the noise explored by hand"),
    "blend": ("a butterfly and a snail", "two things, 'A and B': the path between them"),
    "words": ("a red butterfly on grass", "the prompt grown one word at a time"),
    "binding": ("a red butterfly and a blue snail", "two things with a colour each"),
}


def prompt(key: str) -> str:
    """The default prompt of the film's prompt ``key``."""
    return PROMPTS[key][0]
