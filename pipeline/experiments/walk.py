"""The `walk` capture: one prompt from one seed, every step of the way from noise to picture, with the model's guess of the final picture at each step.

The film's main trajectory (chapter "The walk") and its prompt's tokens, token states and
pooled vector (chapter "The compass").
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.experiments import common, measures

NAME = "walk"
DESCRIPTION = "one prompt, one seed: x_t and the guess of the final picture at every step"
FILM_PROMPT = "walk"  # the film file's prompt it walks
OPTIONS = common.model_options(prompt=defaults.prompt(FILM_PROMPT), seed=0)
CLOSE_WITHIN = 5.0  # % RMS brightness: a guess this close to the final picture looks the same at a glance

ARRAY_NAMES = (
    "tokens", "token_states", "attention_mask", "pooled",
    "negative_tokens", "negative_token_states", "negative_pooled",
    "timesteps", "signal_level", "noise_level",
    "trajectory", "trajectory_pictures", "predicted_clean", "predicted_clean_pictures",
    "guided_output", "conditional_output", "conditional_clean_pictures",
    "final", "final_picture", "guess_distance",
)


def make_spec(model, settings) -> dict:
    return common.base_spec(NAME, model, seed=settings.seed, **common.walk_spec(settings), close_within=CLOSE_WITHIN)


def compute(model, spec, bar, root=None):
    common.add_work(bar, spec["steps"])
    walk = model.walk(steps=spec["steps"], guidance=spec["guidance"], seeds=[spec["seed"]],
                      prompts=[spec["prompt"]], eta=spec["eta"], progress=bar)
    final_picture = common.final_pictures(walk)[0]
    clean_pictures = model.pictures(walk.predicted_clean[:, 0])
    guess_distance = measures.picture_distance(clean_pictures, final_picture).astype(np.float32)
    prompt, negative = walk.prompt, walk.negative_prompt

    arrays = {
        "tokens": common.strings(prompt.tokens[0]),
        "token_states": prompt.token_states[0].numpy(),
        "attention_mask": prompt.attention_mask[0].numpy().astype(np.uint8),
        "pooled": prompt.pooled[0].numpy(),
        "negative_tokens": common.strings(negative.tokens[0]),
        "negative_token_states": negative.token_states[0].numpy(),
        "negative_pooled": negative.pooled[0].numpy(),
        "timesteps": walk.timesteps,
        "signal_level": walk.signal_level,
        "noise_level": walk.noise_level,
        "trajectory": common.as_float16(walk.trajectory[:, 0]),
        "trajectory_pictures": model.pictures(walk.trajectory[:, 0]),
        "predicted_clean": common.as_float16(walk.predicted_clean[:, 0]),
        "predicted_clean_pictures": clean_pictures,
        "guided_output": common.as_float16(walk.guided_output[:, 0]),
        "conditional_output": common.as_float16(walk.conditional_output[:, 0]),
        "conditional_clean_pictures": model.pictures(walk.conditional_clean[:, 0]),
        "final": walk.final[0],
        "final_picture": final_picture,
        "guess_distance": guess_distance,
    }
    meanings = {
        "tokens": "the prompt's word pieces as the text encoder splits it, start and end markers included, (T,)",
        "token_states": "the text encoder's vector for every token position, padding included: exactly what the "
                        "image model is conditioned on, (positions, width) float32",
        "attention_mask": "1 where a token position holds a real token, 0 for padding, (positions,)",
        "pooled": "the prompt as one vector (the film's compass), (width,) float32",
        "negative_tokens": "word pieces of the empty prompt, the unconditional input of guidance, (T,)",
        "negative_token_states": "token states of the empty prompt, (positions, width) float32",
        "negative_pooled": "pooled vector of the empty prompt, (width,) float32",
        "timesteps": "the scheduler's timestep at each step, (S,); 999 is pure noise",
        "signal_level": "the clean picture's share of the amplitude of what the model sees at each step, (S,)",
        "noise_level": "the noise's share of that amplitude at each step, (S,)",
        "trajectory": "x_t in the model's space: the starting noise, then the state after each step, "
                      "(S + 1, C, h, w) float16",
        "trajectory_pictures": "x_t as pictures, (S + 1, H, W, 3) uint8 (decoded by the VAE for a latent model)",
        "predicted_clean": "x0-hat: the model's guess of the final picture at each step, from the guided output, "
                           "(S, C, h, w) float16",
        "predicted_clean_pictures": "x0-hat as pictures, (S, H, W, 3) uint8",
        "guided_output": "the model output the scheduler stepped with: unconditional + guidance x "
                         "(conditional - unconditional), (S, C, h, w) float16",
        "conditional_output": "the model's raw output given the prompt, (S, C, h, w) float16",
        "conditional_clean_pictures": "the guess of the final picture from the prompted output alone, "
                                      "(S, H, W, 3) uint8",
        "final": "the pipeline's own output picture, (H, W, 3) float32 in [0, 1]",
        "final_picture": "the final picture, (H, W, 3) uint8",
        "guess_distance": "how far each step's guess is from the final picture: RMS brightness difference, "
                          "(S,) percent of full brightness",
    }
    if walk.unconditional_output is not None:
        arrays["unconditional_output"] = common.as_float16(walk.unconditional_output[:, 0])
        arrays["unconditional_clean_pictures"] = model.pictures(walk.unconditional_clean[:, 0])
        meanings["unconditional_output"] = "the model's raw output given the empty prompt, (S, C, h, w) float16"
        meanings["unconditional_clean_pictures"] = ("the guess of the final picture without the prompt, "
                                                    "(S, H, W, 3) uint8")
    return arrays, meanings, {**_facts(spec, walk, arrays), "embedded_model": common.fact(
        bool(model.is_embedded), "", "the model is one of the project's own small toy-world models (which run on a "
                                     "laptop's processor), not a model from elsewhere")}


def _facts(spec, walk, arrays) -> dict:
    steps = spec["steps"]
    distance = arrays["guess_distance"]
    close_within = spec["close_within"]
    close = np.flatnonzero(distance <= close_within)
    close_step = int(close[0]) + 1 if close.size else steps
    halfway = steps // 2
    tokens = arrays["tokens"]
    height, width = arrays["final_picture"].shape[:2]
    positions, state_width = arrays["token_states"].shape
    fact = common.fact
    return {
        "prompt": fact(spec["prompt"], "", "the prompt of the walk"),
        "seed": fact(spec["seed"], "seed", "the seed of the walk's starting noise"),
        "steps": fact(steps, "steps", "steps of the walk from noise to picture"),
        "guidance": fact(spec["guidance"], "x", "classifier-free guidance scale of the walk"),
        "token_count": fact(int(len(tokens) - 2), "tokens", "word pieces in the prompt, without the start and "
                                                          "end markers"),
        "picture_numbers": fact(int(height * width * 3), "numbers", "numbers in one picture: height x width x 3 "
                                                                    "colour channels"),
        "picture_side": fact(int(height), "pixels", "the picture's side"),
        "square_pictures": fact(bool(height == width), "", "the pictures are as wide as they are high "
                                "(picture_side is their height)"),
        "state_numbers": fact(int(np.prod(arrays["trajectory"].shape[1:])), "numbers",
                              "numbers in the state x_t the model walks through (the picture itself for a pixel model)"),
        "token_state_numbers": fact(int(positions * state_width), "numbers",
                                    "numbers in the prompt's token states: positions x width"),
        "token_positions": fact(int(positions), "positions", "token positions the text encoder fills (with padding)"),
        "pooled_numbers": fact(int(state_width), "numbers", "numbers in the prompt's pooled vector"),
        "start_noise_percent": fact(common.rounded(100 * walk.noise_level[0]), "% of amplitude",
                                    "the noise's share of the first step's input"),
        "first_guess_distance": fact(common.rounded(distance[0]), "% brightness (RMS)",
                                     "how far the first step's guess is from the final picture"),
        "halfway_guess_distance": fact(common.rounded(distance[halfway - 1] if halfway else distance[0]),
                                       "% brightness (RMS)",
                                       f"how far the guess after step {max(halfway, 1)} is from the final picture"),
        "halfway_step": fact(max(halfway, 1), "step", "the step halfway through the walk"),
        "close_step": fact(close_step, "step", f"first step whose guess is within {close_within:g}% (RMS brightness) "
                                               "of the final picture"),
        "close_within": fact(close_within, "% brightness (RMS)", "what counts as close for close_step"),
    }


def capture(root, seed=None, force=False, progress=True, model=None, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    return common.capture(sys.modules[__name__], root, seed=seed, force=force, progress=progress, model=model,
                          prompt=prompt, steps=steps, guidance=guidance)
