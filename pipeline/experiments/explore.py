"""The `explore` capture: starting noises on a grid spanned by three seeds' noises, and a closed loop through noise space, each walked to its picture.

Chapter "Exploring by hand". Starting noise must look like noise to the model: a straight
mix of two noises is too quiet in the middle (its length shrinks), so the grid moves along
the sphere instead. Grid point (u, v) starts at seed A's noise and turns, along the sphere,
u of the way towards seed B's noise and v of the way towards seed C's (the tangent
directions at A that point to B and C); its length is interpolated between theirs. So
(0, 0), (1, 0) and (0, 1) are exactly the three seeds' noises, and every edge from A is a
spherical interpolation. The loop is cos(angle) A + sin(angle) B for angles round a full
circle: for two independent Gaussian noises every point of it is itself exactly such a
noise, and the last frame leads back into the first, for a seamless looping clip.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.experiments import common, measures

NAME = "explore"
DESCRIPTION = "a grid of starting noises spanned by three seeds, and a loop through noise space"
# The prompt leaves colour, background and place free, so moving the noise changes them; the three
# seeds are the seed, seed + 1 and seed + 2.
FILM_PROMPT = "object"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)
GRID = 4  # 16 pictures and 12 loop frames keep `capture --all` within two minutes on two cores
LOOP_FRAMES = 12
NEIGHBOURS_ALIKE = 0.8  # neighbours are "alike" when their pictures lie closer than this share of any two's distance

ARRAY_NAMES = (
    "seeds", "grid_fractions", "grid_noise_pictures", "grid_finals", "loop_angles", "loop_noise_pictures",
    "loop_finals", "loop_change",
)


def make_spec(model, settings) -> dict:
    return common.base_spec(NAME, model, **common.walk_spec(settings),
                            seeds=[settings.seed, settings.seed + 1, settings.seed + 2],
                            grid={"size": GRID, "fractions": np.linspace(0, 1, GRID).round(6).tolist(),
                                  "path": "geodesic from seed A towards seeds B and C, lengths interpolated"},
                            loop={"frames": LOOP_FRAMES, "path": "cos(angle) A + sin(angle) B"},
                            neighbours_alike_share=NEIGHBOURS_ALIKE,
                            judge=common.judge_spec(model))


def grid_noise(a: np.ndarray, b: np.ndarray, c: np.ndarray, fractions) -> np.ndarray:
    """Noises on the sphere through a, b and c (see the module's doc): (G, G, *a.shape), float64."""
    shape = a.shape
    a, b, c = (np.ravel(x).astype(np.float64) for x in (a, b, c))
    lengths = [np.linalg.norm(x) for x in (a, b, c)]
    unit_a = a / lengths[0]

    def towards(x):
        """Unit tangent at a pointing to x, and the angle from a to x."""
        tangent = x - (x @ unit_a) * unit_a
        angle = np.arccos(np.clip(x @ unit_a / np.linalg.norm(x), -1.0, 1.0))
        return tangent / np.linalg.norm(tangent), angle

    to_b, angle_b = towards(b)
    to_c, angle_c = towards(c)
    grid = np.empty((len(fractions), len(fractions), a.size))
    for i, u in enumerate(fractions):
        for j, v in enumerate(fractions):
            step = u * angle_b * to_b + v * angle_c * to_c  # a move in the tangent plane at a
            turn = np.linalg.norm(step)
            direction = unit_a if turn == 0 else np.cos(turn) * unit_a + np.sin(turn) * step / turn
            length = lengths[0] + u * (lengths[1] - lengths[0]) + v * (lengths[2] - lengths[0])
            grid[i, j] = direction * length
    grid[0, 0], grid[-1, 0], grid[0, -1] = a, b, c  # exactly the seeds' own noises at the corners
    return grid.reshape(len(fractions), len(fractions), *shape)


def loop_noise(a: np.ndarray, b: np.ndarray, frames: int) -> tuple[np.ndarray, np.ndarray]:
    angles = 2 * np.pi * np.arange(frames) / frames
    loop = np.stack([np.cos(t) * a.astype(np.float64) + np.sin(t) * b.astype(np.float64) for t in angles])
    return angles, loop


def compute(model, spec, bar, root=None):
    import torch

    seeds = spec["seeds"]
    noise = model.start_noise(seeds).double().numpy()
    fractions = spec["grid"]["fractions"]
    grid = grid_noise(noise[0], noise[1], noise[2], fractions)
    angles, loop = loop_noise(noise[0], noise[1], spec["loop"]["frames"])
    size = len(fractions)
    starts = torch.from_numpy(np.concatenate([grid.reshape(size * size, *noise.shape[1:]), loop]).astype(np.float32))
    count = len(starts)
    common.add_work(bar, count * spec["steps"])
    walk = model.walk(steps=spec["steps"], guidance=spec["guidance"], prompts=[spec["prompt"]] * count,
                      latents=starts, eta=spec["eta"], progress=bar)
    finals = common.final_pictures(walk)
    noise_pictures = model.pictures(walk.trajectory[0])
    loop_finals = finals[size * size:]
    arrays = {
        "seeds": np.array(seeds, dtype=np.int64),
        "grid_fractions": np.array(fractions, dtype=np.float32),
        "grid_noise_pictures": noise_pictures[: size * size].reshape(size, size, *noise_pictures.shape[1:]),
        "grid_finals": finals[: size * size].reshape(size, size, *finals.shape[1:]),
        "loop_angles": np.degrees(angles).astype(np.float32),
        "loop_noise_pictures": noise_pictures[size * size:],
        "loop_finals": loop_finals,
        "loop_change": measures.picture_distance(np.roll(loop_finals, -1, axis=0), loop_finals).astype(np.float32),
    }
    meanings = {
        "seeds": "seeds A, B and C whose noises span the grid; the loop goes through A's and B's, (3,)",
        "grid_fractions": "grid coordinates u (rows) and v (columns), from 0 to 1, (G,)",
        "grid_noise_pictures": "each grid point's starting noise as a picture, [u, v], (G, G, H, W, 3) uint8; "
                               "[0, 0] is seed A's, [G-1, 0] seed B's, [0, G-1] seed C's",
        "grid_finals": "the picture each grid point's walk ends in, (G, G, H, W, 3) uint8",
        "loop_angles": "each loop frame's angle, (F,) degrees; 0 is seed A's noise, 90 seed B's",
        "loop_noise_pictures": "each loop frame's starting noise as a picture, (F, H, W, 3) uint8",
        "loop_finals": "the picture each loop frame's walk ends in, (F, H, W, 3) uint8; the last leads into the first",
        "loop_change": "RMS brightness distance from each loop frame's picture to the next one's (the last to the "
                       "first), (F,) percent",
    }
    reading = common.judge(spec["judge"], finals[: size * size])
    named = common.named_object(spec["prompt"])
    if reading is not None and named is not None:
        arrays["grid_presence"] = reading["presence"][:, common.object_index(named)].reshape(size, size)
        meanings["grid_presence"] = f"the independent judge's probability that each grid picture shows a {named}, (G, G)"
    return arrays, meanings, _facts(spec, noise, arrays, named)


def _facts(spec, noise, arrays, named) -> dict:
    fact, rounded = common.fact, common.rounded
    change = arrays["loop_change"]
    numbers = noise[0].size
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt of every walk"),
        "seeds": fact(spec["seeds"], "seeds", "the seeds whose noises span the grid"),
        "grid_size": fact(spec["grid"]["size"], "points per side", "the grid of starting noises"),
        "grid_pictures": fact(spec["grid"]["size"] ** 2, "pictures", "pictures in the grid"),
        "loop_frames": fact(spec["loop"]["frames"], "frames", "pictures round the loop"),
        "noise_numbers": fact(int(numbers), "numbers", "numbers in one starting noise"),
        "angle_a_b": fact(rounded(measures.angle_degrees(noise[0], noise[1])), "degrees",
                          "angle between seed A's and seed B's noise: random noises are nearly perpendicular"),
        "angle_a_c": fact(rounded(measures.angle_degrees(noise[0], noise[2])), "degrees",
                          "angle between seed A's and seed C's noise"),
        "noise_length_ratio": fact(rounded(np.linalg.norm(noise[0]) / np.sqrt(numbers), 3), "x",
                                   "seed A's noise length over the square root of its number count (about 1)"),
        "straight_midpoint_length": fact(rounded(100 * np.linalg.norm((noise[0] + noise[1]) / 2)
                                                 / np.linalg.norm(noise[0])), "% of a noise's length",
                                         "length of the straight midpoint of A's and B's noise: too quiet to be noise"),
        "loop_change_mean": fact(rounded(change.mean()), "% brightness (RMS)",
                                 "mean change between neighbouring loop frames"),
        "loop_seam_change": fact(rounded(change[-1]), "% brightness (RMS)",
                                 "change from the last loop frame back to the first"),
    }
    finals = arrays["grid_finals"]
    size = finals.shape[0]
    neighbours = np.concatenate([measures.picture_distance(finals[1:], finals[:-1]).ravel(),
                                 measures.picture_distance(finals[:, 1:], finals[:, :-1]).ravel()])
    pairs = measures.pairwise_mean_distance(finals.reshape(size * size, *finals.shape[2:]))
    facts["grid_neighbour_change"] = fact(rounded(neighbours.mean()), "% brightness (RMS)",
                                          "mean distance between the pictures of two neighbouring grid points")
    facts["grid_pair_change"] = fact(rounded(pairs), "% brightness (RMS)",
                                     "mean distance between the pictures of any two grid points")
    alike = spec["neighbours_alike_share"]
    facts["neighbours_alike"] = fact(bool(neighbours.mean() < alike * pairs), "",
                                     f"neighbouring grid points' pictures lie less than {100 * alike:g}% "
                                     "as far apart as any two of the grid's, on average")
    height, width = finals.shape[2:4]
    facts["noise_is_pixels"] = fact(bool(numbers == height * width * 3), "",
                                    "the starting noise has one number per colour of each pixel (a pixel model; a "
                                    "latent model's noise is decoded into its picture)")
    facts["judged"] = common.judged_fact(arrays, "grid_presence", "the grid's finished pictures")
    facts.update(common.object_seen_facts(arrays, "grid_presence", spec, named, "grid_object_share", "% of the grid",
                                          "grid pictures", "all_judged_object"))
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
