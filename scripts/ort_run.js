#!/usr/bin/env node
'use strict';
// ONNX Runtime (CPU execution provider) as the independent reference for edgert.
//
// Usage:
//   node scripts/ort_run.js --model m.onnx --input name=file.bin[,name2=file2.bin]
//                           --output_dir DIR [--threads N] [--bench N [--warmup K]]
//
// Inputs: raw little-endian files as written by numpy's tofile(), in the model input's dtype
// (float32, int8, uint8, int64; also float64, int16, uint16, int32, uint32, bool) and with the
// byte size of the input's declared shape. If the declared shape has exactly one symbolic
// dimension, it is derived from the file size. The dtypes and shapes come from the model file
// itself (a minimal protobuf reader below), since onnxruntime-node 1.20 does not expose input
// metadata. --input can be given several times; every model input needs one (else exit 2).
// Graph inputs that are also initializers (old IR < 4 exports) are constants: they need no
// --input, and naming one is a usage error since onnxruntime-node would silently ignore it.
//
// Outputs: DIR/<name>.bin for every output, the name sanitized to [A-Za-z0-9._-] (other
// characters become '_', collisions get a numeric suffix). Float outputs (float16, float32,
// float64) are written as raw float32; all others as-is (int64 as 8-byte LE, bool as 1 byte).
// DIR/outputs.json lists {name, dtype, dims, file, bytes} per output, in model output order;
// dtype is the dtype of the written file ("float32" for every float output).
//
// Session: CPU EP, graphOptimizationLevel 'all', executionMode 'sequential',
// interOpNumThreads 1, intraOpNumThreads N (--threads; default: ORT's default, reported as 0).
//
// --bench N [--warmup K] (K defaults to 10): after K untimed runs, times N runs of
// session.run() with process.hrtime.bigint() and prints one JSON line to stdout:
//   {"median_ms":..,"mean_ms":..,"min_ms":..,"p90_ms":..,"runs":N,"threads":T,
//    "create_ms":..,"first_run_ms":..}
// create_ms is InferenceSession.create (load, graph optimization, kernel setup); first_run_ms the
// first session.run() of the process (a warm-up run when K > 0).
// The outputs of the last run are still written when --output_dir is given; in bench mode
// --output_dir is optional.
//
// Where onnxruntime-node comes from: $EDGERT_ORT_DIR/node_modules/onnxruntime-node if
// EDGERT_ORT_DIR is set, else <repo>/.cache/ort/node_modules/onnxruntime-node (what
// scripts/setup.sh installs). It is required by absolute path, so the current directory and
// NODE_PATH do not matter.
//
// Exit codes: 0 ok, 1 failure (model, data or runtime error), 2 usage error. Errors go to stderr.

const fs = require('fs');
const path = require('path');

const PROG = 'ort_run.js';

class UsageError extends Error {}

function usage() {
  return [
    `usage: node scripts/${PROG} --model M.onnx --input NAME=FILE.bin[,NAME2=FILE2.bin]`,
    '                          --output_dir DIR [--threads N] [--bench N [--warmup K]]',
    '  ORT is loaded from $EDGERT_ORT_DIR/node_modules or <repo>/.cache/ort/node_modules',
  ].join('\n');
}

function parseArgs(argv) {
  const a = { model: null, inputs: new Map(), outputDir: null, threads: 0, bench: 0, warmup: 10 };
  const intArg = (flag, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) {
      throw new UsageError(`${flag} needs an integer >= ${min}, got '${v === undefined ? '' : v}'`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let val;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      val = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const next = () => {
      if (val !== undefined) return val;
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--model': a.model = next(); break;
      case '--input':
        for (const item of next().split(',')) {
          if (item === '') continue;
          const k = item.indexOf('=');
          if (k <= 0 || k === item.length - 1) {
            throw new UsageError(`--input expects NAME=FILE, got '${item}'`);
          }
          const name = item.slice(0, k);
          if (a.inputs.has(name)) throw new UsageError(`--input given twice for '${name}'`);
          a.inputs.set(name, item.slice(k + 1));
        }
        break;
      case '--output_dir': a.outputDir = next(); break;
      case '--threads': a.threads = intArg('--threads', next(), 0); break;
      case '--bench': a.bench = intArg('--bench', next(), 1); break;
      case '--warmup': a.warmup = intArg('--warmup', next(), 0); break;
      case '-h': case '--help':
        process.stdout.write(usage() + '\n');
        process.exit(0);
        break;
      default: throw new UsageError(`unknown argument '${argv[i]}'`);
    }
  }
  if (!a.model) throw new UsageError('--model is required');
  if (!a.outputDir && !a.bench) throw new UsageError('--output_dir is required (unless --bench)');
  return a;
}

// ---- onnxruntime-node ------------------------------------------------------------------------

function loadOrt() {
  const base = process.env.EDGERT_ORT_DIR
    ? path.resolve(process.env.EDGERT_ORT_DIR)
    : path.resolve(__dirname, '..', '.cache', 'ort');
  const modDir = path.join(base, 'node_modules', 'onnxruntime-node');
  if (!fs.existsSync(path.join(modDir, 'package.json'))) {
    throw new Error(`onnxruntime-node not found in ${modDir}; run scripts/setup.sh ` +
                    '(or set EDGERT_ORT_DIR to a directory holding node_modules/onnxruntime-node)');
  }
  try {
    return require(modDir);
  } catch (e) {
    throw new Error(`cannot load onnxruntime-node from ${modDir}: ${e.message}`);
  }
}

// ---- minimal ONNX protobuf reader (graph inputs/outputs and initializer names only) ----------

// TensorProto.DataType -> [name, bytes per element, ORT tensor type]
const ONNX_DTYPES = {
  1: ['float32', 4, 'float32'], 2: ['uint8', 1, 'uint8'], 3: ['int8', 1, 'int8'],
  4: ['uint16', 2, 'uint16'], 5: ['int16', 2, 'int16'], 6: ['int32', 4, 'int32'],
  7: ['int64', 8, 'int64'], 8: ['string', 0, 'string'], 9: ['bool', 1, 'bool'],
  10: ['float16', 2, 'float16'], 11: ['float64', 8, 'float64'], 12: ['uint32', 4, 'uint32'],
  13: ['uint64', 8, 'uint64'],
};

class PbReader {
  constructor(buf, start = 0, end = buf.length) { this.buf = buf; this.pos = start; this.end = end; }
  eof() { return this.pos >= this.end; }
  varint() {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated protobuf varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('bad protobuf varint');
    }
  }
  // Calls fn(field, wireType, reader-or-value) for each field; skips the rest.
  fields(fn) {
    while (!this.eof()) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wt = key & 7;
      if (wt === 0) {
        fn(field, wt, this.varint());
      } else if (wt === 2) {
        const len = Number(this.varint());
        if (this.pos + len > this.end) throw new Error('truncated protobuf field');
        fn(field, wt, new PbReader(this.buf, this.pos, this.pos + len));
        this.pos += len;
      } else if (wt === 1) {
        this.pos += 8;
      } else if (wt === 5) {
        this.pos += 4;
      } else {
        throw new Error(`unsupported protobuf wire type ${wt}`);
      }
    }
  }
  str() { return this.buf.toString('utf8', this.pos, this.end); }
}

function readValueInfo(r) {
  const vi = { name: '', elemType: 0, dims: null };
  r.fields((f, wt, v) => {
    if (f === 1 && wt === 2) vi.name = v.str();
    else if (f === 2 && wt === 2) { // TypeProto
      v.fields((tf, twt, tv) => {
        if (tf !== 1 || twt !== 2) return; // tensor_type only
        tv.fields((ttf, ttwt, ttv) => {
          if (ttf === 1 && ttwt === 0) vi.elemType = Number(ttv);
          else if (ttf === 2 && ttwt === 2) {
            vi.dims = [];
            ttv.fields((sf, swt, sv) => { // TensorShapeProto.dim
              if (sf !== 1 || swt !== 2) return;
              let d = null;
              sv.fields((df, dwt, dv) => {
                if (df === 1 && dwt === 0) d = Number(BigInt.asIntN(64, dv));
                else if (df === 2 && dwt === 2) d = dv.str() || '?';
              });
              vi.dims.push(d === null ? '?' : d);
            });
          }
        });
      });
    }
  });
  return vi;
}

function readModelIo(file) {
  const buf = fs.readFileSync(file);
  const io = { inputs: [], outputs: [], initializers: new Set() };
  let sawGraph = false;
  new PbReader(buf).fields((f, wt, v) => {
    if (f !== 7 || wt !== 2) return; // ModelProto.graph
    sawGraph = true;
    v.fields((gf, gwt, gv) => {
      if (gwt !== 2) return;
      if (gf === 11) io.inputs.push(readValueInfo(gv));
      else if (gf === 12) io.outputs.push(readValueInfo(gv));
      else if (gf === 5) { // TensorProto initializer: name is field 8
        gv.fields((tf, twt, tv) => { if (tf === 8 && twt === 2) io.initializers.add(tv.str()); });
      }
    });
  });
  if (!sawGraph) throw new Error('no graph found');
  return io;
}

// ---- inputs ----------------------------------------------------------------------------------

function makeInputTensor(ort, name, file, vi) {
  const dt = ONNX_DTYPES[vi.elemType];
  if (!dt || dt[1] === 0) {
    throw new Error(`input '${name}': unsupported dtype ${dt ? dt[0] : `#${vi.elemType}`}`);
  }
  const [dtype, esize, ortType] = dt;
  let st;
  try { st = fs.statSync(file); } catch (e) {
    throw new Error(`input '${name}': cannot read '${file}': ${e.code || e.message}`);
  }
  if (!vi.dims) throw new Error(`input '${name}': the model declares no shape`);
  const dims = vi.dims.slice();
  const unknown = dims.map((d, i) => (typeof d === 'number' && d >= 0 ? -1 : i)).filter(i => i >= 0);
  const known = dims.reduce((p, d) => (typeof d === 'number' && d >= 0 ? p * d : p), 1);
  if (unknown.length === 1 && known > 0 && st.size % (known * esize) === 0 && st.size > 0) {
    dims[unknown[0]] = st.size / (known * esize);
  } else if (unknown.length > 0) {
    throw new Error(`input '${name}': shape [${vi.dims}] has ${unknown.length} symbolic ` +
                    `dimension(s) that cannot be derived from '${file}' (${st.size} bytes, ${dtype})`);
  }
  const count = dims.reduce((p, d) => p * d, 1);
  const expected = count * esize;
  if (st.size !== expected) {
    throw new Error(`input '${name}' from '${file}': expected ${expected} bytes ` +
                    `(${dtype} [${dims.join(',')}]), got ${st.size} bytes`);
  }
  const raw = fs.readFileSync(file);
  // Copy into an aligned ArrayBuffer (Buffer slices may be unaligned views into a pool).
  const ab = new ArrayBuffer(expected);
  new Uint8Array(ab).set(raw);
  const views = {
    float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array,
    uint16: Uint16Array, int16: Int16Array, int32: Int32Array, uint32: Uint32Array,
    int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array, float16: Uint16Array,
  };
  return new ort.Tensor(ortType, new views[dtype](ab), dims);
}

// ---- outputs ---------------------------------------------------------------------------------

function sanitize(name, used) {
  let base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'output';
  let s = base;
  for (let k = 1; used.has(s); k++) s = `${base}_${k}`;
  used.add(s);
  return s;
}

function halfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function outputBytes(t) {
  let data = t.data;
  let dtype = t.type;
  if (dtype === 'float64') {
    data = Float32Array.from(data); dtype = 'float32';
  } else if (dtype === 'float16') {
    data = Float32Array.from(data, halfToFloat); dtype = 'float32';
  } else if (dtype === 'string') {
    throw new Error('string outputs are not supported');
  }
  return { dtype, buf: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

function writeOutputs(dir, outputNames, results) {
  fs.mkdirSync(dir, { recursive: true });
  const used = new Set(['outputs']);
  const list = [];
  for (const name of outputNames) {
    const t = results[name];
    const { dtype, buf } = outputBytes(t);
    const file = sanitize(name, used) + '.bin';
    fs.writeFileSync(path.join(dir, file), buf);
    list.push({ name, dtype, dims: Array.from(t.dims, Number), file, bytes: buf.length });
  }
  const tmp = path.join(dir, 'outputs.json.tmp');
  // One output per line: readable, and still plain JSON.
  const text = '{"outputs": [\n' + list.map(o => '  ' + JSON.stringify(o)).join(',\n') + '\n]}\n';
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, path.join(dir, 'outputs.json')); // last: marks the set complete
}

// ---- main ------------------------------------------------------------------------------------

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${PROG}: ${e.message}\n${usage()}\n`);
      return 2;
    }
    throw e;
  }
  if (!fs.existsSync(args.model)) {
    process.stderr.write(`${PROG}: model '${args.model}' not found\n`);
    return 1;
  }

  let io;
  try {
    io = readModelIo(args.model);
  } catch (e) {
    throw new Error(`cannot read '${args.model}' as an ONNX model: ${e.message}`);
  }
  // Graph inputs that are also initializers (old exporters, IR < 4) are constants here: they
  // need no --input, and onnxruntime-node cannot override them (it feeds session.inputNames only).
  const graphInputs = io.inputs.filter(vi => !io.initializers.has(vi.name));
  const viByName = new Map(graphInputs.map(vi => [vi.name, vi]));

  const missing = graphInputs.filter(vi => !args.inputs.has(vi.name)).map(vi => vi.name);
  if (missing.length) {
    process.stderr.write(`${PROG}: no --input for model input(s) ${missing.map(n => `'${n}'`).join(', ')}` +
                         `; the model's inputs: ${graphInputs.map(vi => describeVi(vi)).join(', ')}\n`);
    return 2;
  }
  const consts = [...args.inputs.keys()].filter(n => io.initializers.has(n));
  if (consts.length) {
    process.stderr.write(`${PROG}: ${consts.map(n => `'${n}'`).join(', ')}: an initializer ` +
                         '(constant) in this model, which onnxruntime-node cannot override\n');
    return 2;
  }
  const extra = [...args.inputs.keys()].filter(n => !viByName.has(n));
  if (extra.length) {
    process.stderr.write(`${PROG}: --input names no model input: ${extra.map(n => `'${n}'`).join(', ')}` +
                         `; the model's inputs: ${graphInputs.map(vi => describeVi(vi)).join(', ')}\n`);
    return 2;
  }

  const ort = loadOrt();
  const feeds = {};
  for (const [name, file] of args.inputs) {
    feeds[name] = makeInputTensor(ort, name, file, viByName.get(name));
  }

  const opts = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: process.env.ORT_OPT || 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
  };
  if (args.threads > 0) opts.intraOpNumThreads = args.threads;
  const tCreate = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(args.model, opts);
  const createMs = Number(process.hrtime.bigint() - tCreate) / 1e6;

  let results;
  if (args.bench > 0) {
    let firstRunMs = -1;  // the first session.run(), warm-up or timed
    for (let i = 0; i < args.warmup; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      if (firstRunMs < 0) firstRunMs = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    const times = [];
    for (let i = 0; i < args.bench; i++) {
      const t0 = process.hrtime.bigint();
      results = await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (firstRunMs < 0) firstRunMs = times[0];
    }
    const s = times.slice().sort((x, y) => x - y);
    const q = p => { // linear interpolation between closest ranks (numpy's default)
      const pos = (s.length - 1) * p;
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, s.length - 1);
      return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    };
    const r3 = x => Math.round(x * 1000) / 1000;
    process.stdout.write(JSON.stringify({
      median_ms: r3(q(0.5)),
      mean_ms: r3(times.reduce((p, x) => p + x, 0) / times.length),
      min_ms: r3(s[0]),
      p90_ms: r3(q(0.9)),
      runs: args.bench,
      threads: args.threads,
      create_ms: r3(createMs),
      first_run_ms: r3(firstRunMs),
    }) + '\n');
  } else {
    results = await session.run(feeds);
  }
  if (args.outputDir) writeOutputs(args.outputDir, session.outputNames, results);
  return 0;
}

function describeVi(vi) {
  const dt = ONNX_DTYPES[vi.elemType];
  return `${vi.name} (${dt ? dt[0] : `#${vi.elemType}`} [${vi.dims ? vi.dims.join(',') : '?'}])`;
}

main().then(
  rc => { process.exitCode = rc; },
  e => {
    process.stderr.write(`${PROG}: ${e && e.message ? e.message : e}\n`);
    process.exitCode = 1;
  });
