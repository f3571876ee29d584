// Seeded pseudo-random numbers for the simulator: sfc32 (fast, 128-bit state,
// passes PractRand) seeded through splitmix32. Never Math.random: the same seed
// must give the same fleet and the same event stream on every machine.

export type Seed = number | string;

/** 32-bit hash of a seed: FNV-1a for strings, an integer mix for numbers. */
export function hashSeed(seed: Seed): number {
  if (typeof seed === "number") {
    // Mix both halves so that 1 and 2**32 + 1 differ; fractions are kept too.
    const hi = Math.floor(seed / 4294967296) | 0;
    const lo = (seed >>> 0) ^ Math.round((seed % 1) * 1e9);
    return mix32(mix32(lo) ^ Math.imul(hi, 0x9e3779b1));
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;
  readonly seedHash: number;

  constructor(seed: Seed) {
    this.seedHash = hashSeed(seed);
    let s = this.seedHash;
    const draw = () => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    this.a = draw();
    this.b = draw();
    this.c = draw();
    this.d = draw();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const a = this.a,
      b = this.b,
      c = this.c,
      d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Integer in [min, max] inclusive. */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Gaussian by Box-Muller; the second value of each pair is kept for the next call. */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return mean + sd * z;
    }
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean (Poisson inter-arrival times). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Index drawn with probability proportional to weights[i]. */
  pickWeightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  pickWeighted<T>(items: readonly T[], weights: readonly number[]): T {
    return items[this.pickWeightedIndex(weights)]!;
  }

  /** An independent stream named by label; depends only on this stream's seed, not on its state. */
  fork(label: Seed): Random {
    return new Random(mix32(this.seedHash ^ hashSeed(label)) + ":" + String(label));
  }
}

export function createRandom(seed: Seed): Random {
  return new Random(seed);
}

/** Cumulative-weight table for many draws over the same weights (binary search). */
export function createWeightedPicker(weights: readonly number[]): (rng: Random) => number {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += Math.max(0, w);
    cumulative[i] = total;
  });
  if (total <= 0) throw new Error("createWeightedPicker: weights must have a positive sum");
  return (rng) => {
    const x = rng.float() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
