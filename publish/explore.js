// The explorer page: the embedded text-to-image model walking from noise to a picture in the reader's
// browser, with ONNX Runtime Web (vendored in explore/ort/) and the arithmetic of explore_core.js.
// Nothing is fetched from anywhere but this folder.

import * as core from "./explore_core.js";

const BASE = new URL(".", import.meta.url);
const $ = (id) => document.getElementById(id);
const page = {
  state: "loading",
  config: null,
  tokenizer: null,
  encoder: null,
  unet: null,
  empty: null,
  statesCache: new Map(),
  walk: null,       // the walk on screen: {prompt, seed, steps, guidance, timesteps, xs, guesses, pictures...}
  running: null,    // {cancelled} of the walk being computed
  pending: null,    // the latest request made while one was running
  pad: { u: 0, v: 0 },
  growth: [],
  timings: [],
  errors: [],
  finished: 0,     // requests answered (a walk done, cancelled or refused)
};
window.explorer = page;  // for the browser test and benchmarks: state, timings, the walk on screen

function setState(state, words) {
  page.state = state;
  document.body.dataset.state = state;
  if (words !== undefined) $("status").textContent = words;
}

function say(words) { $("status").textContent = words; }

function showMessage(words) {
  const box = $("message");
  box.textContent = words || "";
  box.hidden = !words;
}

const STARTUP_LIMIT_MS = 60000;  // the runtime's start, after the download
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

// ----------------------------------------------------------------------------- loading

async function fetchBytes(name, label, total) {
  const response = await fetch(new URL(name, BASE));
  if (!response.ok) throw new Error(`${name}: the server answered ${response.status}`);
  const size = Number(response.headers.get("content-length")) || total || 0;
  if (!response.body || !size) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  let shown = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    const percent = Math.floor((100 * got) / size);
    if (percent !== shown && percent % 5 === 0) { say(`Loading ${label} (${megabytes(size)}): ${percent}%`); shown = percent; }
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  return bytes;
}

// A model file must be the one explore.json names, byte for byte, before the runtime is given it: a damaged or
// substituted file would load and paint something else.
async function checked(name, bytes, files) {
  const expected = files[name] && files[name].sha256;
  if (!expected) throw new Error(`explore.json names no checksum for ${name}: make the site again (make site)`);
  if (bytes.length !== files[name].bytes || await core.sha256Hex(bytes) !== expected) {
    throw new Error(`${name} is not the file explore.json names (${bytes.length} bytes, expected ` +
      `${files[name].bytes}): it is damaged or was replaced; make the site again (make site) and reload`);
  }
  return bytes;
}

async function gunzip(bytes) {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;  // a server that already decoded it
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// A worker running ONNX Runtime Web (explore_worker.js), with a promise per request.
class Runner {
  constructor(label) {
    this.label = label;
    this.worker = new Worker(new URL("explore_worker.js", BASE), { type: "module" });
    this.waiting = new Map();
    this.next = 0;
    this.worker.onmessage = (event) => {
      const message = event.data;
      const key = message.id === undefined ? message.type : message.id;
      const entry = this.waiting.get(key);
      if (!entry) return;
      this.waiting.delete(key);
      if (message.error) entry.reject(new Error(`${this.label}: ${message.error}`));
      else entry.resolve(message);
    };
    this.worker.onerror = (event) => {
      for (const entry of this.waiting.values()) entry.reject(new Error(`${this.label}: ${event.message || "the worker failed"}`));
      this.waiting.clear();
    };
  }

  ask(key, message, transfer = []) {
    return new Promise((resolve, reject) => {
      this.waiting.set(key, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  init(wasm, models, threads) {
    return this.ask("ready", { type: "init", wasm, models, threads }, Object.values(models));
  }

  async run(model, feeds) {
    const id = this.next++;
    const transfer = Object.values(feeds).map((t) => t.data.buffer);
    return (await this.ask(id, { type: "run", id, model, feeds }, transfer)).outputs;
  }
}

async function load() {
  const started = performance.now();
  setState("loading", "Loading the settings and the vocabulary…");
  const config = await (await fetch(new URL("explore.json", BASE))).json();
  if (config.format !== 1) throw new Error("explore.json is of another format: make the site again (make site)");
  page.config = config;
  const vocab = await (await fetch(new URL("vocab.txt", BASE))).text();
  page.tokenizer = new core.Tokenizer(vocab, config.text);
  setupForm(config);
  drawState($("xt"), noiseFor(0, 0));  // the starting noise needs no model: torch's generator, here in the page
  const files = config.files;
  const wasm = await gunzip(await fetchBytes("ort/ort-wasm-simd-threaded.wasm.gz", "the runtime, ONNX Runtime Web"));
  const encoderBytes = await checked("text_encoder.onnx", await fetchBytes("text_encoder.onnx", "the text encoder",
    files["text_encoder.onnx"].bytes), files);
  const unetBytes = await checked("unet.onnx", await fetchBytes("unet.onnx", "the image model", files["unet.onnx"].bytes), files);
  page.downloadSeconds = (performance.now() - started) / 1000;
  say("Starting the models…");
  // two workers, one per half of guidance, where the machine has two cores; threads inside each only
  // where the page is cross-origin isolated (make explore's server)
  const cores = navigator.hardwareConcurrency || 1;
  const halves = cores >= 2 ? 2 : 1;
  const threads = self.crossOriginIsolated ? Math.max(1, Math.min(4, Math.floor(cores / halves))) : 1;
  page.runners = [new Runner("worker A")];
  const ready = [page.runners[0].init(wasm.slice(), { encoder: encoderBytes.buffer, unet: unetBytes.slice().buffer }, threads)];
  if (halves === 2) {
    page.runners.push(new Runner("worker B"));
    ready.push(page.runners[1].init(wasm, { unet: unetBytes.buffer }, threads));
  }
  // A model file the runtime cannot start never settles: after a minute the page says so and what to do.
  let stalled;
  const timeout = new Promise((_, fail) => {
    stalled = setTimeout(() => fail(new Error("the models did not start within a minute: reload the page; if it " +
      "happens again, make the site again (make site)")), STARTUP_LIMIT_MS);
  });
  try {
    await Promise.race([Promise.all(ready), timeout]);
  } finally {
    clearTimeout(stalled);
  }
  page.unet = true;
  page.empty = await tokenStates("");
  page.loadSeconds = (performance.now() - started) / 1000;
  page.threads = { workers: halves, threads };
  setState("ready", `Ready: the models loaded in ${page.loadSeconds.toFixed(1)} s (${halves} worker${halves > 1 ? "s" : ""}` +
    `${threads > 1 ? `, ${threads} threads each` : ""}). Type a prompt and press Walk.`);
  $("walk").disabled = false;
}

// ----------------------------------------------------------------------------- the models

async function tokenStates(prompt) {
  if (page.statesCache.has(prompt)) return page.statesCache.get(prompt);
  const encoded = page.tokenizer.encode(prompt);
  if (encoded.tooLong !== undefined) return encoded;
  const max = page.config.text.max_tokens;
  const tensor = (values) => ({ type: "int64", data: BigInt64Array.from(values, BigInt), dims: [1, max] });
  const out = await page.runners[0].run("encoder", { ids: tensor(encoded.ids), mask: tensor(encoded.mask) });
  const result = { tokens: encoded.tokens, states: out.states.data };
  page.statesCache.set(prompt, result);
  return result;
}

function tooLongMessage(prompt, pieces) {
  const max = page.config.text.max_tokens - 2;
  return `This prompt is ${pieces} word pieces long; the text encoder takes at most ${max}. Shorten it and walk again.`;
}

// The UNet's v for x at timestep t under token states (one prompt), in the given worker.
async function velocity(runner, x, t, states) {
  const { channels, size } = page.config.picture;
  const { max_tokens: max, state_width: width } = page.config.text;
  const out = await runner.run("unet", {
    sample: { type: "float32", data: Float32Array.from(x), dims: [1, channels, size, size] },
    timestep: { type: "int64", data: BigInt64Array.of(BigInt(t)), dims: [1] },
    states: { type: "float32", data: Float32Array.from(states), dims: [1, max, width] },
  });
  return out.v.data;
}

// One walk, step by step as ToyWorldPipeline walks: the UNet on x with the empty prompt's and the prompt's
// token states (the pipeline's batch of two, here one per worker, side by side), guidance, the DDIM step;
// onStep draws each step as it comes. Returns null when cancelled.
async function walk({ states, noise, steps, guidance, onStep, ticket }) {
  const schedule = page.config.schedule;
  const count = noise.length;
  const guided = guidance !== 1;
  const [a, b] = page.runners;
  const timesteps = core.trailingTimesteps(steps, schedule.num_train_timesteps);
  let x = Float32Array.from(noise);
  const xs = [x];
  const guesses = [];
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i];
    let v;
    if (guided) {
      const [unconditional, conditional] = await Promise.all([velocity(a, x, t, page.empty.states),
        velocity(b || a, x, t, states)]);
      const both = new Float32Array(2 * count);
      both.set(unconditional, 0);
      both.set(conditional, count);
      v = core.guide(both, guidance, count);
    } else {
      v = await velocity(a, x, t, states);
    }
    const stepped = core.ddimStep(v, t, x, steps, schedule);
    x = stepped.x;
    xs.push(x);
    guesses.push(stepped.guess);
    onStep(i, xs, guesses, timesteps);
    if (ticket.cancelled) return null;
  }
  return { xs, guesses, timesteps };
}

// ----------------------------------------------------------------------------- drawing

function drawState(canvas, state) {
  const size = page.config.picture.size;
  const context = canvas.getContext("2d");
  context.putImageData(new ImageData(core.toRGBA(state, size), size, size), 0, 0);
}

function seeds() {
  const seed = Number($("seed").value) >>> 0;
  return [seed, (seed + 1) >>> 0, (seed + 2) >>> 0];
}

function noiseFor(u, v) {
  const count = page.config.picture.channels * page.config.picture.size ** 2;
  const key = seeds().join(",");
  if (page.cornerKey !== key) {
    page.corners = seeds().map((seed) => core.randn(count, seed));
    page.cornerKey = key;
  }
  const [a, b, c] = page.corners;
  return core.planeNoise(a, b, c, u, v);
}

// Position k of the walk: x_t after step k (0 is the starting noise) and the guess made in step k
// (at 0, the guess step 1 makes from the noise).
function showStep(index) {
  const w = page.walk;
  if (!w || !w.guesses.length) return;
  const total = w.timesteps.length;
  index = Math.max(0, Math.min(index, w.xs.length - 1));
  const guessIndex = Math.min(Math.max(0, index - 1), w.guesses.length - 1);
  drawState($("xt"), w.xs[index]);
  drawState($("guess"), w.guesses[guessIndex]);
  const scrub = $("scrub");
  scrub.max = String(w.xs.length - 1);
  scrub.value = String(index);
  let words;
  if (index === 0) words = `Start: pure noise (seed ${w.seedText}); on the right, the guess step 1 makes from it.`;
  else if (index === total) words = `After step ${total} of ${total}: the finished picture; on the right, the last step's guess.`;
  else words = `After step ${index} of ${total}; on the right, the guess made in step ${index}.`;
  if (index < total) {
    const level = core.levels(page.config.schedule, w.timesteps[index]);
    words += ` Next step's input: ${(100 * level.signal).toFixed(0)}% picture, ${(100 * level.noise).toFixed(0)}% noise` +
      ` (timestep ${w.timesteps[index]}).`;
  }
  $("step-words").textContent = words;
  scrub.setAttribute("aria-valuetext", words);
  if (w.guessDistance) $("n-this").textContent = `${w.guessDistance[guessIndex].toFixed(1)}% (step ${guessIndex + 1})`;
}

function showNumbers(w) {
  const size = page.config.picture.size;
  const final = core.toRGBA(w.xs[w.xs.length - 1], size);
  w.final = final;
  w.guessDistance = w.guesses.map((guess) => core.pictureDistance(core.toRGBA(guess, size), final));
  const close = w.guessDistance.findIndex((d) => d <= 5.0);
  $("n-first").textContent = `${w.guessDistance[0].toFixed(1)}%`;
  $("n-close").textContent = close < 0 ? "none" : `step ${close + 1} of ${w.guesses.length}`;
  $("n-time").textContent = `${w.seconds.toFixed(2)} s (${((1000 * w.seconds) / w.guesses.length).toFixed(0)} ms a step)`;
  const [a] = page.corners;
  const start = w.xs[0];
  $("n-angle").textContent = `${core.angleDegrees(start, a).toFixed(1)}°`;
  $("n-length").textContent = `${(core.norm(start) / Math.sqrt(start.length)).toFixed(3)}`;
}

// ----------------------------------------------------------------------------- running a walk

function readSettings() {
  const prompt = $("prompt").value;
  if (!prompt.trim()) return { error: "The prompt is empty: give some words, or try one of the examples." };
  if (!/^\s*[0-9]+\s*$/.test($("seed").value)) {
    return { error: `The seed must be a whole number from 0 to ${page.config.defaults.max_seed}, in the digits 0-9.` };
  }
  const seed = Number($("seed").value);
  const steps = Number($("steps").value);
  const guidance = Number($("guidance").value);
  const d = page.config.defaults;
  if (!Number.isInteger(seed) || seed < 0 || seed > d.max_seed) return { error: `The seed must be a whole number from 0 to ${d.max_seed}.` };
  if (!Number.isInteger(steps) || steps < 1 || steps > d.max_steps) return { error: `Steps must be a whole number from 1 to ${d.max_steps}.` };
  if (!Number.isFinite(guidance) || guidance < 0 || guidance > d.max_guidance) return { error: `Guidance must be a number from 0 to ${d.max_guidance}.` };
  return { prompt, seed, steps, guidance };
}

async function request(kind) {
  if (page.state === "loading" || page.state === "failed") return;
  page.pending = kind;
  if (page.running) { page.running.cancelled = true; return; }
  while (page.pending) {
    const next = page.pending;
    page.pending = null;
    page.running = { cancelled: false };
    try {
      if (next === "growth") await runGrowth(page.running);
      else await runOne(page.running);
    } catch (error) {
      report(error);
    }
    page.running = null;
  }
  page.finished += 1;
}

async function runOne(ticket, override) {
  const clicked = performance.now();
  const settings = override || readSettings();
  if (settings.error) { showMessage(settings.error); setState("ready"); return null; }
  const encoded = await tokenStates(settings.prompt);
  if (encoded.tooLong !== undefined) {
    showMessage(tooLongMessage(settings.prompt, encoded.tooLong));
    setState("ready", "Nothing walked: the prompt is too long.");
    return null;
  }
  showMessage("");
  const { u, v } = page.pad;
  const noise = noiseFor(u, v);
  const seedText = u === 0 && v === 0 ? String(settings.seed) : `plane of seeds ${seeds().join(", ")} at (${u.toFixed(2)}, ${v.toFixed(2)})`;
  setState("walking", `Walking: step 0 of ${settings.steps}…`);
  const w = { ...settings, seedText, xs: [noise], guesses: [], timesteps: [], tokens: encoded.tokens };
  if (!override) {
    page.walk = w;
    for (const id of ["n-first", "n-close", "n-this", "n-angle", "n-length", "n-time"]) $(id).textContent = "…";
  }
  let firstStep = null;
  const result = await walk({
    states: encoded.states, noise, steps: settings.steps, guidance: settings.guidance, ticket,
    onStep: (i, xs, guesses, timesteps) => {
      if (firstStep === null) firstStep = (performance.now() - clicked) / 1000;
      Object.assign(w, { xs, guesses, timesteps });
      if (!override) showStep(i + 1);
      say(`Walking: step ${i + 1} of ${timesteps.length}…`);
    },
  });
  if (!result) return null;
  w.seconds = (performance.now() - clicked) / 1000;
  w.firstStepSeconds = firstStep;
  if (!override) {
    showNumbers(w);
    showStep(w.xs.length - 1);
    page.timings.push({ first_step_s: firstStep, picture_s: w.seconds, steps: w.guesses.length, guidance: w.guidance });
    setState("done", `Done: ${w.guesses.length} steps in ${w.seconds.toFixed(2)} s. Drag the slider to go back through the steps.`);
  }
  return w;
}

// "One word at a time": the prompt grown word by word from the empty prompt, every walk from the same noise.
async function runGrowth(ticket) {
  const settings = readSettings();
  if (settings.error) { showMessage(settings.error); return; }
  const whole = page.tokenizer.encode(settings.prompt);
  if (whole.tooLong !== undefined) {  // refused before any of its beginnings is walked
    showMessage(tooLongMessage(settings.prompt, whole.tooLong));
    setState("ready", "Nothing walked: the prompt is too long.");
    return;
  }
  const wordsOf = settings.prompt.split(/\s+/).filter(Boolean);
  const prompts = [""].concat(wordsOf.map((_, i) => wordsOf.slice(0, i + 1).join(" ")));
  const strip = $("growth");
  strip.replaceChildren();
  page.growth = [];
  const size = page.config.picture.size;
  for (let i = 0; i < prompts.length; i++) {
    const prompt = prompts[i];
    if (i === prompts.length - 1) {
      const w = await runOne(ticket);  // the whole prompt: shown in the big view, step by step
      if (!w) return;
      page.growth.push({ prompt, walk: w });
    } else {
      say(`One word at a time: walking "${prompt}" (${i + 1} of ${prompts.length})…`);
      const w = await runOne(ticket, { ...settings, prompt });
      if (!w) return;
      page.growth.push({ prompt, walk: w });
    }
    const w = page.growth[i].walk;
    const finalState = w.xs[w.xs.length - 1];
    const figure = document.createElement("figure");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "thumb";
    const canvas = document.createElement("canvas");
    canvas.width = size; canvas.height = size;
    drawState(canvas, finalState);
    button.append(canvas);
    const caption = document.createElement("figcaption");
    const rgba = core.toRGBA(finalState, size);
    const previous = i > 0 ? page.growth[i - 1].rgba : null;
    page.growth[i].rgba = rgba;
    caption.textContent = (prompt ? `“${prompt}”` : "(no words)") +
      (previous ? ` +${core.pictureDistance(rgba, previous).toFixed(1)}%` : "");
    button.setAttribute("aria-label", `Show the walk of ${prompt ? `"${prompt}"` : "the empty prompt"}`);
    button.addEventListener("click", () => {
      page.walk = w;
      if (!w.final) showNumbers(w);
      showStep(w.xs.length - 1);
    });
    figure.append(button, caption);
    strip.append(figure);
  }
  say(`One word at a time: ${prompts.length} walks from the same noise; under each picture, how much it changed ` +
    "from the one before (RMS brightness). Press a picture to scrub its walk.");
}

// ----------------------------------------------------------------------------- the pad

function drawPad() {
  const canvas = $("pad");
  const context = canvas.getContext("2d");
  const s = canvas.width;
  const m = 18;
  const style = getComputedStyle(document.body);
  context.clearRect(0, 0, s, s);
  context.strokeStyle = style.getPropertyValue("--faint");
  context.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const p = m + ((s - 2 * m) * k) / 4;
    context.beginPath(); context.moveTo(p, m); context.lineTo(p, s - m); context.stroke();
    context.beginPath(); context.moveTo(m, p); context.lineTo(s - m, p); context.stroke();
  }
  context.fillStyle = style.getPropertyValue("--noise");
  context.font = `14px ${style.fontFamily}`;
  context.fillText("A", 2, m - 4);
  context.fillText("B", s - m + 4, m - 4);
  context.fillText("C", 2, s - 4);
  const x = m + page.pad.u * (s - 2 * m);
  const y = m + page.pad.v * (s - 2 * m);
  context.fillStyle = style.getPropertyValue("--mark");
  context.beginPath(); context.arc(x, y, 7, 0, 2 * Math.PI); context.fill();
  const [a, b, c] = seeds();
  const words = `noise at u ${page.pad.u.toFixed(2)} towards seed ${b}, v ${page.pad.v.toFixed(2)} towards seed ${c}, from seed ${a}`;
  canvas.setAttribute("aria-valuetext", words);
  $("pad-words").textContent = `Starting noise: seed ${a}'s, turned ${(100 * page.pad.u).toFixed(0)}% of the way to ` +
    `seed ${b}'s and ${(100 * page.pad.v).toFixed(0)}% to seed ${c}'s, along the sphere.`;
}

function movePad(u, v) {
  const clamp = (z) => Math.min(1, Math.max(0, Math.round(z * 100) / 100));
  page.pad = { u: clamp(u), v: clamp(v) };
  drawPad();
  request("one");
}

function setupPad() {
  const canvas = $("pad");
  const m = 18;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    const s = box.width;
    const scale = canvas.width / s;
    return [((event.clientX - box.left) * scale - m) / (canvas.width - 2 * m),
      ((event.clientY - box.top) * scale - m) / (canvas.width - 2 * m)];
  };
  let dragging = false;
  canvas.addEventListener("pointerdown", (event) => { dragging = true; canvas.setPointerCapture(event.pointerId); movePad(...at(event)); });
  canvas.addEventListener("pointermove", (event) => { if (dragging) movePad(...at(event)); });
  canvas.addEventListener("pointerup", () => { dragging = false; });
  canvas.addEventListener("keydown", (event) => {
    const d = event.shiftKey ? 0.25 : 0.05;
    const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] };
    if (event.key in moves) {
      event.preventDefault();
      movePad(page.pad.u + moves[event.key][0], page.pad.v + moves[event.key][1]);
    } else if (event.key === "Home") {
      event.preventDefault();
      movePad(0, 0);
    }
  });
  drawPad();
}

// ----------------------------------------------------------------------------- the form

function setupForm(config) {
  const d = config.defaults;
  $("prompt").value = d.prompt;
  $("seed").value = String(d.seed);
  $("seed").max = String(d.max_seed);
  $("steps").value = String(d.steps);
  $("steps").max = String(d.max_steps);
  $("guidance").value = String(d.guidance);
  $("guidance").max = String(d.max_guidance);
  const list = $("examples");
  for (const example of config.words.examples) {
    const option = document.createElement("option");
    option.value = example;
    list.append(option);
  }
  const chips = $("chips");
  const groups = [["objects", config.words.objects], ["colours", config.words.colours],
    ["places", config.words.backgrounds.concat(config.words.positions)], ["sizes", config.words.sizes]];
  for (const [name, wordsOfGroup] of groups) {
    const group = document.createElement("span");
    group.className = "chip-group";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", name);
    for (const word of wordsOfGroup) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = word;
      chip.addEventListener("click", () => {
        const box = $("prompt");
        box.value = (box.value.trim() ? `${box.value.trim()} ` : "") + word;
        box.focus();
      });
      group.append(chip);
    }
    chips.append(group);
  }
  $("controls").addEventListener("submit", (event) => {
    event.preventDefault();
    request($("growth-switch").checked ? "growth" : "one");
  });
  $("scrub").addEventListener("input", () => showStep(Number($("scrub").value)));
  $("seed").addEventListener("change", drawPad);
  $("growth-switch").addEventListener("change", () => { $("growth").hidden = !$("growth-switch").checked; });
  setupPad();
}

function report(error) {
  const words = String(error && error.message ? error.message : error);
  page.errors.push(words);
  showMessage(`Something went wrong: ${words}`);
  setState(page.unet ? "ready" : "failed", page.unet ? "Ready again." : "The models could not be loaded.");
}

if (window.self !== window.top) document.body.classList.add("embedded");
load().catch(report);
