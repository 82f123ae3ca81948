"""The `blend` capture: pictures along straight and spherical paths between the embeddings of two prompts, and where the prompt that names both lies against that path.

Chapter "Between two prompts". The model is conditioned on token states, so the
in-between points are token states mixed from the two prompts' (linear: (1 - t) A + t B;
spherical: along the arc between each token's two vectors, lengths interpolated). The
prompt "A and B" is encoded like any prompt; how far off the straight path it lies is
measured twice: with pooled vectors (the compass) and with the token states themselves
(what the model actually reads). The seed is the same for every picture.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.experiments import common, measures

NAME = "blend"
DESCRIPTION = "straight and spherical paths between two prompts' embeddings, and the prompt that names both"
FILM_PROMPT = "blend"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)  # split at " and " into the path's ends
POINTS = 9
ARC_LITTLE = 0.25  # the arc "changes little" when it moves the pictures less than this share of the ends' distance

ARRAY_NAMES = (
    "prompts", "fractions", "token_states", "pooled", "lerp_finals", "slerp_finals", "combined_final",
    "lerp_pooled", "lerp_state_norm", "slerp_state_norm",
)


def ends(prompt: str) -> tuple[str, str]:
    """"A and B" -> ("A", "B"); anything else is refused, since the path needs two ends."""
    a, sep, b = prompt.partition(" and ")
    if not sep or not a.strip() or not b.strip():
        raise UsageError(f"blend needs a prompt naming two things, 'A and B' (like {OPTIONS['prompt']!r}); got {prompt!r}")
    return a.strip(), b.strip()


def check_prompt(prompt: str | None) -> None:
    """For the command line: refuse a prompt blend cannot use before anything is computed."""
    if prompt is not None:
        ends(" ".join(prompt.split()))


def make_spec(model, settings) -> dict:
    a, b = ends(settings.prompt)
    return common.base_spec(NAME, model, seed=settings.seed, **common.walk_spec(settings),
                            ends=[a, b], fractions=np.linspace(0, 1, POINTS).round(6).tolist(),
                            paths=["lerp over token states", "slerp per token position over token states"],
                            arc_little_share=ARC_LITTLE, judge=common.judge_spec(model))


def compute(model, spec, bar, root=None):
    import torch

    a, b = spec["ends"]
    encoding = model.encode([a, b, spec["prompt"]])
    states = encoding.token_states.double().numpy()
    fractions = spec["fractions"]
    lerp = np.stack([measures.lerp(states[0], states[1], t) for t in fractions])
    slerp = np.stack([measures.slerp(states[0], states[1], t, axis=-1) for t in fractions])
    # both paths start and end at the prompts' own states: their end pictures are walked once
    assert np.allclose(slerp[[0, -1]], lerp[[0, -1]], atol=1e-6)
    conditioning = torch.from_numpy(np.concatenate([lerp, slerp[1:-1], states[2:3]]).astype(np.float32))
    count = len(conditioning)
    common.add_work(bar, count * spec["steps"])
    walk = model.walk(steps=spec["steps"], guidance=spec["guidance"], seeds=[spec["seed"]] * count,
                      prompt_embeds=conditioning, eta=spec["eta"], progress=bar)
    points = len(fractions)
    walked = common.final_pictures(walk)
    finals = np.concatenate([walked[:points], walked[:1], walked[points:-1], walked[points - 1:points],
                             walked[-1:]])
    pooled = encoding.pooled.numpy()

    arrays = {
        "prompts": common.strings([a, b, spec["prompt"]]),
        "fractions": np.array(fractions, dtype=np.float32),
        "token_states": encoding.token_states.numpy(),
        "pooled": pooled,
        "lerp_finals": finals[:points],
        "slerp_finals": finals[points:2 * points],
        "combined_final": finals[-1],
        "lerp_pooled": np.stack([measures.lerp(pooled[0], pooled[1], t) for t in fractions]).astype(np.float32),
        "lerp_state_norm": _mean_token_norm(lerp, encoding.attention_mask.numpy()),
        "slerp_state_norm": _mean_token_norm(slerp, encoding.attention_mask.numpy()),
    }
    meanings = {
        "prompts": "the two ends of the path and the prompt that names both: [A, B, 'A and B'], (3,)",
        "fractions": "how far along the path each point is: 0 = A, 1 = B, (P,)",
        "token_states": "token states of A, B and 'A and B', padding included, (3, positions, width) float32",
        "pooled": "pooled vectors of A, B and 'A and B', (3, width) float32",
        "lerp_finals": "pictures from token states on the straight path, same seed, (P, H, W, 3) uint8",
        "slerp_finals": "pictures from token states on the spherical path, same seed, (P, H, W, 3) uint8",
        "combined_final": "the picture of the prompt 'A and B', same seed, (H, W, 3) uint8",
        "lerp_pooled": "points on the straight path between the two pooled vectors, (P, width) float32",
        "lerp_state_norm": "mean length of the real tokens' state vectors at each point of the straight path, (P,)",
        "slerp_state_norm": "the same on the spherical path, (P,)",
    }
    reading = common.judge(spec["judge"], np.concatenate([finals[:2 * points], finals[-1:]]))
    objects = [common.named_object(a), common.named_object(b)]
    if reading is not None and None not in objects:
        columns = [common.object_index(o) for o in objects]
        presence = reading["presence"][:, columns]
        arrays["lerp_presence"] = presence[:points]
        arrays["slerp_presence"] = presence[points:2 * points]
        arrays["combined_presence"] = presence[-1]
        for key, where in (("lerp_presence", "straight-path"), ("slerp_presence", "spherical-path")):
            meanings[key] = (f"the independent judge's probability that each {where} picture shows "
                             f"[{objects[0]}, {objects[1]}], (P, 2)")
        meanings["combined_presence"] = f"... and that the 'A and B' picture shows [{objects[0]}, {objects[1]}], (2,)"
    return arrays, meanings, _facts(spec, arrays, encoding, objects)


def _mean_token_norm(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean vector length over the positions where either end has a real token."""
    real = (mask[0] | mask[1]).astype(bool)
    return np.linalg.norm(states[:, real], axis=-1).mean(axis=1).astype(np.float32)


def _facts(spec, arrays, encoding, objects) -> dict:
    fact, rounded = common.fact, common.rounded
    pooled = encoding.pooled.double().numpy()
    states = encoding.token_states.double().numpy()
    pooled_off, pooled_along = measures.off_path(pooled[0], pooled[1], pooled[2])
    states_off, states_along = measures.off_path(states[0], states[1], states[2])
    a, b = spec["ends"]
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt that names both ends"),
        "end_a": fact(a, "", "the path's start"),
        "end_b": fact(b, "", "the path's end"),
        "seed": fact(spec["seed"], "seed", "the seed of every picture"),
        "points": fact(len(spec["fractions"]), "points", "points on each path, ends included"),
        "pooled_off_path": fact(rounded(100 * pooled_off), "% of the path's length",
                                "how far the pooled vector of 'A and B' lies from the straight line through A and B"),
        "pooled_along_path": fact(rounded(100 * pooled_along), "% of the way from A to B",
                                  "where the pooled vector of 'A and B' projects onto that line"),
        "states_off_path": fact(rounded(100 * states_off), "% of the path's length",
                                "how far the token states of 'A and B' lie from the straight line through A's and B's"),
        "states_along_path": fact(rounded(100 * states_along), "% of the way from A to B",
                                  "where the token states of 'A and B' project onto that line"),
        "pooled_similarity_ends": fact(rounded(100 * measures.cosine(pooled[0], pooled[1])), "% cosine similarity",
                                       "similarity of the two ends' pooled vectors"),
        "pooled_similarity_to_a": fact(rounded(100 * measures.cosine(pooled[2], pooled[0])), "% cosine similarity",
                                       "similarity of 'A and B' to A"),
        "pooled_similarity_to_b": fact(rounded(100 * measures.cosine(pooled[2], pooled[1])), "% cosine similarity",
                                       "similarity of 'A and B' to B"),
        "lerp_midpoint_norm_loss": fact(rounded(100 * (1 - arrays["lerp_state_norm"].min()
                                                       / arrays["lerp_state_norm"][[0, -1]].mean())),
                                        "% of the token vectors' length",
                                        "how much shorter the token vectors get on the straight path at its "
                                        "shortest, against its ends (the spherical path keeps their length)"),
    }
    # The arc against the straight path, picture by picture, inside the ends (which both paths share)
    arc_change = measures.picture_distance(arrays["slerp_finals"][1:-1], arrays["lerp_finals"][1:-1])
    ends_apart = float(measures.picture_distance(arrays["lerp_finals"][0], arrays["lerp_finals"][-1]))
    arc_mean = float(arc_change.mean()) if arc_change.size else 0.0
    facts["arc_change"] = fact(rounded(arc_mean), "% brightness (RMS)",
                               "how far each spherical-path picture lies from the straight-path picture at the same "
                               "point, mean over the points between the ends")
    facts["ends_distance"] = fact(rounded(ends_apart), "% brightness (RMS)", "how far the two ends' pictures lie apart")
    little = spec["arc_little_share"]
    facts["arc_changes_little"] = fact(bool(arc_mean < little * ends_apart), "",
                                       f"the arc moves the pictures less than {100 * little:g}% of the way the "
                                       "two ends' pictures lie apart")
    facts["states_further_off"] = fact(bool(states_off > pooled_off), "",
                                       "the token states of 'A and B' lie further off their path than its pooled "
                                       "vector does off its own")
    for end, name in (("a", objects[0]), ("b", objects[1])):
        if name is not None:
            facts[f"object_{end}"] = fact(name, "", f"the toy-world object the path's {'start' if end == 'a' else 'end'} "
                                          "names")
    facts["judged"] = common.judged_fact(arrays, "lerp_presence", "the pictures along both paths and the 'A and B' picture")
    # What the judge sees at the straight path's middle and in the 'A and B' picture (all False unread)
    seen = {"snaps": False, "middle_shows_both": False, "middle_shows_neither": False, "combined_shows_both": False}
    if "lerp_presence" in arrays:
        fractions = arrays["fractions"]
        for key, where in (("lerp", "straight"), ("slerp", "spherical")):
            # the least recognisable point: where the judge is least sure of either thing
            sureness = arrays[f"{key}_presence"].max(axis=1)
            least = int(np.argmin(sureness))
            facts[f"{key}_least_recognisable_at"] = fact(rounded(100 * fractions[least]), "% of the way from A to B",
                                                         f"the {where} path's point whose picture the judge is least "
                                                         "sure shows either thing")
            facts[f"{key}_least_recognisable_sureness"] = fact(rounded(100 * sureness[least]), "% probability",
                                                               "how sure the judge is there that it shows either")
        middle = len(spec["fractions"]) // 2
        for key, where in (("lerp", "straight"), ("slerp", "spherical")):
            presence = arrays[f"{key}_presence"]
            for i, end in enumerate(("a", "b")):
                facts[f"{key}_midpoint_{end}"] = fact(rounded(100 * presence[middle, i]), "% probability",
                                                      f"the judge's confidence that the {where} path's middle "
                                                      f"picture shows the {end.upper()} end's object "
                                                      f"({objects[i]})")
        for i, end in enumerate(("a", "b")):
            facts[f"combined_{end}"] = fact(rounded(100 * arrays["combined_presence"][i]), "% probability",
                                            f"the judge's confidence that the 'A and B' picture shows the "
                                            f"{end.upper()} end's object ({objects[i]})")
        middle_presence = arrays["lerp_presence"][middle]
        likelier = int(np.argmax(middle_presence))
        facts["lerp_middle_likelier"] = fact(objects[likelier], "", "the object the judge is surer of in the "
                                             "straight path's middle picture")
        facts["lerp_middle_likelier_sureness"] = fact(rounded(100 * middle_presence[likelier]), "% probability",
                                                      "how sure it is of that one")
        facts["lerp_middle_other"] = fact(objects[1 - likelier], "", "the other end's object")
        facts["lerp_middle_other_sureness"] = fact(rounded(100 * middle_presence[1 - likelier]), "% probability",
                                                   "how sure it is of the other")
        there = middle_presence > spec["judge"]["present_above"]
        seen.update(snaps=bool(there.sum() == 1), middle_shows_both=bool(there.all()),
                    middle_shows_neither=bool(not there.any()),
                    combined_shows_both=bool((arrays["combined_presence"] > spec["judge"]["present_above"]).all()))
    meanings = {
        "snaps": "the judge sees exactly one of the two ends' objects in the straight path's middle picture: the "
                 "path snaps from one to the other rather than blending them",
        "middle_shows_both": "the judge sees both ends' objects in the straight path's middle picture",
        "middle_shows_neither": "the judge sees neither end's object in the straight path's middle picture",
        "combined_shows_both": "the judge sees both objects in the picture of the prompt 'A and B'",
    }
    for name, value in seen.items():
        facts[name] = fact(value, "", meanings[name] + " (false where the judge read no pictures)")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
