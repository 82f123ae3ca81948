"""The `guidance` capture: one prompt and seed at several guidance scales, and, for one scale, the guess with the prompt, the guess without it and the difference between them at every step.

Chapter "Guidance". Classifier-free guidance runs the model twice per step, with the prompt
and with the empty prompt, and steps along unconditional + scale x (conditional -
unconditional): scale 0 ignores the prompt, 1 follows it plainly, more exaggerates it.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.experiments import common, measures

NAME = "guidance"
DESCRIPTION = "one prompt and seed at guidance 0 to 12; the guesses with and without the prompt"
FILM_PROMPT = "walk"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)  # its guidance: the scale shown step by step
SCALES = (0.0, 1.0, 2.0, 4.0, 7.5, 12.0)

ARRAY_NAMES = (
    "scales", "finals", "predicted_clean_pictures", "sharpness", "colourfulness", "distance_from_unguided",
    "conditional_clean_pictures", "unconditional_clean_pictures", "guided_clean_pictures",
    "guidance_direction", "guidance_direction_pictures", "direction_size",
)


def make_spec(model, settings) -> dict:
    scales = sorted({*SCALES, settings.guidance})
    return common.base_spec(NAME, model, seed=settings.seed, **common.walk_spec(settings), scales=scales,
                            judge=common.judge_spec(model))


def compute(model, spec, bar, root=None):
    scales, steps = spec["scales"], spec["steps"]
    walks = {}
    for scale in scales:
        common.add_work(bar, steps)
        walks[scale] = model.walk(steps=steps, guidance=scale, seeds=[spec["seed"]], prompts=[spec["prompt"]],
                                  eta=spec["eta"], progress=bar)
    shown = walks[spec["guidance"]]
    if shown.unconditional_clean is None:
        raise UsageError(f"at guidance {spec['guidance']:g} the pipeline skips the unconditional half, so there is "
                         "nothing to compare: pick another --guidance for this experiment")
    finals = np.stack([common.final_pictures(walks[s])[0] for s in scales])
    conditional = model.pictures(shown.conditional_clean[:, 0])
    unconditional = model.pictures(shown.unconditional_clean[:, 0])
    direction = measures.brightness(conditional) - measures.brightness(unconditional)
    unguided = finals[scales.index(0.0)] if 0.0 in scales else finals[0]

    arrays = {
        "scales": np.array(scales, dtype=np.float32),
        "finals": finals,
        "predicted_clean_pictures": np.stack([model.pictures(walks[s].predicted_clean[:, 0]) for s in scales]),
        "sharpness": measures.sharpness(finals).astype(np.float32),
        "colourfulness": measures.colourfulness(finals).astype(np.float32),
        "distance_from_unguided": measures.picture_distance(finals, unguided).astype(np.float32),
        "conditional_clean_pictures": conditional,
        "unconditional_clean_pictures": unconditional,
        "guided_clean_pictures": model.pictures(shown.predicted_clean[:, 0]),
        "guidance_direction": common.as_float16(direction),
        "guidance_direction_pictures": np.clip(np.rint((0.5 + direction) * 255), 0, 255).astype(np.uint8),
        "direction_size": (100 * np.sqrt((direction**2).mean(axis=(1, 2, 3)))).astype(np.float32),
    }
    meanings = {
        "scales": "the guidance scales, (G,)",
        "finals": "the final picture at each scale, same seed, (G, H, W, 3) uint8",
        "predicted_clean_pictures": "the guess of the final picture at each step for each scale, (G, S, H, W, 3) uint8",
        "sharpness": "sharpness of each final picture: mean brightness step between neighbours, (G,) percent",
        "colourfulness": "mean saturation of each final picture (max minus min channel), (G,) percent",
        "distance_from_unguided": "RMS brightness distance of each final picture from the scale-0 picture, (G,) percent",
        "conditional_clean_pictures": "at the shown scale, the guess of the final picture from the model's output "
                                      "with the prompt, each step, (S, H, W, 3) uint8",
        "unconditional_clean_pictures": "... and from its output with the empty prompt, (S, H, W, 3) uint8",
        "guided_clean_pictures": "... and from the guided output the walk steps with, (S, H, W, 3) uint8",
        "guidance_direction": "conditional minus unconditional guess, in brightness (-1 to 1), (S, H, W, 3) float16: "
                              "what the prompt adds",
        "guidance_direction_pictures": "that difference drawn on mid-grey (0.5 + difference), (S, H, W, 3) uint8",
        "direction_size": "RMS of the difference at each step, (S,) percent of full brightness",
    }
    presence = common.judge(spec["judge"], finals)
    named = common.named_object(spec["prompt"])
    if presence is not None and named is not None:
        arrays["object_presence"] = presence["presence"][:, common.object_index(named)]
        meanings["object_presence"] = (f"the independent judge's probability that each final picture shows a "
                                       f"{named}, (G,)")
    # At the lowest scale (0), whether the walk stepped with the guess without the prompt: a pipeline that runs
    # both halves there follows unconditional + 0 x difference; one that skips guidance below some scale (diffusers'
    # Stable Diffusion does, up to 1) follows the prompt alone.
    ignores = bool(scales[0] == 0.0 and walks[scales[0]].unconditional_clean is not None)
    return arrays, meanings, _facts(spec, arrays, named, ignores)


def _facts(spec, arrays, named, ignores: bool) -> dict:
    fact, rounded = common.fact, common.rounded
    scales = [float(s) for s in arrays["scales"]]
    size = arrays["direction_size"]
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt"),
        "seed": fact(spec["seed"], "seed", "the seed, the same at every scale"),
        "steps": fact(spec["steps"], "steps", "steps of each walk"),
        "scales": fact(scales, "x", "the guidance scales compared"),
        "shown_scale": fact(spec["guidance"], "x", "the scale whose guesses with and without the prompt are shown"),
        "direction_size_first": fact(rounded(size[0]), "% brightness (RMS)",
                                     "how much the prompt changes the first guess (conditional minus unconditional)"),
        "direction_size_last": fact(rounded(size[-1]), "% brightness (RMS)",
                                    "how much the prompt changes the last step's guess"),
        "direction_largest_step": fact(int(np.argmax(size)) + 1, "step",
                                       "the step at which the prompt changes the guess most"),
    }
    for scale, sharp, colour, change in zip(scales, arrays["sharpness"], arrays["colourfulness"],
                                            arrays["distance_from_unguided"]):
        key = f"{scale:g}".replace(".", "_")
        facts[f"colourfulness_at_{key}"] = fact(rounded(colour), "% saturation",
                                                f"mean saturation of the picture at guidance {scale:g}")
        facts[f"sharpness_at_{key}"] = fact(rounded(sharp), "% brightness",
                                            f"sharpness of the picture at guidance {scale:g}")
        facts[f"change_from_unguided_at_{key}"] = fact(rounded(change), "% brightness (RMS)",
                                                       f"distance of the guidance-{scale:g} picture from the "
                                                       "guidance-0 picture")
    facts["direction_fades"] = fact(bool(size[-1] < 0.5 * size[0]), "", "the prompt changes the last step's guess "
                                    "less than half as much as the first's")
    facts["unguided_ignores_prompt"] = fact(ignores, "", "at guidance 0 the walk steps with the model's guess "
                                            "without the prompt (the pipeline runs both halves and adds 0 x their "
                                            "difference); false where the pipeline skips guidance there and follows "
                                            "the prompt alone")
    top = scales.index(max(scales))
    plain = scales.index(1.0) if 1.0 in scales else top
    colours = arrays["colourfulness"]
    facts["colours_grow_with_guidance"] = fact(bool(colours[top] > colours[plain]), "",
                                               "the picture at the top scale is more saturated than at guidance 1")
    facts["judged"] = common.judged_fact(arrays, "object_presence", "the picture of every guidance scale")
    brings = False
    if "object_presence" in arrays:
        facts["object"] = fact(named, "", "the toy-world object the prompt names, which the judge looks for")
        for scale, p in zip(scales, arrays["object_presence"]):
            key = f"{scale:g}".replace(".", "_")
            facts[f"judge_object_at_{key}"] = fact(rounded(100 * p), "% probability",
                                                   f"the judge's confidence that the guidance-{scale:g} picture "
                                                   f"shows the prompt's object ({named})")
        there = arrays["object_presence"] > spec["judge"]["present_above"]
        brings = bool(scales[0] == 0.0 and not there[0] and 1.0 in scales and there[plain])
    facts["guidance_brings_object"] = fact(brings, "", "the judge does not see the prompt's object with guidance "
                                           "off (scale 0) and sees it at guidance 1 (false where it read nothing)")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
