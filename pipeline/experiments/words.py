"""The `words` capture: a prompt grown one word at a time with the seed fixed, and the same words in other orders.

Chapter "One word at a time": the picture and the prompt's pooled vector as each word
arrives, and whether reordering the words changes the picture. Every prompt walks from the
same starting noise, so only the words differ; a few other seeds of the full prompt give the
yardstick (how much a different seed changes the picture).
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.experiments import common, measures

NAME = "words"
DESCRIPTION = "a prompt grown one word at a time, and its words reordered, seed fixed"
FILM_PROMPT = "words"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)
YARDSTICK_SEEDS = 3
ORDER_MATTERS = 0.5  # the order "matters" when a reordering changes the picture this share of a new seed's change

ARRAY_NAMES = (
    "growth_prompts", "growth_tokens", "growth_finals", "growth_pooled", "growth_change", "growth_similarity",
    "variant_prompts", "variant_finals", "variant_pooled", "variant_change", "variant_similarity",
    "variant_state_distance", "yardstick_seeds", "yardstick_finals",
)


def word_orders(prompt: str) -> list[str]:
    """The same words in other orders: the last two words first (a setting moved to the front),
    the second and last words swapped (for "a red butterfly on grass": "a grass butterfly on red"),
    and all words reversed. Orders equal to the prompt or to each other are left out."""
    words = prompt.split()
    orders = []
    if len(words) >= 3:
        orders.append(words[-2:] + words[:-2])
        swapped = list(words)
        swapped[1], swapped[-1] = swapped[-1], swapped[1]
        orders.append(swapped)
    if len(words) >= 2:
        orders.append(words[::-1])
    kept = []
    for order in orders:
        text = " ".join(order)
        if text != prompt and text not in kept:
            kept.append(text)
    return kept


def check_prompt(prompt: str | None) -> None:
    """For the command line: one word can be neither grown nor reordered."""
    if prompt is not None and len(prompt.split()) < 2:
        raise UsageError(f"words needs a prompt of two words or more, to grow and reorder; got {prompt!r}")


def make_spec(model, settings) -> dict:
    check_prompt(settings.prompt)
    words = settings.prompt.split()
    growth = [""] + [" ".join(words[:i]) for i in range(1, len(words) + 1)]
    return common.base_spec(NAME, model, seed=settings.seed, **common.walk_spec(settings),
                            growth=growth, variants=word_orders(settings.prompt),
                            yardstick_seeds=[settings.seed + i for i in range(1, YARDSTICK_SEEDS + 1)],
                            order_matters_share=ORDER_MATTERS, judge=common.judge_spec(model))


def compute(model, spec, bar, root=None):
    growth, variants, yardstick = spec["growth"], spec["variants"], spec["yardstick_seeds"]
    prompts = growth + variants + [spec["prompt"]] * len(yardstick)
    seeds = [spec["seed"]] * (len(growth) + len(variants)) + yardstick
    common.add_work(bar, len(prompts) * spec["steps"])
    walk = model.walk(steps=spec["steps"], guidance=spec["guidance"], seeds=seeds, prompts=prompts, eta=spec["eta"],
                      progress=bar)
    finals = common.final_pictures(walk)
    pooled = walk.prompt.pooled.numpy()
    states = walk.prompt.token_states.numpy()
    n, v = len(growth), len(variants)
    growth_finals, variant_finals, yardstick_finals = finals[:n], finals[n:n + v], finals[n + v:]
    full, full_pooled, full_states = growth_finals[-1], pooled[n - 1], states[n - 1]

    arrays = {
        "growth_prompts": common.strings(growth),
        "growth_tokens": common.token_grid(walk.prompt.tokens[:n]),
        "growth_finals": growth_finals,
        "growth_pooled": pooled[:n],
        "growth_change": np.concatenate([[0.0], measures.picture_distance(growth_finals[1:], growth_finals[:-1])])
                           .astype(np.float32),
        "growth_similarity": np.array([measures.cosine(p, full_pooled) for p in pooled[:n]], dtype=np.float32),
        "variant_prompts": common.strings(variants),
        "variant_finals": variant_finals,
        "variant_pooled": pooled[n:n + v],
        "variant_change": measures.picture_distance(variant_finals, full).astype(np.float32),
        "variant_similarity": np.array([measures.cosine(p, full_pooled) for p in pooled[n:n + v]], dtype=np.float32),
        "variant_state_distance": np.array([np.linalg.norm(s - full_states) / np.linalg.norm(full_states)
                                            for s in states[n:n + v]], dtype=np.float32),
        "yardstick_seeds": np.array(yardstick, dtype=np.int64),
        "yardstick_finals": yardstick_finals,
    }
    meanings = {
        "growth_prompts": "the prompt one word at a time, from the empty prompt to the whole, (n + 1,)",
        "growth_tokens": "each of those prompts' word pieces, padded with '', (n + 1, T)",
        "growth_finals": "the final picture of each, same seed, (n + 1, H, W, 3) uint8",
        "growth_pooled": "the pooled vector of each, (n + 1, width) float32",
        "growth_change": "how much the picture changed when each word arrived: RMS brightness distance from the "
                         "previous prompt's picture, (n + 1,) percent (0 for the empty prompt)",
        "growth_similarity": "cosine similarity of each pooled vector to the whole prompt's, (n + 1,)",
        "variant_prompts": "the same words in other orders, (V,)",
        "variant_finals": "their final pictures, same seed, (V, H, W, 3) uint8",
        "variant_pooled": "their pooled vectors, (V, width) float32",
        "variant_change": "RMS brightness distance of each variant's picture from the prompt's, (V,) percent",
        "variant_similarity": "cosine similarity of each variant's pooled vector to the prompt's, (V,)",
        "variant_state_distance": "distance of each variant's token states from the prompt's, relative to the "
                                  "length of the prompt's, (V,)",
        "yardstick_seeds": "other seeds of the whole prompt, (Y,)",
        "yardstick_finals": "their final pictures: what a different seed changes, (Y, H, W, 3) uint8",
    }
    reading = common.judge(spec["judge"], growth_finals)
    if reading is not None:
        for key in ("object", "colour", "background"):
            arrays[f"growth_judged_{key}"] = common.strings(reading[key])
            meanings[f"growth_judged_{key}"] = f"the independent judge's reading of each picture's {key}, (n + 1,)"
    return arrays, meanings, _facts(spec, arrays)


def _facts(spec, arrays) -> dict:
    fact, rounded = common.fact, common.rounded
    growth = list(arrays["growth_prompts"])
    change = arrays["growth_change"]
    biggest = int(np.argmax(change[1:])) + 1
    words = spec["prompt"].split()
    yardstick = measures.picture_distance(arrays["yardstick_finals"], arrays["growth_finals"][-1])
    facts = {
        "prompt": fact(spec["prompt"], "", "the whole prompt"),
        "seed": fact(spec["seed"], "seed", "the seed every prompt starts from"),
        "word_count": fact(len(words), "words", "words in the prompt"),
        "biggest_change_word": fact(words[biggest - 1], "", "the word whose arrival changed the picture most"),
        "biggest_change": fact(rounded(change[biggest]), "% brightness (RMS)",
                               "how much the picture changed when that word arrived"),
        "first_word_change": fact(rounded(change[1]), "% brightness (RMS)",
                                  "how much the first word changed the picture of the empty prompt"),
        "seed_change": fact(rounded(yardstick.mean()), "% brightness (RMS)",
                            "the yardstick: how much a different seed changes the whole prompt's picture"),
        "variant_count": fact(len(arrays["variant_prompts"]), "orders", "other orders of the same words"),
        "order_change_mean": fact(rounded(arrays["variant_change"].mean()), "% brightness (RMS)",
                                  "how much reordering the words changes the picture, on average"),
        "order_change_max": fact(rounded(arrays["variant_change"].max()), "% brightness (RMS)",
                                 "the most that one reordering changes the picture"),
        "order_change_max_prompt": fact(str(arrays["variant_prompts"][int(np.argmax(arrays["variant_change"]))]), "",
                                        "the reordering that changes the picture most"),
        "order_similarity_min": fact(rounded(100 * arrays["variant_similarity"].min()), "% cosine similarity",
                                     "the least similar pooled vector among the reorderings"),
        "order_state_distance_max": fact(rounded(100 * arrays["variant_state_distance"].max()), "% of the states' length",
                                         "the largest distance of a reordering's token states from the prompt's"),
    }
    facts["word_list"] = fact(list(words), "words", "the prompt's words, in order")
    facts["first_word"] = fact(words[0], "", "the prompt's first word")
    facts["last_word"] = fact(words[-1], "", "the prompt's last word")
    facts["last_word_change"] = fact(rounded(change[-1]), "% brightness (RMS)",
                                     "how much the last word changed the picture of the prompt before it")
    facts["biggest_change_position"] = fact(biggest, "word", "where in the prompt that word is (1 is the first)")
    facts["biggest_change_first"] = fact(bool(biggest == 1), "", "the first word changed the picture most")
    facts["biggest_change_last"] = fact(bool(biggest == len(words)), "", "the last word changed the picture most")
    facts["order_matters"] = fact(bool(arrays["variant_change"].size
                                       and arrays["variant_change"].max() >= spec["order_matters_share"]
                                       * yardstick.mean()), "",
                                  f"some reordering changes the picture by at least "
                                  f"{100 * spec['order_matters_share']:g}% of what "
                                  "a different seed changes")
    facts["judged"] = common.judged_fact(arrays, "growth_judged_object", "the picture of every growing prompt")
    for i, (prompt, change_i, similarity) in enumerate(zip(growth, change, arrays["growth_similarity"])):
        if i == 0:
            continue
        facts[f"word_{i}_change"] = fact(rounded(change_i), "% brightness (RMS)",
                                         f"how much the picture changed when word {i} ({words[i - 1]!r}) arrived")
        facts[f"word_{i}_similarity"] = fact(rounded(100 * similarity), "% cosine similarity",
                                             f"similarity of {prompt!r}'s pooled vector to the whole prompt's")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
