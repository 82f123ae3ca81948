"""The film's experiments, in one registry: what `capture` knows, `capture --all` makes, `--help` and `list`
print, the map is fitted over and the tests walk through.

Each experiment is one module here that declares, once, at its top:

- ``NAME``: the capture's name (the module's own name);
- ``DESCRIPTION``: one line on what it records;
- ``OPTIONS``: what it takes from the command line (some of ``OPTION_NAMES``), each with its
  default; None means "the embedded model" for ``model`` and, for the map, "each input's own";
- ``ARRAY_NAMES``, ``make_spec``, ``compute`` and ``capture(root, force=False, progress=True,
  **options) -> (Capture, cached)`` (see ``common``).

A new experiment is a new module and its name in ``NAMES``. The modules import torch only inside
their functions, so reading the registry (``--help``, ``list``, refusing bad input) never loads it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from pipeline import defaults

# The experiments in the order `capture --all` makes them. The map is last: it is fitted over the others.
NAMES = ("forward", "walk", "seeds", "jump", "guidance", "words", "binding", "blend", "explore", "latent", "map")
# Everything an experiment may take from the command line (each is a `capture` flag of that name).
OPTION_NAMES = ("seed", "prompt", "steps", "guidance", "model")


@dataclass(frozen=True)
class Experiment:
    """One experiment as its module declares it."""

    name: str
    description: str
    options: Mapping[str, object]  # option -> its default
    module: ModuleType
    film_prompt: str | None = None  # the film file's prompt it walks ([prompts] key), if it walks one

    @property
    def runs_model(self) -> bool:
        """Whether it runs a text-to-image model (and so takes --model); forward runs a scheduler only."""
        return "model" in self.options


@cache
def registry() -> tuple[Experiment, ...]:
    """Every experiment, in capture order, read from its module (checked: a broken declaration fails here)."""
    experiments = []
    for name in NAMES:
        module = importlib.import_module(f"{__name__}.{name}")
        if module.NAME != name:
            raise RuntimeError(f"{module.__name__} declares NAME {module.NAME!r}; a capture is named after its module")
        options = dict(module.OPTIONS)
        unknown = sorted(set(options) - set(OPTION_NAMES))
        if unknown:
            raise RuntimeError(f"{module.__name__} declares options {unknown}; the command line has {OPTION_NAMES}")
        if not isinstance(module.DESCRIPTION, str) or not module.DESCRIPTION.strip() or "\n" in module.DESCRIPTION:
            raise RuntimeError(f"{module.__name__}: DESCRIPTION must be one line")
        film_prompt = getattr(module, "FILM_PROMPT", None)
        if film_prompt is not None and (film_prompt not in defaults.PROMPTS
                                        or options.get("prompt") != defaults.prompt(film_prompt)):
            raise RuntimeError(f"{module.__name__}: FILM_PROMPT must be a key of defaults.PROMPTS, and its "
                               f"default prompt that prompt's default")
        experiments.append(Experiment(name, module.DESCRIPTION, options, module, film_prompt))
    return tuple(experiments)


def experiment(name: str) -> Experiment:
    """The experiment of this name; KeyError for one the registry does not hold."""
    for entry in registry():
        if entry.name == name:
            return entry
    raise KeyError(name)
