// One ONNX Runtime Web instance in a worker: the explorer runs two, one for each half of classifier-free
// guidance (the empty prompt's and the prompt's UNet pass), so the two run side by side on two cores
// from any static server, no cross-origin isolation needed. Messages:
//   {type: "init", wasm, models: {name: bytes}, threads} -> {type: "ready"}
//   {type: "run", id, model, feeds: {name: {type, data, dims}}} -> {id, outputs: {name: {data, dims}}}

let ort = null;
const sessions = {};

async function init({ wasm, models, threads }) {
  ort = await import(new URL("ort/ort.wasm.bundle.min.mjs", import.meta.url).href);
  ort.env.wasm.wasmBinary = wasm;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "error";
  const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  for (const [name, bytes] of Object.entries(models)) {
    sessions[name] = await ort.InferenceSession.create(new Uint8Array(bytes), options);
  }
}

async function run({ model, feeds }) {
  const inputs = {};
  for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.type, t.data, t.dims);
  const results = await sessions[model].run(inputs);
  const outputs = {};
  const transfer = [];
  for (const [name, t] of Object.entries(results)) {
    outputs[name] = { data: t.data, dims: t.dims };
    transfer.push(t.data.buffer);
  }
  return [outputs, transfer];
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      await init(message);
      self.postMessage({ type: "ready" });
    } else if (message.type === "run") {
      const [outputs, transfer] = await run(message);
      self.postMessage({ id: message.id, outputs }, transfer);
    }
  } catch (error) {
    self.postMessage({ id: message.id, type: message.type, error: String(error && error.message ? error.message : error) });
  }
};
