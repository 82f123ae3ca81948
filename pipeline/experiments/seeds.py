"""The `seeds` capture: one prompt walked from many seeds, the step by which each walk's layout is fixed, and one walk forked with fresh noise at several steps.

Chapter "The starting point" shows the seeds' pictures; chapter "When the seed matters"
shows the commit step and the forks.

Layout and commit step. A picture's layout is its 8 x 8 grid of mean colours (where things
are, what colour they are; not their detail). At each step, the layout distance of a seed is
how far the layout of its guess (x0-hat) still is from the layout of its own final picture,
as a share of how far the other seeds' final layouts lie from it (the mean RMS distance to
them): 1 means "no closer to its own ending than to another seed's", 0 means "there". A
walk's commit step is the first step from which its layout distance stays below 20%
(COMMIT_BELOW) to the end: four fifths of what tells this seed's picture from another's is
decided. The film quotes the median commit step over the seeds.

Forks. One walk of the same prompt, with a stochastic sampler (DDIM with eta = 1, which adds
fresh noise at every step), is repeated with the same starting noise and the same step
noise up to a fork step, then with fresh step noise from there on (the generator of each
branch is reseeded in the pipeline's own step-end callback). How much the ending still
changes after a fork at step k is the mean RMS distance of the branches' final pictures from
the unforked walk's final picture, also given as a share of the spread between seeds.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.experiments import common, measures

NAME = "seeds"
DESCRIPTION = "one prompt from many seeds: when the layout is fixed, and forks of one walk with fresh noise"
# The prompt names the object only: colour, background, size and place are the seed's to choose.
# The seed is the first of SEED_COUNT consecutive seeds.
FILM_PROMPT = "object"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)
SEED_COUNT = 32
COMMIT_BELOW = 0.2
RECOGNISED_SHARE = 0.9  # a step is "recognisable" once this share of the seeds' guesses is nearest their own ending
# Where the forks happen, as fractions of the walk (after 0, 3, 6, 9, 13 and 18 of 25 steps)
FORK_FRACTIONS = (0.0, 0.12, 0.24, 0.36, 0.52, 0.72)
BRANCHES = 3
FORK_ETA = 1.0
_BRANCH_SEEDS_FROM = 1_000_000  # fresh step noise comes from seeds apart from the small ones a user picks

ARRAY_NAMES = (
    "seeds", "timesteps", "start_noise_pictures", "finals", "predicted_clean_pictures",
    "layout_distance", "own_final_match", "commit_steps",
    "fork_steps", "fork_branch_seeds", "fork_reference_pictures", "fork_reference_clean_pictures",
    "fork_reference_final", "fork_finals", "fork_change", "fork_change_share",
)


def fork_steps(steps: int) -> list[int]:
    return sorted({min(int(round(f * steps)), steps - 1) for f in FORK_FRACTIONS})


def make_spec(model, settings) -> dict:
    forks = fork_steps(settings.steps)
    return common.base_spec(
        NAME, model, **common.walk_spec(settings),
        seeds=list(range(settings.seed, settings.seed + SEED_COUNT)),
        layout={"blocks": measures.LAYOUT_BLOCKS, "commit_below": COMMIT_BELOW, "recognised_share": RECOGNISED_SHARE},
        # what the independent judge is asked of every seed's final picture (embedded model only)
        judge=common.judge_spec(model, reads=["object", "colour", "background"]),
        forks={"seed": settings.seed, "sampler": "DDIMScheduler", "eta": FORK_ETA, "fork_steps": forks,
               "branch_seeds": [[_BRANCH_SEEDS_FROM + 1000 * k + r for r in range(BRANCHES)] for k in forks]},
    )


def _commit_steps(below: np.ndarray) -> np.ndarray:
    """Per seed, the first step (1-based) from which ``below`` (S, N) holds to the end; S + 1 if never."""
    steps = below.shape[0]
    holds_to_end = np.flip(np.logical_and.accumulate(np.flip(below, axis=0), axis=0), axis=0)
    first = np.where(holds_to_end.any(axis=0), holds_to_end.argmax(axis=0) + 1, steps + 1)
    return first.astype(np.int64)


def compute(model, spec, bar, root=None):
    seeds, steps = spec["seeds"], spec["steps"]
    walk = common.seed_walks(model, spec["prompt"], seeds, steps, spec["guidance"], spec["eta"], bar)
    finals = common.final_pictures(walk)
    clean = model.pictures(walk.predicted_clean)  # (S, N, H, W, 3)

    blocks = spec["layout"]["blocks"]
    final_layout = measures.layout(finals, blocks)
    clean_layout = measures.layout(clean, blocks)
    between = measures.picture_distance(final_layout[:, None], final_layout[None, :])  # (N, N)
    spread = between.sum(axis=1) / (len(seeds) - 1)  # mean distance to the other seeds' final layouts
    to_all = measures.picture_distance(clean_layout[:, :, None], final_layout[None, None])  # (S, N, N)
    own = np.diagonal(to_all, axis1=1, axis2=2)  # (S, N)
    layout_distance = own / spread[None, :]
    own_final_match = (to_all.argmin(axis=2) == np.arange(len(seeds))[None]).mean(axis=1)
    commits = _commit_steps(layout_distance < spec["layout"]["commit_below"])

    fork = _forks(model, spec, bar)
    seed_spread = measures.pairwise_mean_distance(finals)
    fork_change = np.array([measures.picture_distance(f, fork["reference_final"]).mean()
                            for f in fork["finals"]])

    arrays = {
        "seeds": np.array(seeds, dtype=np.int64),
        "timesteps": walk.timesteps,
        "start_noise_pictures": model.pictures(walk.trajectory[0]),
        "finals": finals,
        "predicted_clean_pictures": clean,
        "layout_distance": layout_distance.astype(np.float32),
        "own_final_match": own_final_match.astype(np.float32),
        "commit_steps": commits,
        "fork_steps": np.array(spec["forks"]["fork_steps"], dtype=np.int64),
        "fork_branch_seeds": np.array(spec["forks"]["branch_seeds"], dtype=np.int64),
        "fork_reference_pictures": fork["reference_pictures"],
        "fork_reference_clean_pictures": fork["reference_clean_pictures"],
        "fork_reference_final": fork["reference_final"],
        "fork_finals": fork["finals"],
        "fork_change": fork_change.astype(np.float32),
        "fork_change_share": (fork_change / seed_spread).astype(np.float32),
    }
    meanings = {
        "seeds": "the seeds, one walk each, (N,)",
        "timesteps": "the scheduler's timestep at each step, (S,)",
        "start_noise_pictures": "each seed's starting noise as a picture, (N, H, W, 3) uint8",
        "finals": "each seed's final picture, (N, H, W, 3) uint8",
        "predicted_clean_pictures": "each seed's guess of the final picture at each step, (S, N, H, W, 3) uint8",
        "layout_distance": "how far each step's guessed layout (8 x 8 mean colours) still is from the seed's own "
                           "final layout, as a share of the distance to the other seeds' final layouts, (S, N); "
                           "1 = undecided, 0 = fixed",
        "own_final_match": "share of seeds whose guessed layout is nearest to their own final layout among all "
                           "seeds' final layouts, at each step, (S,)",
        "commit_steps": "per seed, the first step (1-based) from which its layout distance stays below the "
                        "commit threshold to the end, (N,); S + 1 if never",
        "fork_steps": "steps shared with the unforked walk before fresh noise, one per fork, (K,); 0 = only the "
                      "starting noise is shared",
        "fork_branch_seeds": "seeds of the fresh step noise of each branch, (K, R)",
        "fork_reference_pictures": "x_t of the unforked stochastic walk as pictures, (S + 1, H, W, 3) uint8",
        "fork_reference_clean_pictures": "its guess of the final picture at each step, (S, H, W, 3) uint8",
        "fork_reference_final": "its final picture, (H, W, 3) uint8",
        "fork_finals": "the final picture of each branch of each fork, (K, R, H, W, 3) uint8",
        "fork_change": "mean RMS brightness distance of a fork's branch endings from the unforked ending, "
                       "(K,) percent of full brightness",
        "fork_change_share": "fork_change as a share of the mean distance between different seeds' pictures, (K,)",
    }
    reading = common.judge(spec["judge"], finals)
    named = common.named_object(spec["prompt"])
    if reading is not None and named is not None:
        arrays["judged_presence"] = reading["presence"][:, common.object_index(named)]
        arrays["judged_colours"] = reading["colour"].astype(str)
        arrays["judged_backgrounds"] = reading["background"].astype(str)
        meanings["judged_presence"] = f"the independent judge's probability that each seed's final picture shows a {named}, (N,)"
        meanings["judged_colours"] = "the colour the independent judge sees in each seed's final picture, (N,)"
        meanings["judged_backgrounds"] = "the background the independent judge sees in each seed's final picture, (N,)"
    return arrays, meanings, _facts(spec, arrays, seed_spread, named)


def _forks(model, spec, bar) -> dict:
    """The stochastic walk and its forks, all in one batch: row 0 unforked, then K x R branches
    (fork by fork, branch by branch); the recorded walk and its pictures."""
    from diffusers import DDIMScheduler

    forks = spec["forks"]
    steps = spec["steps"]
    branch_seeds = [s for row in forks["branch_seeds"] for s in row]
    branches = len(forks["branch_seeds"][0])
    shares = [k for k, row in zip(forks["fork_steps"], forks["branch_seeds"]) for _ in row]
    count = 1 + len(branch_seeds)
    # a fork at step 0 shares only the starting noise; later ones share the step noise up to the fork too
    generators = [model.generators([forks["seed"]])[0]]
    generators += [model.generators([branch if k == 0 else forks["seed"]])[0] for k, branch in zip(shares, branch_seeds)]

    def reseed(step_index: int) -> None:
        for row, (k, branch) in enumerate(zip(shares, branch_seeds), start=1):
            if k > 0 and step_index == k - 1:
                generators[row].manual_seed(branch)

    noise = model.start_noise([forks["seed"]]).expand(count, -1, -1, -1).contiguous()
    pipe = model.pipe
    scheduler = pipe.scheduler
    if not isinstance(scheduler, DDIMScheduler):  # the stochastic sampler is DDIM's, whatever the model ships
        pipe.scheduler = DDIMScheduler.from_config(scheduler.config)
    try:
        common.add_work(bar, count * steps)
        walk = model.walk(steps=steps, guidance=spec["guidance"], prompts=[spec["prompt"]] * count, latents=noise,
                          generators=generators, eta=forks["eta"], on_step_end=reseed, progress=bar)
    finally:
        pipe.scheduler = scheduler
    finals = common.final_pictures(walk)
    return {
        "walk": walk,
        "reference_pictures": model.pictures(walk.trajectory[:, 0]),
        "reference_clean_pictures": model.pictures(walk.predicted_clean[:, 0]),
        "reference_final": finals[0],
        "finals": finals[1:].reshape(len(forks["fork_steps"]), branches, *finals.shape[1:]),
    }


def _facts(spec, arrays, seed_spread: float, named: str | None) -> dict:
    fact, rounded = common.fact, common.rounded
    steps = spec["steps"]
    threshold = spec["layout"]["commit_below"]
    commits = arrays["commit_steps"]
    commit_step = int(np.ceil(np.median(commits)))
    match = arrays["own_final_match"]
    recognisable = spec["layout"]["recognised_share"]
    recognised = np.flatnonzero(match >= recognisable)
    share = arrays["fork_change_share"]
    settled = np.flatnonzero(share < threshold)
    forks = arrays["fork_steps"]
    median_distance = np.median(arrays["layout_distance"], axis=1)
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt every seed walks to"),
        "seed_count": fact(len(spec["seeds"]), "seeds", "walks of the prompt, one per seed"),
        "first_seed": fact(spec["seeds"][0], "seed", "the first of the consecutive seeds"),
        "steps": fact(steps, "steps", "steps of each walk"),
        "guidance": fact(spec["guidance"], "x", "classifier-free guidance scale"),
        "seed_spread": fact(rounded(seed_spread), "% brightness (RMS)",
                            "mean distance between the final pictures of two different seeds"),
        "layout_blocks": fact(spec["layout"]["blocks"], "blocks per side",
                              "the layout is the picture as this many by this many blocks of mean colour"),
        "commit_threshold_percent": fact(rounded(100 * threshold), "% of the seed-to-seed layout distance",
                                         "a layout counts as fixed once its guess stays this close to its own "
                                         "ending, relative to the other seeds' endings"),
        "commit_step": fact(commit_step, "step", "the median seed's commit step: from this step on its layout "
                                                 "stays fixed (see commit_threshold_percent)"),
        "commit_percent_of_walk": fact(rounded(100 * commit_step / steps), "% of the steps",
                                       "how far through the walk the median layout is fixed"),
        "commit_step_earliest": fact(int(commits.min()), "step", "the earliest commit step among the seeds"),
        "commit_step_latest": fact(int(commits.max()), "step", "the latest commit step among the seeds"),
        "committed_share_at_commit_step": fact(rounded(100 * np.mean(commits <= commit_step)), "% of seeds",
                                               "seeds whose layout is fixed by the commit step"),
        "layout_distance_at_step_1": fact(rounded(100 * median_distance[0]), "% of the seed-to-seed layout distance",
                                          "the median seed's layout distance after the first step"),
        "own_final_match_at_step_1": fact(rounded(100 * match[0]), "% of seeds",
                                          "seeds whose first guess is already nearest their own ending's layout"),
        "recognisable_step": fact(int(recognised[0]) + 1 if recognised.size else steps + 1, "step",
                                  f"first step at which {100 * recognisable:g}% of the seeds' guesses are nearest "
                                  "their own ending's layout"),
        "fork_count": fact(int(len(forks)), "forks", "steps at which the stochastic walk is forked"),
        "fork_branches": fact(len(spec["forks"]["branch_seeds"][0]), "branches", "fresh-noise branches per fork"),
        "fork_eta": fact(spec["forks"]["eta"], "eta", "DDIM's eta for the forked walks: 1 adds fresh noise every step"),
        "fork_first_change": fact(rounded(arrays["fork_change"][0]), "% brightness (RMS)",
                                  f"how much the ending changes when the walk is forked after step {int(forks[0])}"),
        "fork_first_change_share": fact(rounded(100 * share[0]), "% of the seed spread",
                                        "that change as a share of the distance between two seeds' pictures"),
        "fork_last_step": fact(int(forks[-1]), "step", "the last fork's step"),
        "fork_last_change": fact(rounded(arrays["fork_change"][-1]), "% brightness (RMS)",
                                 f"how much the ending changes when the walk is forked after step {int(forks[-1])}"),
        "fork_last_change_share": fact(rounded(100 * share[-1]), "% of the seed spread",
                                       "that change as a share of the distance between two seeds' pictures"),
        "fork_settled_step": fact(int(forks[settled[0]]) if settled.size else steps, "step",
                                  "first fork step after which fresh noise changes the ending by less than the "
                                  "commit threshold's share of the seed spread"),
    }
    facts["commits_early"] = fact(bool(commit_step <= steps / 2), "", "the median seed's layout is fixed by half-way "
                                  "through the walk")
    facts["forks_settle"] = fact(bool(settled.size), "", "from some fork step on, fresh noise changes the ending by "
                                 "less than the commit threshold's share of the seed spread (fork_settled_step)")
    facts["forks_settle_only_at_last"] = fact(bool(settled.size) and int(settled[0]) == len(forks) - 1, "",
                                              "only the last fork changes the ending by less than the commit "
                                              "threshold's share (fork_settled_step is fork_last_step)")
    facts["first_fork_like_new_seed"] = fact(bool(share[0] >= 0.9), "", "forked right at the start, the endings "
                                             "differ at least nine tenths as much as two seeds' pictures do")
    facts["judged"] = common.judged_fact(arrays, "judged_presence", "the seeds' final pictures")
    # "Equally good answers", measured: what a classifier trained apart from the model sees in them.
    facts.update(common.object_seen_facts(arrays, "judged_presence", spec, named, "judged_object_share", "% of seeds",
                                          "seeds' final pictures", "all_judged_object"))
    if "judged_presence" in arrays:
        facts["judged_colour_count"] = fact(len(set(arrays["judged_colours"])), "colours",
                                            "different colours the judge sees among the seeds' final pictures")
        facts["judged_background_count"] = fact(len(set(arrays["judged_backgrounds"])), "backgrounds",
                                                "different backgrounds the judge sees among the seeds' final pictures")
    named_words = [w for w in spec["prompt"].lower().replace(",", " ").split() if w not in ("a", "an", "the")]
    facts["bare_prompt"] = fact(bool(named is not None and named_words == [named]), "",
                                "the prompt names a toy-world object and nothing else (no colour, place or setting)")
    return facts


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
