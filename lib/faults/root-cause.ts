// Root-cause concentration: for one fault, which gateway, firmware pair, zone,
// model, install year or HES version holds far more of the affected meters than
// its share of the fleet would predict. Pure maths over counts from ClickHouse.
import { z } from "zod";

export const DIMENSIONS = ["gateway", "fw_pair", "climate_zone", "meter_model", "install_year", "hes_version"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** 95 % two-sided normal quantile, used for the Wilson interval. */
export const DEFAULT_Z = 1.96;
/** Cells with fewer affected meters than this are listed after every supported cell. */
export const DEFAULT_MIN_SUPPORT = 3;

const cellSchema = z
  .object({ value: z.string(), affected: z.number().int().nonnegative(), fleet: z.number().int().nonnegative() })
  .refine((c) => c.affected <= c.fleet, { message: "affected cannot exceed fleet" });

const concentrationInputSchema = z
  .object({
    dimensions: z.array(z.object({ dimension: z.string().min(1), values: z.array(cellSchema) })),
    totalAffected: z.number().int().nonnegative(),
    totalFleet: z.number().int().nonnegative(),
    minSupport: z.number().int().positive().default(DEFAULT_MIN_SUPPORT),
    z: z.number().positive().default(DEFAULT_Z),
  })
  .superRefine((input, ctx) => {
    if (input.totalAffected > input.totalFleet) ctx.addIssue({ code: "custom", path: ["totalAffected"], message: "cannot exceed totalFleet" });
    input.dimensions.forEach((d, i) => {
      const affected = d.values.reduce((s, v) => s + v.affected, 0);
      const fleet = d.values.reduce((s, v) => s + v.fleet, 0);
      if (affected > input.totalAffected)
        ctx.addIssue({
          code: "custom",
          path: ["dimensions", i, "values"],
          message: `${d.dimension}: affected sums to ${affected}, more than totalAffected ${input.totalAffected}`,
        });
      if (fleet > input.totalFleet)
        ctx.addIssue({ code: "custom", path: ["dimensions", i, "values"], message: `${d.dimension}: fleet sums to ${fleet}, more than totalFleet ${input.totalFleet}` });
    });
  });
export type ConcentrationInput = z.input<typeof concentrationInputSchema>;

export interface RankedCell {
  value: string;
  affected: number;
  fleet: number;
  /** affected / fleet within this value. */
  affectedRate: number;
  shareOfFault: number;
  shareOfFleet: number;
  /** shareOfFault / shareOfFleet, i.e. affectedRate / fleet rate. 0 when undefined. */
  lift: number;
  /** Wilson lower bound of affectedRate divided by the fleet rate: the lift we are 95 % sure of. */
  score: number;
  hasSupport: boolean;
}

export interface RankedDimension {
  dimension: string;
  /** Bias-corrected Cramér's V of value x affected, 0..1: how much this dimension explains the fault. */
  association: number;
  chiSquare: number;
  cells: RankedCell[];
  /** Best supported cell with lift above 1, if any. */
  top: RankedCell | null;
}

export interface ConcentrationResult {
  fleetRate: number;
  totalAffected: number;
  totalFleet: number;
  /** Strongest association first. */
  dimensions: RankedDimension[];
}

/** Lower end of the Wilson score interval for a binomial proportion; 0 for an empty cell. */
export function computeWilsonLower(successes: number, trials: number, z = DEFAULT_Z): number {
  if (trials <= 0) return 0;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return Math.max(0, (centre - margin) / (1 + z2 / trials));
}

/**
 * Bias-corrected Cramér's V (Bergsma 2013) for a 2 x k table given as (affected, fleet) cells.
 * The correction subtracts what chance alone gives a k-valued dimension, so a gateway
 * dimension with thousands of values does not win just by having many cells.
 */
export function computeAssociation(cells: ReadonlyArray<{ affected: number; fleet: number }>, totalAffected: number, totalFleet: number) {
  const p0 = totalFleet > 0 ? totalAffected / totalFleet : 0;
  const used = cells.filter((c) => c.fleet > 0);
  if (p0 <= 0 || p0 >= 1 || used.length < 2 || totalFleet < 2) return { chiSquare: 0, association: 0 };
  // Both rows collapse into one term per cell since (unaffected - E) = -(affected - E).
  const chiSquare = used.reduce((s, c) => s + (c.affected - c.fleet * p0) ** 2 / (c.fleet * p0 * (1 - p0)), 0);
  const k = used.length;
  const phi2 = Math.max(0, chiSquare / totalFleet - (k - 1) / (totalFleet - 1));
  const kCorr = k - (k - 1) ** 2 / (totalFleet - 1);
  const rCorr = 2 - 1 / (totalFleet - 1);
  const denom = Math.min(kCorr - 1, rCorr - 1);
  return { chiSquare, association: denom > 0 ? Math.min(1, Math.sqrt(phi2 / denom)) : 0 };
}

function compareCells(a: RankedCell, b: RankedCell): number {
  if (a.hasSupport !== b.hasSupport) return a.hasSupport ? -1 : 1;
  return b.score - a.score || b.affected - a.affected || a.value.localeCompare(b.value);
}

/**
 * Order cells by the Wilson lower bound of their affected rate over the fleet rate: a 1-of-1
 * cell has a wide interval, hence a low bound, so it cannot outrank a big cell with a smaller
 * raw lift. Values not listed are pooled as one "rest" cell for the association.
 */
export function rankConcentration(input: ConcentrationInput): ConcentrationResult {
  const parsed = concentrationInputSchema.safeParse(input);
  if (!parsed.success) throw new RangeError(`rankConcentration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const { dimensions, totalAffected: A, totalFleet: N, minSupport, z: zq } = parsed.data;
  const fleetRate = N > 0 ? A / N : 0;

  const ranked = dimensions.map((d): RankedDimension => {
    const cells = d.values.map((v): RankedCell => {
      // Lift from integer products keeps 71/100 over 400/100000 at exactly 177.5.
      const lift = A > 0 && v.fleet > 0 ? (v.affected * N) / (A * v.fleet) : 0;
      return {
        value: v.value,
        affected: v.affected,
        fleet: v.fleet,
        affectedRate: v.fleet > 0 ? v.affected / v.fleet : 0,
        shareOfFault: A > 0 ? v.affected / A : 0,
        shareOfFleet: N > 0 ? v.fleet / N : 0,
        lift,
        score: fleetRate > 0 ? computeWilsonLower(v.affected, v.fleet, zq) / fleetRate : 0,
        hasSupport: v.affected >= minSupport,
      };
    });
    cells.sort(compareCells);
    const listedAffected = d.values.reduce((s, v) => s + v.affected, 0);
    const listedFleet = d.values.reduce((s, v) => s + v.fleet, 0);
    const rest = { affected: A - listedAffected, fleet: N - listedFleet };
    const { chiSquare, association } = computeAssociation([...d.values, rest], A, N);
    const top = cells.find((c) => c.hasSupport && c.lift > 1) ?? null;
    return { dimension: d.dimension, association, chiSquare, cells, top };
  });
  ranked.sort((a, b) => b.association - a.association || (b.top?.score ?? 0) - (a.top?.score ?? 0) || a.dimension.localeCompare(b.dimension));
  return { fleetRate, totalAffected: A, totalFleet: N, dimensions: ranked };
}

/** "71 %", "4.5 %", "0.4 %", "0.045 %": enough digits to be honest, no more. */
export function formatPercent(share: number): string {
  const pct = share * 100;
  if (pct === 0) return "0 %";
  if (pct >= 10) return `${Math.round(pct)} %`;
  if (pct >= 1) return `${Number(pct.toFixed(1))} %`;
  return `${Number(pct.toPrecision(2))} %`;
}

/** "178×" from 177.5; one decimal under 10 ("1.8×"). */
export function formatLift(lift: number): string {
  return lift >= 10 ? `${Math.round(lift)}×` : `${Number(lift.toFixed(1))}×`;
}

const PHRASES: Record<Dimension, { where: (v: string) => string; serves: string }> = {
  gateway: { where: (v) => `are behind ${v}`, serves: "serves" },
  fw_pair: { where: (v) => `run firmware pair ${v}`, serves: "runs on" },
  climate_zone: { where: (v) => `are in climate zone ${v}`, serves: "holds" },
  meter_model: { where: (v) => `are model ${v}`, serves: "makes up" },
  install_year: { where: (v) => `were installed in ${v}`, serves: "makes up" },
  hes_version: { where: (v) => `are served by HES ${v}`, serves: "serves" },
};

/**
 * One sentence for the matrix: the strongest dimension's top value, or a plain
 * "no concentration" when nothing stands out. `dimension` picks a specific one.
 */
export function describeTopCause(fault: string, result: ConcentrationResult, dimension?: string): string {
  const candidates = dimension ? result.dimensions.filter((d) => d.dimension === dimension) : result.dimensions;
  const best = candidates.find((d) => d.top);
  if (!best?.top) {
    const scope = dimension ? `no single ${dimension.replace(/_/g, " ")}` : "no single gateway, firmware, zone, model, cohort or HES version";
    return `${fault}: ${scope} stands out; affected meters are spread like the fleet.`;
  }
  const cell = best.top;
  const phrase = PHRASES[best.dimension as Dimension] ?? { where: (v: string) => `have ${best.dimension} ${v}`, serves: "makes up" };
  return `${fault}: ${formatPercent(cell.shareOfFault)} of affected meters ${phrase.where(cell.value)}, which ${phrase.serves} ${formatPercent(cell.shareOfFleet)} of the fleet (lift ${formatLift(cell.lift)})`;
}
