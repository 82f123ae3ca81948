"""The `jump` capture: why not jump straight to the picture? The first step's guess beside the mean of many seeds' final pictures, and walks of 1 to 50 steps with the sharpness of each result.

Chapter "Why not jump?" and chapter "Where does the prompt point?". From pure noise the
model's best guess is the average of every picture that fits the prompt; the average of
many finished pictures is that same blur, and a walk of one step ends there.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.experiments import common, measures

NAME = "jump"
DESCRIPTION = "the first guess beside the mean of many seeds' pictures; walks of 1 to 50 steps"
FILM_PROMPT = "object"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)  # as `seeds`, whose walks it reuses within one run
SEED_COUNT = 32
LADDER = (1, 2, 5, 10, 25, 50)
LADDER_SEEDS = 3  # sharpness of one picture is noisy; the mean over a few seeds is what is quoted
TOYWORLD_REFERENCE = 64  # real toy-world pictures whose sharpness is the yardstick
_TOYWORLD_SEEDS_FROM = 2_000_000_000  # apart from the seeds the model trained on

ARRAY_NAMES = (
    "seeds", "first_guesses", "finals", "mean_of_finals", "mean_of_finals_picture", "final_to_mean_distance",
    "ladder_steps", "ladder_finals", "ladder_sharpness", "ladder_sharpness_mean", "ladder_distance_to_longest",
)


def make_spec(model, settings) -> dict:
    return common.base_spec(
        NAME, model, **common.walk_spec(settings),
        seeds=list(range(settings.seed, settings.seed + SEED_COUNT)),
        ladder={"steps": list(LADDER), "seeds": list(range(settings.seed, settings.seed + LADDER_SEEDS))},
        sharpness={"measure": "mean brightness step between neighbouring pixels",
                   "toyworld_reference_seeds": [_TOYWORLD_SEEDS_FROM, TOYWORLD_REFERENCE] if model.is_embedded else None},
        judge=common.judge_spec(model),
    )


def compute(model, spec, bar, root=None):
    walk = common.seed_walks(model, spec["prompt"], spec["seeds"], spec["steps"], spec["guidance"], spec["eta"], bar)
    finals = common.final_pictures(walk)
    first_guesses = model.pictures(walk.predicted_clean[0])
    mean_of_finals = measures.brightness(finals).mean(axis=0)
    ladder_seeds = spec["ladder"]["seeds"]

    ladder = []
    for count in spec["ladder"]["steps"]:
        if count == spec["steps"]:
            ladder.append(finals[: len(ladder_seeds)])  # these walks were just run: the same seeds, steps and prompt
            continue
        common.add_work(bar, count * len(ladder_seeds))
        short = model.walk(steps=count, guidance=spec["guidance"], seeds=ladder_seeds,
                           prompts=[spec["prompt"]] * len(ladder_seeds), eta=spec["eta"], progress=bar)
        ladder.append(common.final_pictures(short))
    ladder = np.stack(ladder)
    ladder_sharpness = measures.sharpness(ladder)
    # sharpness alone praises a 2-step walk's broken, doubled shapes; how far each rung still is
    # from the longest walk's picture of the same seed says whether it has arrived
    ladder_distance = measures.picture_distance(ladder, ladder[-1][None])

    arrays = {
        "seeds": np.array(spec["seeds"], dtype=np.int64),
        "first_guesses": first_guesses,
        "finals": finals,
        "mean_of_finals": mean_of_finals.astype(np.float32),
        "mean_of_finals_picture": np.clip(np.rint(mean_of_finals * 255), 0, 255).astype(np.uint8),
        "final_to_mean_distance": measures.picture_distance(finals, mean_of_finals).astype(np.float32),
        "ladder_steps": np.array(spec["ladder"]["steps"], dtype=np.int64),
        "ladder_finals": ladder,
        "ladder_sharpness": ladder_sharpness.astype(np.float32),
        "ladder_sharpness_mean": ladder_sharpness.mean(axis=1).astype(np.float32),
        "ladder_distance_to_longest": ladder_distance.astype(np.float32),
    }
    meanings = {
        "seeds": "the seeds of the walks whose final pictures are averaged, (N,)",
        "first_guesses": "each seed's guess of the final picture after the first step, from pure noise, "
                         "(N, H, W, 3) uint8",
        "finals": "each seed's final picture, (N, H, W, 3) uint8",
        "mean_of_finals": "the pixel-by-pixel mean of the final pictures, (H, W, 3) float32 brightness in [0, 1]",
        "mean_of_finals_picture": "that mean as a picture, (H, W, 3) uint8",
        "final_to_mean_distance": "each final picture's RMS brightness distance from the mean, (N,) percent",
        "ladder_steps": "step counts of the short and long walks, (L,)",
        "ladder_finals": "the final picture of walks of each step count, same seeds, (L, R, H, W, 3) uint8",
        "ladder_sharpness": "sharpness of each ladder picture: mean brightness step between neighbouring pixels, "
                            "(L, R) percent",
        "ladder_sharpness_mean": "mean sharpness over the seeds for each step count, (L,) percent",
        "ladder_distance_to_longest": "RMS brightness distance of each ladder picture from the longest walk's "
                                      "picture of the same seed, (L, R) percent",
    }
    reading = common.judge(spec["judge"], ladder)
    named = common.named_object(spec["prompt"])
    if reading is not None and named is not None:
        arrays["ladder_presence"] = reading["presence"][..., common.object_index(named)]
        meanings["ladder_presence"] = (f"the independent judge's probability that each ladder picture shows a {named}, "
                                       "(L, R)")
        arrays["finals_presence"] = common.judge(spec["judge"], finals)["presence"][:, common.object_index(named)]
        meanings["finals_presence"] = f"the independent judge's probability that each seed's final picture shows a {named}, (N,)"
    return arrays, meanings, _facts(model, spec, arrays)


def _toyworld_sharpness(spec) -> float | None:
    reference = spec["sharpness"]["toyworld_reference_seeds"]
    if reference is None:
        return None
    from pipeline import toyworld

    start, count = reference
    pictures = np.stack([toyworld.render(toyworld.sample_scene(s)) for s in range(start, start + count)])
    return float(measures.sharpness(pictures).mean())


def _facts(model, spec, arrays) -> dict:
    fact, rounded = common.fact, common.rounded
    first = arrays["first_guesses"]
    finals = arrays["finals"]
    mean = arrays["mean_of_finals"]
    first_to_mean = float(measures.picture_distance(first[0], mean))
    final_to_mean = float(arrays["final_to_mean_distance"].mean())
    first_to_finals = measures.picture_distance(first[0], finals)
    sharp_finals = float(measures.sharpness(finals).mean())
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt of every walk"),
        "seed_count": fact(len(spec["seeds"]), "seeds", "final pictures averaged into the mean"),
        "steps": fact(spec["steps"], "steps", "steps of each walk whose final picture is averaged"),
        "guidance": fact(spec["guidance"], "x", "classifier-free guidance scale"),
        "first_guess_to_mean": fact(rounded(first_to_mean), "% brightness (RMS)",
                                    "distance between the first step's guess (first seed) and the mean of the finals"),
        "final_to_mean": fact(rounded(final_to_mean), "% brightness (RMS)",
                              "mean distance between one seed's final picture and the mean of the finals"),
        "first_guess_closeness": fact(rounded(final_to_mean / first_to_mean), "times",
                                      "how many times closer the first guess is to the mean than a final picture is"),
        "first_guess_to_nearest_final": fact(rounded(first_to_finals.min()), "% brightness (RMS)",
                                             "distance from the first guess to the final picture most like it"),
        "first_guess_spread": fact(rounded(measures.pairwise_mean_distance(first)), "% brightness (RMS)",
                                   "mean distance between the first guesses of two different seeds"),
        "final_spread": fact(rounded(measures.pairwise_mean_distance(finals)), "% brightness (RMS)",
                             "mean distance between the final pictures of two different seeds"),
        "first_guess_sharpness": fact(rounded(measures.sharpness(first[0])), "% brightness",
                                      "sharpness of the first guess: mean brightness step between neighbouring pixels"),
        "mean_sharpness": fact(rounded(measures.sharpness(mean)), "% brightness", "sharpness of the mean of the finals"),
        "finals_sharpness": fact(rounded(sharp_finals), "% brightness", "mean sharpness of the final pictures"),
        "ladder": fact([int(s) for s in arrays["ladder_steps"]], "steps", "the step counts compared"),
        "ladder_seed_count": fact(len(spec["ladder"]["seeds"]), "seeds", "seeds averaged at each step count"),
    }
    longest = int(arrays["ladder_steps"][-1])
    named = common.named_object(spec["prompt"])
    for rung, count in enumerate(int(c) for c in arrays["ladder_steps"]):
        name = f"{count}_{'step' if count == 1 else 'steps'}"
        facts[f"sharpness_{name}"] = fact(rounded(arrays["ladder_sharpness_mean"][rung]), "% brightness",
                                          f"mean sharpness of the pictures of a {count}-step walk")
        facts[f"distance_to_longest_{name}"] = fact(rounded(arrays["ladder_distance_to_longest"][rung].mean()),
                                                    "% brightness (RMS)", f"how far a {count}-step walk's picture is "
                                                    f"from the {longest}-step walk's, mean over the seeds")
        if "ladder_presence" in arrays:
            facts[f"judge_{name}"] = fact(rounded(100 * arrays["ladder_presence"][rung].mean()), "% probability",
                                          f"the judge's mean confidence that a {count}-step walk's picture shows "
                                          f"a {named}")
    facts["judged"] = common.judged_fact(arrays, "ladder_presence", "the pictures of the walks of few and many steps")
    facts.update(common.object_seen_facts(arrays, "finals_presence", spec, named, "finals_object_share", "% of seeds",
                                          "seeds' final pictures", "all_finals_judged_object"))
    toyworld = _toyworld_sharpness(spec)
    if toyworld is not None:
        facts["toyworld_sharpness"] = fact(rounded(toyworld), "% brightness",
                                           "mean sharpness of real toy-world pictures, the yardstick")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
