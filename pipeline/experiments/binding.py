"""The `binding` capture: which word belongs to which thing. Many prompts that name two objects with a colour each, their swapped-word twins, and the colour judge's verdict on every picture.

Chapter "Which colour goes where". Large models often put a prompt's colours on the wrong
things: GenEval's colour-attribution task (the right colour on the right one of two objects)
scores Stable Diffusion 1.5 at 0.06. This capture measures the same on the toy world.

The prompts. The given prompt names two objects with a colour each ("a red butterfly and a blue
snail"): its two objects and two colours, plus OTHER_PAIRS of objects and OTHER_COLOURS of
colour pairs, make the set. Each object pair with each colour pair gives four prompts: both
orders of the objects times both orders of the colours, so every prompt has its swapped-word
twin in the set ("a blue butterfly and a red snail"). Each prompt is walked from SEED_COUNT
seeds with the same starting noises.

The verdict on a picture (pipeline/colour_judge.py reads which object stands on each side and
its colour): "right" when both named objects are there, each in the colour its words gave it
(GenEval's colour attribution); "swapped" when each wears the other's colour; "one colour on
both"; "other colours"; or "objects wrong" when the two sides do not show the two named objects.
The binding score is the share of "right" pictures.

Guidance. The same prompts from the first CURVE_SEEDS seeds at the scales of CURVE_SCALES and at
the capture's own guidance: the score at each. At guidance 0 the prompt's pull is multiplied by zero, so
every prompt gives the empty prompt's picture: that walk is made once per seed and judged against each prompt.

When the colour settles. From the walks at the capture's guidance, the colour judge reads the
guess of the finished picture at every step; an object's colour is settled at the first step
from which that reading stays what it is in the final picture, to the end (among pictures whose
final verdict has both objects there).

Where the binding lives. The text encoder gives the image model one state per word piece (what
its cross-attention reads) and the film's "compass", the pooled vector, is their mean. For the
given prompt against its swapped twin, and against the prompt with one colour changed as a
yardstick, the distance between pooled vectors (1 - cosine) and between token states (the mean
over word pieces of 1 - cosine) says whether the compass alone could tell which colour goes where.
"""

from __future__ import annotations

import re
import sys

import numpy as np

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.experiments import common, measures

NAME = "binding"
DESCRIPTION = "two objects with a colour each, their swapped-word twins, and which colour lands on which object"
FILM_PROMPT = "binding"  # the film file's prompt it walks
OPTIONS = {"seed": 0, "prompt": defaults.prompt(FILM_PROMPT), "steps": defaults.STEPS, "guidance": defaults.GUIDANCE}
OTHER_PAIRS = (("fish", "boat"), ("house", "tree"), ("flower", "sun"))
OTHER_COLOURS = (("yellow", "purple"), ("green", "pink"))
SEED_COUNT = 4
CURVE_SEEDS = 1
CURVE_SCALES = (0.0, 1.0, 4.0, 7.5)
# the yardstick prompt changes the second colour to this one (or, if the prompt already uses it, the next)
YARDSTICK_COLOURS = ("green", "purple")
PROGRESS_UNIT = "picture-step"
# GenEval's colour-attribution scores as published (Ghosh, Hajishirzi and Schmidt, "GenEval: An Object-Focused
# Framework for Evaluating Text-to-Image Alignment", NeurIPS 2023 Datasets and Benchmarks, table 2, "Attribute
# binding"): quoted for context, never measured here, and another world than the toy one.
PUBLISHED_GENEVAL = (("sd15", "Stable Diffusion 1.5", 0.06), ("sd21", "Stable Diffusion 2.1", 0.17),
                     ("sdxl", "Stable Diffusion XL", 0.23))
GENEVAL_SOURCE = "GenEval (Ghosh et al., NeurIPS 2023), table 2, attribute binding"

ARRAY_NAMES = (
    "prompts", "asked_objects", "asked_colours", "twin_of", "seeds", "finals", "read_kinds", "read_colours",
    "verdicts", "curve_scales", "curve_scores", "curve_swapped", "settle_steps", "headline_clean_pictures",
    "headline_read_colours", "pooled_distance", "token_distance", "token_distance_per_piece", "comparison_prompts",
    "headline_tokens",
)

_PROMPT = re.compile(r"^(?:an?|the) (\w+) (\w+) (?:and|beside) (?:an?|the) (\w+) (\w+)$")


def parse(prompt: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The two objects and their colours of a prompt "a C1 O1 and a C2 O2"; anything else is refused in one line."""
    from pipeline.toyworld import COLOURS, OBJECTS

    match = _PROMPT.match(" ".join(prompt.lower().replace(",", " ").split()))
    usage = ('binding needs a prompt naming two different objects of the toy world with a different colour each, '
             f'like "a red butterfly and a blue snail" (objects: {", ".join(OBJECTS)}; colours: {", ".join(COLOURS)})')
    if not match:
        raise UsageError(f"{usage}; got {prompt!r}")
    c1, o1, c2, o2 = match.groups()
    if o1 not in OBJECTS or o2 not in OBJECTS or c1 not in COLOURS or c2 not in COLOURS or o1 == o2 or c1 == c2:
        raise UsageError(f"{usage}; got {prompt!r}")
    return (o1, o2), (c1, c2)


def check_prompt(prompt: str | None) -> None:
    """For the command line: refuse a prompt binding cannot use before anything is computed."""
    if prompt is not None:
        parse(prompt)


def phrase(colour: str, kind: str) -> str:
    return f"{'an' if colour[0] in 'aeiou' else 'a'} {colour} {kind}"


def prompt_set(objects: tuple[str, str], colours: tuple[str, str]) -> list[tuple[str, tuple[str, str], tuple[str, str]]]:
    """(prompt, (first object, second object), (first object's colour, second's)) for every object pair and colour
    pair, four prompts each: the given order, its swapped colours, and both with the objects the other way round."""
    pairs = [objects] + [p for p in OTHER_PAIRS if set(p) != set(objects)]
    colour_pairs = [colours] + [c for c in OTHER_COLOURS if set(c) != set(colours)]
    entries = []
    for o1, o2 in pairs:
        for c1, c2 in colour_pairs:
            for (a, b), (x, y) in (((o1, o2), (c1, c2)), ((o1, o2), (c2, c1)),
                                   ((o2, o1), (c2, c1)), ((o2, o1), (c1, c2))):
                entries.append((f"{phrase(x, a)} and {phrase(y, b)}", (a, b), (x, y)))
    return entries


def _twin(entries) -> list[int]:
    """For each prompt, the index of its swapped-word twin: the same objects in the same order, colours swapped."""
    where = {(e[1], e[2]): i for i, e in enumerate(entries)}
    return [where[(objects, colours[::-1])] for _, objects, colours in entries]


def make_spec(model, settings) -> dict:
    if not model.is_embedded:
        raise UsageError("binding reads its pictures with the toy world's colour judge, so it runs on the embedded "
                         "model only")
    objects, colours = parse(settings.prompt)
    from pipeline.colour_judge import DEFAULT_COLOUR_JUDGE_DIR
    from pipeline.experiments.models import folder_hashes

    weights = DEFAULT_COLOUR_JUDGE_DIR / "colour_judge.safetensors"
    if not weights.is_file():
        raise UsageError(f"no colour judge at {weights}: run `make colour-judge`")
    from pipeline.toyworld import COLOURS

    # the first of the preferred yardstick colours the prompt does not use, else any toy-world colour it does not
    yardstick_colour = next(c for c in (*YARDSTICK_COLOURS, *COLOURS) if c not in colours)
    headline = phrase(colours[0], objects[0]) + " and " + phrase(colours[1], objects[1])
    return common.base_spec(
        NAME, model, **common.walk_spec(settings), seeds=list(range(settings.seed, settings.seed + SEED_COUNT)),
        prompts=[[p, list(o), list(c)] for p, o, c in prompt_set(objects, colours)],
        curve={"seeds": CURVE_SEEDS, "scales": sorted({*CURVE_SCALES, settings.guidance})},
        comparison=[headline, phrase(colours[1], objects[0]) + " and " + phrase(colours[0], objects[1]),
                    phrase(colours[0], objects[0]) + " and " + phrase(yardstick_colour, objects[1])],
        colour_judge={"weights_sha256": folder_hashes(DEFAULT_COLOUR_JUDGE_DIR)[0]},
        published={"source": GENEVAL_SOURCE, "scores": [list(entry) for entry in PUBLISHED_GENEVAL]},
    )


def _colour_judge(spec):
    from pipeline.colour_judge import colour_judge_with

    return colour_judge_with(spec["colour_judge"]["weights_sha256"])


def _walk(model, prompts, seeds, steps, guidance, bar, keep_clean: bool):
    """Every prompt from every seed, in batches of whole prompt pairs (4 prompts each) of about 16 pictures (32 with
    guidance; smaller batches leave the processor idle, and larger ones are no faster): finals (P, N, H, W, 3) and,
    if asked, the guesses of the finished picture (S, P, N, H, W, 3). The batching changes no picture."""
    finals, clean = [], []
    per_walk = 4 * max(1, 16 // (4 * len(seeds)))
    for start in range(0, len(prompts), per_walk):
        batch = [p for p in prompts[start:start + per_walk] for _ in seeds]
        walk = model.walk(steps=steps, guidance=guidance, seeds=list(seeds) * (len(batch) // len(seeds)),
                          prompts=batch, eta=0.0, progress=bar)
        finals.append(common.final_pictures(walk).reshape(-1, len(seeds), *walk.final.shape[1:]))
        if keep_clean:
            pictures = model.pictures(walk.predicted_clean)
            clean.append(pictures.reshape(pictures.shape[0], -1, len(seeds), *pictures.shape[2:]))
    return np.concatenate(finals), (np.concatenate(clean, axis=1) if keep_clean else None)


def _unprompted(model, seeds, steps, bar):
    """The walks of guidance 0 from ``seeds``, (N, H, W, 3): the pipeline's guided prediction there is the
    unconditional one plus 0 x the prompt's difference, so it is the empty prompt's prediction unguided."""
    empty = model.pipe.encode_prompt([""])[1]
    walk = model.walk(steps=steps, guidance=1.0, seeds=list(seeds), eta=0.0, progress=bar,
                      prompt_embeds=empty.expand(len(seeds), -1, -1))
    return common.final_pictures(walk)


def _verdicts(judge, pictures, entries):
    """The colour judge's reading and each picture's verdict; pictures (P, N, H, W, 3), entries as prompt_set's."""
    from pipeline.colour_judge import binding_verdicts, object_colours, read_sides

    p, n = pictures.shape[:2]
    reading = read_sides(judge, pictures.reshape(p * n, *pictures.shape[2:]))
    kinds = reading["kind"].reshape(p, n, 2)
    colours = reading["colour"].reshape(p, n, 2)
    read_on_objects = np.stack([object_colours({"kind": kinds[i], "colour": colours[i]}, tuple(entries[i][1]))
                                for i in range(p)])  # (P, N, 2) colour index on each named object, -1 if not there
    verdicts = np.stack([binding_verdicts(read_on_objects[i], tuple(entries[i][2])) for i in range(p)])
    return kinds, colours, read_on_objects, verdicts


def compute(model, spec, bar, root=None):
    from pipeline.colour_judge import COLOUR_NAMES
    from pipeline.toyworld import OBJECTS

    judge = _colour_judge(spec)
    entries = [(p, tuple(o), tuple(c)) for p, o, c in spec["prompts"]]
    prompts = [e[0] for e in entries]
    seeds = spec["seeds"]
    curve_seeds = seeds[:spec["curve"]["seeds"]]
    scales = spec["curve"]["scales"]
    # all the work told to the bar before any is done, so its time left is the whole capture's
    walked_alone = [scale for scale in scales if scale == 0.0 != spec["guidance"]]  # one walk per seed (_unprompted)
    walked = [scale for scale in scales if scale not in (spec["guidance"], 0.0)]
    common.add_work(bar, spec["steps"] * (len(prompts) * (len(seeds) + len(curve_seeds) * len(walked))
                                          + len(curve_seeds) * len(walked_alone)))
    finals, clean = _walk(model, prompts, seeds, spec["steps"], spec["guidance"], bar, keep_clean=True)
    kinds, colours, on_objects, verdicts = _verdicts(judge, finals, entries)

    # the score at each guidance scale, from the first seeds (the capture's own scale read from the walks above)
    scores, swapped = [], []
    for scale in scales:
        if scale == spec["guidance"]:
            v = verdicts[:, :len(curve_seeds)]
        elif scale == 0.0:
            # guidance 0 multiplies the prompt's pull by zero: each prompt's walk from a seed is the empty prompt's
            # own walk from it (the same numbers), walked once and judged against every prompt
            f = _unprompted(model, curve_seeds, spec["steps"], bar)
            v = _verdicts(judge, np.broadcast_to(f, (len(prompts), *f.shape)), entries)[3]
        else:
            f, _ = _walk(model, prompts, curve_seeds, spec["steps"], scale, bar, keep_clean=False)
            v = _verdicts(judge, f, entries)[3]
        scores.append(100 * np.mean(v == "right"))
        swapped.append(100 * np.mean(v == "swapped"))

    # when each named object's colour settles in the guess of the finished picture
    steps = clean.shape[0]
    per_step = np.stack([_verdicts(judge, clean[s], entries)[2] for s in range(steps)])  # (S, P, N, 2)
    same = per_step == on_objects[None]
    holds_to_end = np.flip(np.logical_and.accumulate(np.flip(same, axis=0), axis=0), axis=0)
    settle = np.where(holds_to_end.any(axis=0), holds_to_end.argmax(axis=0) + 1, steps + 1)
    settle[on_objects < 0] = -1

    encoding = model.encode(spec["comparison"])
    pooled = encoding.pooled.double().numpy()
    states = encoding.token_states.double().numpy()
    mask = encoding.attention_mask.numpy().astype(bool)
    pooled_distance = np.array([1 - measures.cosine(pooled[0], pooled[i]) for i in (1, 2)])
    per_piece = []
    for i in (1, 2):
        real = mask[0] & mask[i]
        a, b = states[0][real], states[i][real]
        per_piece.append(1 - (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))
    pieces = min(len(p) for p in per_piece)
    per_piece = np.stack([p[:pieces] for p in per_piece])
    headline = 0
    arrays = {
        "prompts": common.strings(prompts),
        "asked_objects": common.strings([o for e in entries for o in e[1]]).reshape(len(entries), 2),
        "asked_colours": common.strings([c for e in entries for c in e[2]]).reshape(len(entries), 2),
        "twin_of": np.array(_twin(entries), dtype=np.int64),
        "seeds": np.array(seeds, dtype=np.int64),
        "finals": finals,
        "read_kinds": common.strings(np.array(OBJECTS)[kinds.reshape(-1)]).reshape(kinds.shape),
        "read_colours": common.strings(np.array(COLOUR_NAMES)[colours.reshape(-1)]).reshape(colours.shape),
        "verdicts": common.strings(verdicts.reshape(-1)).reshape(verdicts.shape),
        "curve_scales": np.array(scales, dtype=np.float32),
        "curve_scores": np.array(scores, dtype=np.float32),
        "curve_swapped": np.array(swapped, dtype=np.float32),
        "settle_steps": settle.astype(np.int64),
        "headline_clean_pictures": clean[:, headline],
        "headline_read_colours": common.strings(  # index -1 (not both objects there) reads as ''
            np.array(COLOUR_NAMES + ("",))[per_step[:, headline].reshape(-1)]).reshape(per_step[:, headline].shape),
        "pooled_distance": pooled_distance.astype(np.float32),
        "token_distance": per_piece.mean(1).astype(np.float32),
        "token_distance_per_piece": per_piece.astype(np.float32),
        "comparison_prompts": common.strings(spec["comparison"]),
        "headline_tokens": common.strings(encoding.tokens[0][:pieces]),
    }
    meanings = {
        "prompts": "the prompts, (P,): each names two objects with a colour each",
        "asked_objects": "the two objects each prompt names, in its order, (P, 2)",
        "asked_colours": "the colour each prompt gives each of them, (P, 2)",
        "twin_of": "for each prompt, the index of its swapped-word twin (same objects, colours swapped), (P,)",
        "seeds": "the seeds, the same for every prompt, (N,)",
        "finals": "each prompt's final picture from each seed, (P, N, H, W, 3) uint8",
        "read_kinds": "the object the colour judge reads on the left and on the right side of each final, (P, N, 2)",
        "read_colours": "the colour it reads on each side, (P, N, 2)",
        "verdicts": "each final against its prompt: right, swapped, one colour on both, other colours or objects "
                    "wrong, (P, N)",
        "curve_scales": "guidance scales, (G,)",
        "curve_scores": "the binding score at each scale (share of right pictures) from the first seeds, (G,) percent",
        "curve_swapped": "the share of swapped pictures at each scale, (G,) percent",
        "settle_steps": "per prompt, seed and named object, the step (1-based) from which the colour read on it in "
                        "the guess of the finished picture stays its final colour; -1 where the final picture lacks "
                        "the two objects, (P, N, 2)",
        "headline_clean_pictures": "the first prompt's guess of the finished picture at each step from each seed, "
                                   "(S, N, H, W, 3) uint8",
        "headline_read_colours": "the colour read on each named object of those guesses ('' where the guess does not "
                                 "show both), (S, N, 2)",
        "pooled_distance": "1 - cosine between the first prompt's pooled vector and those of its swapped twin and of "
                           "the yardstick prompt (one colour changed), (2,)",
        "token_distance": "the same for the token states: the mean over word pieces of 1 - cosine, (2,)",
        "token_distance_per_piece": "... per word piece, (2, T)",
        "comparison_prompts": "the first prompt, its swapped twin and the yardstick prompt, (3,)",
        "headline_tokens": "the first prompt's word pieces, with the start and end markers, (T,)",
    }
    return arrays, meanings, _facts(spec, arrays)


def _facts(spec, arrays) -> dict:
    fact, rounded = common.fact, common.rounded
    verdicts = arrays["verdicts"]
    twin = int(arrays["twin_of"][0])
    first, swapped_prompt, yardstick = (str(p) for p in arrays["comparison_prompts"])
    objects = [str(o) for o in arrays["asked_objects"][0]]
    colours = [str(c) for c in arrays["asked_colours"][0]]
    settle = arrays["settle_steps"]
    settled = settle[settle > 0]
    steps = spec["steps"]

    def share(kind, v=verdicts):
        return rounded(100 * np.mean(v == kind))

    pooled_swap, pooled_yard = (float(x) for x in arrays["pooled_distance"])
    token_swap, token_yard = (float(x) for x in arrays["token_distance"])
    facts = {
        "prompt": fact(first, "", "the first prompt: two objects with a colour each"),
        "swapped_prompt": fact(swapped_prompt, "", "its swapped-word twin: the same objects, the colours swapped"),
        "yardstick_prompt": fact(yardstick, "", "the first prompt with its second colour changed, for scale"),
        "object_a": fact(objects[0], "", "the first object the prompt names"),
        "object_b": fact(objects[1], "", "the second object the prompt names"),
        "colour_a": fact(colours[0], "", "the colour the prompt gives the first object"),
        "colour_b": fact(colours[1], "", "the colour the prompt gives the second object"),
        "prompt_count": fact(len(arrays["prompts"]), "prompts", "prompts measured, both object orders and both "
                             "colour orders of each object pair and colour pair"),
        "seed_count": fact(len(arrays["seeds"]), "seeds", "seeds per prompt"),
        "picture_count": fact(int(verdicts.size), "pictures", "pictures judged at the capture's guidance"),
        "guidance": fact(spec["guidance"], "x", "the guidance scale of the measured pictures"),
        "steps": fact(steps, "steps", "steps of each walk"),
        "curve_seed_count": fact(spec["curve"]["seeds"], "seeds", "seeds per prompt at each guidance scale"),
        "binding_score": fact(share("right"), "% of pictures", "GenEval-style colour attribution: both named "
                              "objects there, each in the colour its words gave it"),
        "swapped_share": fact(share("swapped"), "% of pictures", "both objects there, each in the other's colour"),
        "one_colour_share": fact(share("one colour on both"), "% of pictures", "both objects there, in one of the two "
                                 "colours"),
        "other_colours_share": fact(share("other colours"), "% of pictures", "both objects there, in colours other "
                                    "than the ones above"),
        "objects_wrong_share": fact(share("objects wrong"), "% of pictures", "the two named objects not both there"),
        "prompt_right": fact(int(np.sum(verdicts[0] == "right")), "pictures", "of the first prompt's pictures, those "
                             "with the colours on the right objects"),
        "swapped_prompt_right": fact(int(np.sum(verdicts[twin] == "right")), "pictures", "of its swapped twin's "
                                     "pictures, those with the colours on the right objects"),
        "swapped_prompt_differs": fact(rounded(measures.picture_distance(arrays["finals"][0], arrays["finals"][twin])
                                               .mean()), "% brightness (RMS)", "how far the swapped twin's pictures "
                                       "are from the first prompt's, seed by seed"),
        "settle_step_median": fact(int(np.ceil(np.median(settled))) if settled.size else steps + 1, "step",
                                   "median step from which an object's colour in the guess of the finished picture "
                                   "stays its final colour"),
        "settle_share_median": fact(rounded(100 * (np.median(settled) if settled.size else steps + 1) / steps),
                                    "% of the walk", "that step as a share of the walk"),
        "settled_by_quarter": fact(rounded(100 * np.mean(settled <= max(1, steps // 4))) if settled.size else 0.0,
                                   "% of objects", "objects whose colour is settled within the first quarter of "
                                   "the walk"),
        "pooled_swap_distance": fact(round(pooled_swap, 5), "1 - cosine", "distance between the pooled vectors of "
                                     "the prompt and of its swapped twin"),
        "pooled_yardstick_distance": fact(round(pooled_yard, 5), "1 - cosine", "distance between the pooled vectors "
                                          "of the prompt and of the prompt with one colour changed"),
        "token_swap_distance": fact(round(token_swap, 4), "1 - cosine, mean over word pieces", "distance between "
                                    "the token states of the prompt and of its swapped twin"),
        "token_yardstick_distance": fact(round(token_yard, 4), "1 - cosine, mean over word pieces", "distance "
                                         "between the token states of the prompt and of the one-colour-changed "
                                         "prompt"),
        "token_swap_times_pooled": fact(rounded(token_swap / max(pooled_swap, 1e-9)), "x", "how many times farther "
                                        "apart the swapped twin's token states are than its pooled vector"),
        "pooled_swap_share_of_yardstick": fact(rounded(100 * pooled_swap / max(pooled_yard, 1e-12)), "%",
                                               "the swap's pooled distance as a share of changing one colour's"),
        "token_swap_share_of_yardstick": fact(rounded(100 * token_swap / max(token_yard, 1e-12)), "%",
                                              "the swap's token-state distance as a share of changing one colour's"),
    }
    for scale, score, swap in zip(arrays["curve_scales"], arrays["curve_scores"], arrays["curve_swapped"]):
        key = f"{float(scale):g}".replace(".", "_")
        facts[f"score_at_{key}"] = fact(rounded(score), "% of pictures", f"the binding score at guidance {scale:g} "
                                        f"(first {spec['curve']['seeds']} seeds)")
        facts[f"swapped_at_{key}"] = fact(rounded(swap), "% of pictures", f"the swapped share at guidance {scale:g}")
    curve = arrays["curve_scores"]
    guided = arrays["curve_scales"] > 0
    guided_scores = curve[guided] if guided.any() else curve
    guided_swaps = arrays["curve_swapped"][guided] if guided.any() else arrays["curve_swapped"]
    facts["guided_low_score"] = fact(rounded(guided_scores.min()), "% of pictures", "the lowest binding score at a "
                                     "guidance scale above 0")
    facts["swapped_low"] = fact(rounded(guided_swaps.min()), "% of pictures", "the lowest swapped share at a guidance "
                                "scale above 0")
    facts["swapped_high"] = fact(rounded(guided_swaps.max()), "% of pictures", "the highest swapped share at a "
                                 "guidance scale above 0")
    # For one seed, a prompt and its swapped twin: the same colour on each thing in both pictures means the word
    # order changed nothing (one reads right, the other swapped); both right means the words were followed.
    pairs = [(i, j) for i, j in enumerate(arrays["twin_of"].tolist()) if i < j]
    both_read = [(verdicts[i, n], verdicts[j, n]) for i, j in pairs for n in range(verdicts.shape[1])
                 if {verdicts[i, n], verdicts[j, n]} <= {"right", "swapped"}]
    ignored = [a != b for a, b in both_read]
    facts["twin_pair_count"] = fact(len(both_read), "pairs", "prompt-and-twin pairs, seed by seed, where both "
                                    "pictures show both things in the two asked colours")
    facts["swap_ignored_share"] = fact(rounded(100 * np.mean(ignored)) if ignored else 0.0, "% of pairs",
                                       "of those, the pairs whose two pictures put the same colour on each thing: "
                                       "swapping the colour words changed nothing")
    facts["swap_obeyed_share"] = fact(rounded(100 * (1 - np.mean(ignored))) if ignored else 0.0, "% of pairs",
                                      "... and those where both pictures follow their own words")
    best = int(np.argmax(curve))
    facts["best_scale"] = fact(float(arrays["curve_scales"][best]), "x", "the guidance scale with the best score")
    facts["best_score"] = fact(rounded(curve[best]), "% of pictures", "the binding score there")
    facts["unguided_scale"] = fact(float(arrays["curve_scales"][0]), "x", "the lowest guidance scale measured")
    facts["unguided_score"] = fact(rounded(curve[0]), "% of pictures", f"the binding score at guidance "
                                   f"{float(arrays['curve_scales'][0]):g}")
    source = spec["published"]["source"]
    for key, name, score in spec["published"]["scores"]:
        facts[f"geneval_{key}_name"] = fact(name, "", f"a model whose colour attribution {source} reports")
        facts[f"geneval_{key}"] = fact(rounded(100 * score), "% of pictures (published)",
                                       f"{name}'s colour-attribution score as published in {source}: another model "
                                       "in another world, not measured here")
    # yes-or-no facts that choose the narration's sentences
    facts["mostly_right"] = fact(bool(facts["binding_score"].value >= 50), "", "at least half the pictures have the "
                                 "colours on the right objects")
    facts["swaps_rarer_than_right"] = fact(bool(facts["swapped_share"].value < facts["binding_score"].value), "",
                                           "swapped pictures are rarer than right ones")
    facts["compass_blind"] = fact(bool(pooled_swap < 0.25 * pooled_yard), "", "the swap moves the pooled vector "
                                  "less than a quarter as far as changing one colour does")
    facts["colours_settle"] = fact(bool(settled.size and np.median(settled) <= steps), "", "the colours read on the "
                                   "named things settle before the walk ends, in pictures that show both things")
    facts["guidance_helps"] = fact(bool(facts["best_score"].value > facts["guided_low_score"].value + 10), "",
                                   "among guidance scales above 0, the best scores over 10 points above the worst")
    facts["swaps_common"] = fact(bool(facts["swapped_share"].value >= 0.5 * facts["binding_score"].value), "",
                                 "swapped pictures are at least half as common as right ones: which colour goes "
                                 "where is close to a coin toss")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
