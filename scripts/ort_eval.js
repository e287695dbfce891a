#!/usr/bin/env node
'use strict';
// Runs an ONNX model with ONNX Runtime (CPU EP, 1 thread) over a batch of samples, one
// session.run() per sample, for accuracy tables.
//
// Usage: node scripts/ort_eval.js MODEL.onnx SAMPLES.bin OUT.bin
//   SAMPLES.bin: N float32 samples back to back (np.tofile), each the byte size of the model's
//   first input (whose shape must be static; the input name and shape are read from the
//   model by ort_run.js's loader conventions: the session's first input, shape given by --shape).
//   OUT.bin: the first output of every sample, float32, back to back.
//   --shape d0,d1,...  the input shape (default 1,1,20,20)
// ORT_OPT=disabled (environment) turns ORT's graph optimizations off: QDQ models then run
// with ONNX's reference QuantizeLinear/DequantizeLinear semantics instead of ORT's fused QLinear
// kernels (see scripts/prepare_models.sh).
// Exit: 0 ok, 1 failure, 2 usage.
const fs = require('fs');
const path = require('path');

async function main() {
  const args = process.argv.slice(2);
  let shape = [1, 1, 20, 20];
  const pos = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--shape') shape = args[++i].split(',').map(Number);
    else pos.push(args[i]);
  }
  if (pos.length !== 3) {
    process.stderr.write('usage: node scripts/ort_eval.js MODEL.onnx SAMPLES.bin OUT.bin ' +
                         '[--shape 1,1,20,20]\n');
    process.exit(2);
  }
  const base = process.env.EDGERT_ORT_DIR ? path.resolve(process.env.EDGERT_ORT_DIR)
                                          : path.resolve(__dirname, '..', '.cache', 'ort');
  const ort = require(path.join(base, 'node_modules', 'onnxruntime-node'));
  const sess = await ort.InferenceSession.create(pos[0], {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
    graphOptimizationLevel: process.env.ORT_OPT || 'all'});
  const per = shape.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(pos[1]);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const n = Math.floor(all.length / per);
  if (n * per !== all.length) throw new Error(`${pos[1]}: not a multiple of ${per} floats`);
  const outs = [];
  for (let i = 0; i < n; ++i) {
    const x = new ort.Tensor('float32', all.slice(i * per, (i + 1) * per), shape);
    const r = await sess.run({[sess.inputNames[0]]: x});
    outs.push(Buffer.from(r[sess.outputNames[0]].data.buffer.slice(0)));
  }
  fs.writeFileSync(pos[2], Buffer.concat(outs));
}

main().catch((e) => { process.stderr.write(`ort_eval.js: ${e.message}\n`); process.exit(1); });
