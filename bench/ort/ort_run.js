#!/usr/bin/env node
// ONNX Runtime (CPU, npm onnxruntime-node) from Node.js: the reference runtime for cnn's ONNX
// importer. Install once with scripts/setup.sh --test, or
//   npm ci --ignore-scripts --no-audit --no-fund --prefix bench/ort
// (--ignore-scripts: the package's install script only downloads CUDA binaries; the CPU library
// ships inside the package.)
//
//   node bench/ort/ort_run.js run --model M.onnx --inputs IN.safetensors --out OUT.safetensors
//        [--threads N] [--no-opt] [--suffix S]
//     Feeds every graph input from the IN tensor of the same name (with --suffix S: NAME + S,
//     e.g. --suffix .b3 reads "input.b3" of a export_torchvision.py reference file), runs the
//     model (graphOptimizationLevel 'all', or 'disabled' with --no-opt; N intra-op threads,
//     default 1; one inter-op thread) and writes every graph output by name (+ S) into OUT.
//   node bench/ort/ort_run.js bench --model M.onnx --shape 1x3x224x224 [--input-name NAME]
//        [--threads 2] [--warmup 5] [--warmup-seconds 0] [--iters 30] [--min-seconds 2]
//        [--max-iters N]
//     Times session.run on a random float input: at least --warmup runs and --warmup-seconds,
//     then at least --iters runs and at least --min-seconds (but no more than --max-iters runs,
//     default no limit): the rule of cnn's include/cnn/bench/timing.h; prints one JSON line.
//   node bench/ort/ort_run.js version
//     Prints {"ort_version", "node_version"}, or {"error"} with exit status 3 when
//     onnxruntime-node cannot be loaded (cnn bench asks this before it exports any model).
// safetensors dtypes: F32, F64, I64, I32, I8, U8, BOOL (graph outputs come back the same way).
// Errors (usage ones included) go to stderr as "ort_run: ..." with exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = 'usage:\n' +
  '  node bench/ort/ort_run.js run --model M.onnx --inputs IN.safetensors --out OUT.safetensors' +
  ' [--threads N] [--no-opt] [--suffix S]\n' +
  '  node bench/ort/ort_run.js bench --model M.onnx --shape 1x3x224x224 [--input-name NAME]' +
  ' [--threads 2] [--warmup 5] [--warmup-seconds 0] [--iters 30] [--min-seconds 2]' +
  ' [--max-iters N]\n' +
  '  node bench/ort/ort_run.js version';

class UsageError extends Error {}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw new Error(`cannot load onnxruntime-node (${e.message.split('\n')[0]}); install it with ` +
                    `'npm ci --ignore-scripts --no-audit --no-fund --prefix bench/ort' ` +
                    'or scripts/setup.sh --test');
  }
}

// safetensors dtype <-> ONNX Runtime tensor type and typed array.
const DTYPES = {
  F32: { ort: 'float32', array: Float32Array },
  F64: { ort: 'float64', array: Float64Array },
  I64: { ort: 'int64', array: BigInt64Array },
  I32: { ort: 'int32', array: Int32Array },
  I8: { ort: 'int8', array: Int8Array },
  U8: { ort: 'uint8', array: Uint8Array },
  BOOL: { ort: 'bool', array: Uint8Array },
};
const FROM_ORT = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v.ort, k]));

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw new Error(`${file}: not a safetensors file (too short)`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) {
    throw new Error(`${file}: header length ${headerLength} past the end of the file`);
  }
  let header;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength));
  } catch (e) {
    throw new Error(`${file}: bad JSON header: ${e.message}`);
  }
  const base = 8 + headerLength;
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = DTYPES[info.dtype];
    if (!dtype) {
      throw new Error(`${file}: tensor '${name}' has dtype ${info.dtype}; ` +
                      `supported: ${Object.keys(DTYPES).join(', ')}`);
    }
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * dtype.array.BYTES_PER_ELEMENT || base + end > buf.length) {
      throw new Error(`${file}: tensor '${name}': data_offsets [${begin}, ${end}] ` +
                      `do not fit shape [${info.shape}] ${info.dtype}`);
    }
    // Copy into a fresh, aligned ArrayBuffer (the data need not be aligned in the file).
    const bytes = buf.buffer.slice(buf.byteOffset + base + begin, buf.byteOffset + base + end);
    tensors[name] = { dtype: info.dtype, shape: info.shape, data: new dtype.array(bytes) };
  }
  return { tensors, metadata: header.__metadata__ || {} };
}

function writeSafetensors(file, tensors, metadata) {
  const header = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape,
                     data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(text, 'utf8'), ...blobs]));
}

function parseArgs(argv, spec) {
  // spec: {name: 'string' | 'int' | 'number' | 'flag'}; returns {name: value}.
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let key = arg.startsWith('--') ? arg.slice(2) : null;
    let value;
    if (key !== null && key.includes('=')) {
      [key, value] = [key.slice(0, key.indexOf('=')), key.slice(key.indexOf('=') + 1)];
    }
    if (key === null || !(key in spec)) throw new UsageError(`unknown argument '${arg}'`);
    if (spec[key] === 'flag') {
      out[key] = true;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${key} needs a value`);
      value = argv[++i];
    }
    if (spec[key] === 'int' || spec[key] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || (spec[key] === 'int' && !Number.isInteger(n)) || n < 0) {
        throw new UsageError(`--${key}: expected a non-negative ` +
                             `${spec[key] === 'int' ? 'integer' : 'number'}, got '${value}'`);
      }
      value = n;
    }
    out[key] = value;
  }
  return out;
}

function require_(args, ...names) {
  for (const n of names) if (args[n] === undefined) throw new UsageError(`--${n} is required`);
}

async function createSession(ort, model, { threads, optimize }) {
  if (!fs.existsSync(model)) throw new Error(`${model}: no such file`);
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: optimize ? 'all' : 'disabled',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3, // errors only
    });
  } catch (e) {
    throw new Error(`${model}: ONNX Runtime cannot load it: ${e.message}`);
  }
}

function typeOf(session, name, which) {
  const list = which === 'input' ? session.inputMetadata : session.outputMetadata;
  const meta = (list || []).find((m) => m.name === name);
  return meta && meta.isTensor ? `${meta.type}[${meta.shape.join(',')}]` : '?';
}

async function cmdRun(argv) {
  const args = parseArgs(argv, { model: 'string', inputs: 'string', out: 'string', threads: 'int',
                                 'no-opt': 'flag', suffix: 'string' });
  require_(args, 'model', 'inputs', 'out');
  const suffix = args.suffix || '';
  const ort = loadOrt();
  const { tensors } = readSafetensors(args.inputs);
  const session = await createSession(ort, args.model, { threads: args.threads || 1,
                                                         optimize: !args['no-opt'] });
  const feeds = {};
  for (const name of session.inputNames) {
    const t = tensors[name + suffix];
    if (!t) {
      throw new Error(`graph input '${name}' (${typeOf(session, name, 'input')}) ` +
                      `has no tensor '${name + suffix}' in ${args.inputs} ` +
                      `(it has: ${Object.keys(tensors).join(', ') || 'none'})`);
    }
    feeds[name] = new ort.Tensor(DTYPES[t.dtype].ort, t.data, t.shape);
  }
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw new Error(`${args.model}: run failed: ${e.message}`);
  }
  const outputs = {};
  for (const name of session.outputNames) {
    const r = results[name];
    const dtype = FROM_ORT[r.type];
    if (!dtype) {
      throw new Error(`graph output '${name}' has type ${r.type}, ` +
                      'which cannot be written to safetensors here');
    }
    let data = r.data;
    if (dtype === 'BOOL' && !(data instanceof Uint8Array)) {
      data = Uint8Array.from(data, (v) => (v ? 1 : 0));
    }
    outputs[name + suffix] = { dtype, shape: r.dims.map(Number), data };
  }
  await session.release();
  writeSafetensors(args.out, outputs, { model: path.basename(args.model),
                                        ort_version: ortVersion(ort),
                                        optimization: args['no-opt'] ? 'disabled' : 'all' });
}

function ortVersion(ort) {
  return (ort.env && ort.env.versions &&
          (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function cmdBench(argv) {
  const args = parseArgs(argv, { model: 'string', shape: 'string', 'input-name': 'string',
                                 threads: 'int', warmup: 'int', 'warmup-seconds': 'number',
                                 iters: 'int', 'min-seconds': 'number', 'max-iters': 'int' });
  require_(args, 'model', 'shape');
  const shape = args.shape.split(/[x,]/).map(Number);
  if (!shape.length || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UsageError(`--shape: expected dimensions such as 1x3x224x224, got '${args.shape}'`);
  }
  const threads = args.threads === undefined ? 2 : args.threads;
  const warmup = args.warmup === undefined ? 5 : args.warmup;
  const iters = args.iters === undefined ? 30 : args.iters;
  const minSeconds = args['min-seconds'] === undefined ? 2 : args['min-seconds'];
  const warmupSeconds = args['warmup-seconds'] || 0;
  const maxIters = args['max-iters'] === undefined ? Infinity : Math.max(args['max-iters'], 1);
  const ort = loadOrt();
  const session = await createSession(ort, args.model, { threads, optimize: true });
  const inputName = args['input-name'] || session.inputNames[0];
  if (!session.inputNames.includes(inputName)) {
    throw new Error(`${args.model} has no input '${inputName}' ` +
                    `(inputs: ${session.inputNames.join(', ')})`);
  }
  const others = session.inputNames.filter((n) => n !== inputName);
  if (others.length) {
    throw new Error(`${args.model} has inputs besides '${inputName}' (${others.join(', ')}); ` +
                    'bench feeds only one');
  }
  const random = mulberry32(12345);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
  const feeds = { [inputName]: new ort.Tensor('float32', data, shape) };
  const once = async () => {
    try {
      await session.run(feeds);
    } catch (e) {
      throw new Error(`${args.model}: run failed: ${e.message}`);
    }
  };
  const since = (t) => Number(process.hrtime.bigint() - t) / 1e9;
  const warmupStart = process.hrtime.bigint();
  for (let i = 0; i < warmup || since(warmupStart) < warmupSeconds; i++) await once();
  const times = [];
  const start = process.hrtime.bigint();
  while (times.length < Math.max(iters, 1) ||
         (times.length < maxIters && since(start) < minSeconds)) {
    const t0 = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await session.release();
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (v) => Math.round(v * 1000) / 1000;
  console.log(JSON.stringify({
    model: args.model,
    threads,
    shape,
    ms: {
      min: round(sorted[0]),
      median: round(median),
      mean: round(times.reduce((a, b) => a + b, 0) / times.length),
    },
    iters: times.length,
    ort_version: ortVersion(ort),
  }));
}

function cmdVersion(argv) {
  parseArgs(argv, {});
  let ort;
  try {
    ort = loadOrt();
  } catch (e) {
    console.log(JSON.stringify({ error: e.message }));
    process.exit(3);
  }
  console.log(JSON.stringify({ ort_version: ortVersion(ort), node_version: process.version }));
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'run') return cmdRun(rest);
  if (command === 'bench') return cmdBench(rest);
  if (command === 'version') return cmdVersion(rest);
  if (command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return undefined;
  }
  throw new UsageError(command ? `unknown command '${command}'` : 'missing command');
}

main().catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`ort_run: ${e.message}\n${USAGE}\n`);
    process.exit(1);
  }
  process.stderr.write(`ort_run: ${e.message}\n`);
  process.exit(1);
});
