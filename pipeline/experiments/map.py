"""The `map` capture: two 2-D maps fitted once over the capture set, one for pictures and one for prompt vectors, stored with their bases so every scene places points in the same coordinates.

The picture map is a PCA over the pictures of the other captures: the walk's x_t and
guesses, every seed's guesses and final pictures, and the final pictures of the other
experiments (brightness 0 to 1, flattened). The prompt map is a PCA over pooled prompt
vectors: the captures' prompts and an atlas of many toy-world prompts, for the film's map
where similar prompts sit together. A scene places any picture p (uint8, H x W x 3) at
(p / 255 flattened - picture_mean) @ picture_basis.T, and any pooled vector v at
(v - prompt_mean) @ prompt_basis.T; the common paths are stored already placed.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import maps
from pipeline.contract import spec_hash
from pipeline.experiments import common

NAME = "map"
DESCRIPTION = "2-D maps of pictures and prompt vectors, fitted once over the capture set"
# Passed on to the captures it is fitted over; None: each one's own default (and the embedded model).
OPTIONS = {"seed": None, "prompt": None, "steps": None, "guidance": None, "model": None}
ATLAS_SETTINGS = {"day": "in the day", "night": "at night", "grass": "on grass", "sea": "at sea"}

ARRAY_NAMES = (
    "input_captures", "picture_mean", "picture_basis", "picture_variance_share",
    "prompt_mean", "prompt_basis", "prompt_variance_share",
    "walk_trajectory_xy", "walk_clean_xy", "seeds_final_xy", "seeds_clean_xy", "jump_mean_xy",
    "jump_first_guess_xy", "guidance_final_xy", "words_final_xy", "words_variant_xy", "blend_lerp_xy",
    "blend_slerp_xy", "blend_combined_xy", "explore_grid_xy", "explore_loop_xy",
    "walk_prompt_xy", "words_prompt_xy", "words_variant_prompt_xy", "blend_prompt_xy", "blend_path_xy",
    "atlas_prompts", "atlas_object", "atlas_colour", "atlas_setting", "atlas_xy",
)


def atlas() -> list[tuple[str, str, str, str]]:
    """Many toy-world prompts: (prompt, object, colour or '', setting or '') for every object alone,
    in every colour, and in every setting."""
    from pipeline.toyworld import COLOURS, OBJECTS

    entries = [(f"a {o}", o, "", "") for o in OBJECTS]
    entries += [(f"{'an' if c[0] in 'aeiou' else 'a'} {c} {o}", o, c, "") for o in OBJECTS for c in COLOURS]
    entries += [(f"a {o} {phrase}", o, "", s) for o in OBJECTS for s, phrase in ATLAS_SETTINGS.items()]
    return entries


def inputs() -> tuple[str, ...]:
    """The captures the maps are fitted over: every experiment before the map in the registry that runs the model."""
    from pipeline.experiments import registry

    return tuple(e.name for e in registry() if e.runs_model and e.name != NAME)


def _inputs():
    from pipeline.experiments import experiment

    return {name: experiment(name).module for name in inputs()}


def _input_specs(model, overrides: dict, inputs: dict | None = None) -> dict:
    """Each input's spec: the same overrides for all, or (a film's) each input's own, by name."""
    return {name: module.make_spec(model, common.settings(module, **(overrides if inputs is None else
                                                                      inputs.get(name, {}))))
            for name, module in _inputs().items()}


def check_prompt(prompt: str | None) -> None:
    from pipeline.experiments import blend, words

    blend.check_prompt(prompt)
    words.check_prompt(prompt)


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None,
            inputs=None):
    """The map over the captures that the same settings make (computed first where missing). ``inputs`` (a film's:
    ``{experiment: {option: value}}``) gives each input its own settings instead, the model among them."""
    from pipeline.experiments.models import open_model

    if inputs is not None:
        models = {str(chosen.get("model")) for chosen in inputs.values()}
        if len(models) > 1 or any(v is not None for v in (seed, prompt, steps, guidance, model)):
            raise ValueError("the map's inputs take one model and no shared settings beside their own")
        model = next((chosen["model"] for chosen in inputs.values() if "model" in chosen), None)
        inputs = {name: {k: v for k, v in chosen.items() if k != "model"} for name, chosen in inputs.items()}
    subject = open_model(model)
    overrides = {"seed": seed, "prompt": prompt, "steps": steps, "guidance": guidance}
    return common.capture_spec(sys.modules[__name__], subject, make_spec(subject, overrides, inputs), root,
                               force=force, progress=progress)


def make_spec(model, overrides: dict, inputs: dict | None = None) -> dict:
    specs = _input_specs(model, overrides, inputs)
    # each input's own settings are named only where some input has any: the plain map's spec stays as it was
    own = {"input_overrides": {name: chosen for name, chosen in inputs.items() if chosen}} \
        if inputs and any(inputs.values()) else {}
    return common.base_spec(NAME, model, overrides={k: v for k, v in overrides.items() if v is not None}, **own,
                            inputs=[[name, spec_hash(spec)] for name, spec in specs.items()],
                            atlas=[list(entry) for entry in atlas()],
                            fit={"pictures": "PCA over brightness 0-1, flattened", "prompts": "PCA over pooled vectors"})


def compute(model, spec, bar, root):
    modules = _inputs()
    specs = _input_specs(model, spec["overrides"], spec.get("input_overrides"))
    if [name for name, _ in spec["inputs"]] != list(modules):
        raise RuntimeError("the experiments the map is fitted over changed while the map was being made")
    captures = {}
    for name, expected in spec["inputs"]:
        if spec_hash(specs[name]) != expected:
            raise RuntimeError(f"the {name} spec changed while the map was being made")
        captures[name], _ = common.capture_spec(modules[name], model, specs[name], root, progress=not bar.disable)
    names = list(captures)
    a = {name: c.arrays for name, c in captures.items()}

    picture_sets = [a["walk"]["trajectory_pictures"], a["walk"]["predicted_clean_pictures"], a["seeds"]["finals"],
                    a["seeds"]["predicted_clean_pictures"], a["jump"]["first_guesses"],
                    a["jump"]["mean_of_finals_picture"][None], a["guidance"]["finals"], a["words"]["growth_finals"],
                    a["words"]["variant_finals"], a["blend"]["lerp_finals"], a["blend"]["slerp_finals"],
                    a["blend"]["combined_final"][None], a["explore"]["grid_finals"], a["explore"]["loop_finals"]]
    side = a["walk"]["final_picture"].shape
    pictures = np.concatenate([p.reshape(-1, *side) for p in picture_sets])
    picture_mean, picture_basis, picture_share = maps.fit_plane(maps.brightness(pictures))

    entries = [tuple(entry) for entry in spec["atlas"]]
    atlas_pooled = model.encode([e[0] for e in entries]).pooled.numpy()
    prompt_sets = [a["walk"]["pooled"][None], a["words"]["growth_pooled"], a["words"]["variant_pooled"],
                   a["blend"]["pooled"], atlas_pooled]
    prompt_mean, prompt_basis, prompt_share = maps.fit_plane(np.concatenate(prompt_sets))

    def place(pictures_or_vectors, prompt=False):
        if prompt:
            return maps.project(pictures_or_vectors, prompt_mean, prompt_basis).astype(np.float32)
        return maps.place_pictures(pictures_or_vectors, picture_mean, picture_basis).astype(np.float32)

    arrays = {
        "input_captures": common.strings([captures[n].path.name for n in names]),
        "picture_mean": picture_mean.astype(np.float32),
        "picture_basis": picture_basis.astype(np.float32),
        "picture_variance_share": picture_share.astype(np.float32),
        "prompt_mean": prompt_mean.astype(np.float32),
        "prompt_basis": prompt_basis.astype(np.float32),
        "prompt_variance_share": prompt_share.astype(np.float32),
        "walk_trajectory_xy": place(a["walk"]["trajectory_pictures"]),
        "walk_clean_xy": place(a["walk"]["predicted_clean_pictures"]),
        "seeds_final_xy": place(a["seeds"]["finals"]),
        "seeds_clean_xy": place(a["seeds"]["predicted_clean_pictures"]),
        "jump_mean_xy": place(a["jump"]["mean_of_finals_picture"]),
        "jump_first_guess_xy": place(a["jump"]["first_guesses"]),
        "guidance_final_xy": place(a["guidance"]["finals"]),
        "words_final_xy": place(a["words"]["growth_finals"]),
        "words_variant_xy": place(a["words"]["variant_finals"]),
        "blend_lerp_xy": place(a["blend"]["lerp_finals"]),
        "blend_slerp_xy": place(a["blend"]["slerp_finals"]),
        "blend_combined_xy": place(a["blend"]["combined_final"]),
        "explore_grid_xy": place(a["explore"]["grid_finals"]),
        "explore_loop_xy": place(a["explore"]["loop_finals"]),
        "walk_prompt_xy": place(a["walk"]["pooled"], prompt=True),
        "words_prompt_xy": place(a["words"]["growth_pooled"], prompt=True),
        "words_variant_prompt_xy": place(a["words"]["variant_pooled"], prompt=True),
        "blend_prompt_xy": place(a["blend"]["pooled"], prompt=True),
        "blend_path_xy": place(a["blend"]["lerp_pooled"], prompt=True),
        "atlas_prompts": common.strings([e[0] for e in entries]),
        "atlas_object": common.strings([e[1] for e in entries]),
        "atlas_colour": common.strings([e[2] for e in entries]),
        "atlas_setting": common.strings([e[3] for e in entries]),
        "atlas_xy": place(atlas_pooled, prompt=True),
    }
    meanings = {
        "input_captures": "the capture folders the maps were fitted over, in the order " + ", ".join(names),
        "picture_mean": "the picture map's centre: mean picture, brightness 0-1 flattened (H x W x 3,) float32",
        "picture_basis": "the picture map's two axes, orthonormal rows over the flattened picture, (2, H x W x 3)",
        "picture_variance_share": "share of the pictures' variance along each axis, (2,)",
        "prompt_mean": "the prompt map's centre: mean pooled vector, (width,) float32",
        "prompt_basis": "the prompt map's two axes, orthonormal rows, (2, width)",
        "prompt_variance_share": "share of the prompt vectors' variance along each axis, (2,)",
        "walk_trajectory_xy": "walk: x_t pictures placed on the picture map, (S + 1, 2)",
        "walk_clean_xy": "walk: each step's guess of the final picture placed on the picture map, (S, 2)",
        "seeds_final_xy": "seeds: each seed's final picture placed, (N, 2)",
        "seeds_clean_xy": "seeds: each seed's guess at each step placed, (S, N, 2)",
        "jump_mean_xy": "jump: the mean of the final pictures placed, (2,)",
        "jump_first_guess_xy": "jump: each seed's first guess placed, (N, 2)",
        "guidance_final_xy": "guidance: the picture at each scale placed, (G, 2)",
        "words_final_xy": "words: the picture of each grown prompt placed, (n + 1, 2)",
        "words_variant_xy": "words: the picture of each reordering placed, (V, 2)",
        "blend_lerp_xy": "blend: the straight path's pictures placed, (P, 2)",
        "blend_slerp_xy": "blend: the spherical path's pictures placed, (P, 2)",
        "blend_combined_xy": "blend: the 'A and B' picture placed, (2,)",
        "explore_grid_xy": "explore: the grid's pictures placed, (G, G, 2)",
        "explore_loop_xy": "explore: the loop's pictures placed, (F, 2)",
        "walk_prompt_xy": "walk: its prompt's pooled vector placed on the prompt map, (2,)",
        "words_prompt_xy": "words: each grown prompt placed on the prompt map, (n + 1, 2)",
        "words_variant_prompt_xy": "words: each reordering placed on the prompt map, (V, 2)",
        "blend_prompt_xy": "blend: A, B and 'A and B' placed on the prompt map, (3, 2)",
        "blend_path_xy": "blend: the straight path between A's and B's pooled vectors placed, (P, 2)",
        "atlas_prompts": "the atlas of toy-world prompts, (A,)",
        "atlas_object": "the object each atlas prompt names, (A,)",
        "atlas_colour": "the colour it names, or '', (A,)",
        "atlas_setting": "the setting it names (day, night, grass, sea), or '', (A,)",
        "atlas_xy": "each atlas prompt placed on the prompt map, (A, 2)",
    }
    return arrays, meanings, _facts(arrays, atlas_pooled, pictures.shape)


def _same_object_share(points: np.ndarray, objects: np.ndarray, cosine: bool) -> float:
    """Share of atlas prompts whose nearest other prompt names the same object."""
    x = np.asarray(points, dtype=np.float64)
    if cosine:
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        distance = -(x @ x.T)
    else:
        distance = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    return float(np.mean(objects[distance.argmin(axis=1)] == objects))


def _facts(arrays, atlas_pooled, fitted_shape) -> dict:
    fact, rounded = common.fact, common.rounded
    objects = arrays["atlas_object"]
    unit = atlas_pooled / np.linalg.norm(atlas_pooled, axis=1, keepdims=True)
    similarity = unit @ unit.T
    same = objects[:, None] == objects[None]
    off_diagonal = ~np.eye(len(objects), dtype=bool)
    return {
        "fitted_pictures": fact(int(fitted_shape[0]), "pictures", "pictures the picture map was fitted over"),
        "picture_numbers": fact(int(np.prod(fitted_shape[1:])), "numbers", "numbers in one picture"),
        "prompt_numbers": fact(int(arrays["prompt_mean"].size), "numbers", "numbers in one pooled prompt vector"),
        "picture_map_variance": fact(rounded(100 * arrays["picture_variance_share"].sum()), "% of the variance",
                                     "how much of the pictures' spread the picture map's two axes show"),
        "prompt_map_variance": fact(rounded(100 * arrays["prompt_variance_share"].sum()), "% of the variance",
                                    "how much of the prompt vectors' spread the prompt map's two axes show"),
        "atlas_count": fact(int(len(objects)), "prompts", "toy-world prompts on the prompt map"),
        "atlas_same_object_neighbour": fact(rounded(100 * _same_object_share(atlas_pooled, objects, True)),
                                            "% of prompts", "atlas prompts whose most similar other prompt (full "
                                                            "pooled vector) names the same object"),
        "atlas_same_object_neighbour_on_map": fact(rounded(100 * _same_object_share(arrays["atlas_xy"], objects, False)),
                                                   "% of prompts", "the same, measured on the 2-D map"),
        "atlas_similarity_same_object": fact(rounded(100 * similarity[same & off_diagonal].mean()),
                                             "% cosine similarity", "mean similarity of two atlas prompts naming the "
                                                                    "same object"),
        "atlas_similarity_other_object": fact(rounded(100 * similarity[~same].mean()), "% cosine similarity",
                                              "mean similarity of two atlas prompts naming different objects"),
    }
