// Waves: which wave of each running campaign is current (loadActive), starting due waves inside
// their windows (LAST_GASP check, claim, preflight, work orders for field steps), gating soaked
// waves, and settling running ones (soak start, or the error budget mid-wave).
import { recordActivity } from "@/lib/activity/trail";
import { findTargetMeters, getWavesHealth, type WaveHealth } from "@/lib/clickhouse/queries/campaigns";
import {
  claimWaves,
  countWaveTargets,
  excludePendingTargets,
  findFirstOpenWaves,
  findReportedFirmware,
  findWaveTargetEvidence,
  findWaveTargets,
  passWaves as passWaveRows,
  startSoaks,
  waveKey,
  type TargetEvidence,
  type WaveRow,
  type WaveTarget,
} from "@/lib/db/campaign-targets";
import { countOutcomes, evaluateWave, type GateDecision, type OutcomeCounts } from "@/lib/scheduling/gates";
import { getJobTypeSpec, type JobType } from "@/lib/scheduling/job-types";
import { createWaveStartCheck } from "@/lib/scheduling/plan";
import { createPreflight } from "@/lib/scheduling/preflight";
import { OPEN_TARGET_STATES, OPEN_WAVE_STATES } from "../lifecycle";
import { abortCampaignAs, commandKey, readOptions, toPlanOptions } from "../service";
import { getFirmwareCatalogue, toPlanMeter } from "../targets";
import { publishWorkOrdersChanged } from "../work-orders";
import { minDate, type Active, type CampaignRow, type DispatchContext, type TickResult } from "./context";
import { countTargetOutcomes, outcomeOf } from "./outcome";

interface WaveTally {
  outcomes: OutcomeCounts;
  nextAttemptAt: Date | null;
  leaseExpiresAt: Date | null;
}

/** The first unfinished wave of each running campaign; campaigns with none are completed once nothing is open. */
export async function loadActive(ctx: DispatchContext, campaigns: CampaignRow[], at: Date): Promise<Active[]> {
  const { db } = ctx;
  if (!campaigns.length) return [];
  // The first unfinished wave per campaign only: a 1 M-meter campaign has 10 000 waves.
  const waves = await findFirstOpenWaves(db, { campaignIds: campaigns.map((c) => c.id), openStates: OPEN_WAVE_STATES });
  const first = new Map<string, WaveRow>(waves.map((w) => [w.campaignId, w]));
  const active: Active[] = [];
  for (const c of campaigns) {
    const wave = first.get(c.id);
    if (!wave) {
      const open = await db.campaignTarget.count({ where: { campaignId: c.id, state: { in: [...OPEN_TARGET_STATES] } } });
      if (open === 0) {
        const moved = await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "completed", finishedAt: at } });
        if (moved.count) await recordActivity({ actor: null, action: "campaign.complete", target: c.id, outcome: "ok" });
      }
      continue;
    }
    const jobType = c.jobType as JobType;
    const options = readOptions(c.options);
    const fotaParams = jobType === "fota" && options.targetFirmware ? { metrology: options.targetFirmware.metrology, comms: options.targetFirmware.comms } : undefined;
    active.push({ c, jobType, spec: getJobTypeSpec(jobType), options, fotaParams, wave });
  }
  return active;
}

/** The targets of many waves in one statement, grouped by wave. */
export async function waveTargets(ctx: DispatchContext, waves: Active[]): Promise<Map<string, TargetEvidence[]>> {
  const { db } = ctx;
  const out = new Map<string, TargetEvidence[]>(waves.map((a) => [waveKey(a.c.id, a.wave.index), []]));
  const rows = await findWaveTargetEvidence(
    db,
    waves.map((a) => ({ campaignId: a.c.id, index: a.wave.index })),
  );
  for (const r of rows) out.get(waveKey(r.campaignId, r.wave))?.push(r);
  return out;
}

/** Outcome counts of many waves in one grouped statement (mid-wave checks need counts, not meter ids). */
export async function waveTallies(ctx: DispatchContext, waves: Active[]): Promise<Map<string, WaveTally>> {
  const { db } = ctx;
  const out = new Map<string, WaveTally>(
    waves.map((a) => [waveKey(a.c.id, a.wave.index), { outcomes: { ok: 0, pending: 0, failed: {} }, nextAttemptAt: null, leaseExpiresAt: null }]),
  );
  if (!waves.length) return out;
  const rows = await countWaveTargets(
    db,
    waves.map((a) => ({ campaignId: a.c.id, index: a.wave.index })),
  );
  for (const r of rows) {
    const tally = out.get(waveKey(r.campaignId, r.wave));
    if (!tally) continue;
    countTargetOutcomes([r], tally.outcomes);
    if (r.state === "pending") tally.nextAttemptAt = minDate(tally.nextAttemptAt, r.nextAt);
    if (r.state === "leased") tally.leaseExpiresAt = minDate(tally.leaseExpiresAt, r.leaseAt);
  }
  return out;
}

/**
 * The firmware pair each succeeded fota target's answer reported (its CommandLog outcome,
 * looked up by key), keyed "campaign|meter". Other job types need none.
 */
export async function reportedFirmware(ctx: DispatchContext, waves: Active[], evidence: Map<string, TargetEvidence[]>): Promise<Map<string, { metrology: string; comms: string }>> {
  const { db } = ctx;
  const out = new Map<string, { metrology: string; comms: string }>();
  const keys: string[] = [];
  for (const a of waves) {
    if (a.jobType !== "fota") continue;
    for (const x of evidence.get(waveKey(a.c.id, a.wave.index)) ?? []) if (x.state === "succeeded") keys.push(commandKey(a.c.id, x.meterId, a.jobType, x.attempts));
  }
  if (!keys.length) return out;
  const rows = await findReportedFirmware(db, keys);
  for (const r of rows) if (r.metrology && r.comms) out.set(`${r.campaignId}|${r.meterId}`, { metrology: r.metrology, comms: r.comms });
  return out;
}

export function thresholdsOf(a: Active) {
  const th = a.options.thresholds;
  return { successPct: th.successPct, maxErrors: { pct: th.maxErrorPct, count: th.maxErrorCount }, onBreach: th.onBreach };
}

/** Applies a gate's decision if the wave is still in `from` (one worker decides a wave); false if another worker did. */
export async function applyDecision(
  ctx: DispatchContext,
  a: Active,
  from: "pending" | "running" | "soaking",
  decision: GateDecision,
  reasons: { code: string; message: string }[],
  at: Date,
): Promise<boolean> {
  const { db } = ctx;
  const { c, wave } = a;
  const text = reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
  const to = decision === "continue" ? "passed" : decision === "pause" ? "paused" : decision === "abort" ? "failed" : null;
  if (!to) return false;
  const moved = await db.campaignWave.updateMany({ where: { id: wave.id, state: from }, data: { state: to, decision, reasons, decidedAt: at } });
  if (!moved.count) return false;
  if (decision === "pause") {
    await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "paused", statusReason: `gate of wave ${wave.index}: ${text}`.slice(0, 1000) } });
  } else if (decision === "abort") {
    await abortCampaignAs(c.id, `gate of wave ${wave.index}: ${text}`.slice(0, 1000), at).catch(() => {});
  }
  await recordActivity({
    actor: null,
    action: "campaign.gate",
    target: c.id,
    outcome: decision === "continue" ? "ok" : "failed",
    details: { wave: wave.index, decision, reasons },
  });
  return true;
}

/**
 * Wave start for many waves: preflight re-run on current state (the ClickHouse read was
 * started by startDueWaves beside its LAST_GASP check); field steps become work orders.
 */
export async function beginWaves(
  ctx: DispatchContext,
  started: Active[],
  at: Date,
  pendingTargets: WaveTarget[],
  meterRows: Promise<Awaited<ReturnType<typeof findTargetMeters>>>,
) {
  const { db } = ctx;
  if (!started.length) return;
  const isStarted = new Set(started.map((a) => waveKey(a.c.id, a.wave.index)));
  const targets = pendingTargets.filter((t) => isStarted.has(waveKey(t.campaignId, t.wave)));
  const excluded: { id: string; code: string | null; reason: string }[] = [];
  if (targets.length) {
    const catalogue = started.some((a) => a.jobType === "fota") ? await getFirmwareCatalogue() : undefined;
    const rows = await meterRows;
    const byMeter = new Map(rows.map((r) => [r.meter, r]));
    const checks = new Map(started.map((a) => [a.c.id, createPreflight({ jobType: a.jobType, catalogue, targetFirmware: a.options.targetFirmware }, at)]));
    for (const t of targets) {
      const row = byMeter.get(t.meterId);
      const result = row ? checks.get(t.campaignId)!(toPlanMeter(row)) : { ok: false as const, reasons: [{ code: "METER_UNKNOWN", message: "no longer in the fleet inventory" }] };
      if (!result.ok)
        excluded.push({
          id: t.id,
          code: result.reasons[0]?.code ?? null,
          reason: `preflight at dispatch: ${result.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")}`.slice(0, 1000),
        });
    }
    await excludePendingTargets(db, { excluded, at });
  }
  const excludedIds = new Set(excluded.map((e) => e.id));
  for (const a of started) {
    if (a.spec.execution !== "field") continue;
    // The wave's pending targets were read above; those preflight just excluded get no order.
    const open = targets.filter((t) => t.campaignId === a.c.id && t.wave === a.wave.index && !excludedIds.has(t.id));
    const made = await db.workOrder.createMany({
      data: open.map((t) => ({ campaignId: a.c.id, meterId: t.meterId, jobType: a.jobType, reason: `campaign wave ${a.wave.index}` })),
      skipDuplicates: true,
    });
    if (made.count) publishWorkOrdersChanged("created", made.count);
    // Exactly the targets that got an order (the ids read above), nothing the read did not see.
    await db.campaignTarget.updateMany({ where: { id: { in: open.map((t) => t.id) }, state: "pending" }, data: { state: "sent", updatedAt: at } });
  }
}

/** Gates of soaked waves, batched: one evidence read, one health scan per group of waves without shared meters, one LAST_GASP read. */
export async function gateSoakedWaves(ctx: DispatchContext, soaked: Active[], result: TickResult) {
  const { now, timed } = ctx;
  if (!soaked.length) return;
  const t = now();
  const evidence = await timed("pg:waveTargets", () => waveTargets(ctx, soaked));
  // The health scan leaves out the waves' own step lines (still on their way to ClickHouse,
  // perhaps): what they say comes from the targets' outcomes here.
  const reported = await timed("pg:fotaOutcomes", () => reportedFirmware(ctx, soaked, evidence));
  const inputs = soaked.map((a) => {
    const targets = evidence.get(waveKey(a.c.id, a.wave.index)) ?? [];
    const counted = targets.map((x) => ({ meterId: x.meterId, outcome: outcomeOf(x) })).filter((x) => x.outcome !== null);
    const outcomes = countOutcomes(counted.map((x) => x.outcome!));
    const target = a.jobType === "fota" ? a.options.targetFirmware : null;
    const answered = targets.filter((x) => x.state === "succeeded");
    const own = {
      answered: answered.map((x) => x.meterId),
      onTarget: target
        ? answered
            .filter((x) => {
              const fw = reported.get(`${a.c.id}|${x.meterId}`);
              return fw?.metrology === target.metrology && fw.comms === target.comms;
            })
            .map((x) => x.meterId)
        : [],
      mismatched: targets.filter((x) => x.lastCode === "FW_HASH_MISMATCH").map((x) => x.meterId),
    };
    return { a, targets, outcomes, own, meters: counted.map((x) => x.meterId) };
  });
  // A meter may be in two campaigns' waves at once: such waves go to separate health scans.
  const groups: (typeof inputs)[] = [];
  for (const x of inputs) {
    if (!x.meters.length) continue;
    const g = groups.find((g) => !g.some((y) => y.meters.some((m) => x.meters.includes(m))));
    if (g && g.length < 200) g.push(x);
    else groups.push([x]);
  }
  // The LAST_GASP read does not depend on the health scans: both go to chDB at once.
  const gaspRead = ctx.gasp.rates(
    inputs.map((x) => [...new Set(x.targets.map((y) => y.gatewayId))]),
    ctx.tickAt,
  );
  gaspRead.catch(() => {}); // awaited below; a health scan failing first must not leave it unhandled
  const health = new Map<Active, WaveHealth>();
  for (const g of groups) {
    const rows = await timed("ch:health", () =>
      getWavesHealth(
        g.map(({ a, meters, own }) => ({
          campaignId: a.c.id,
          step: a.jobType,
          meters,
          own,
          from: (a.wave.startedAt ?? a.wave.scheduledAt).getTime(),
          to: t.getTime() + 1,
          targetFirmware: a.jobType === "fota" ? (a.options.targetFirmware ?? null) : null,
        })),
      ),
    );
    g.forEach((x, i) => health.set(x.a, rows[i]!));
  }
  const gasp = await gaspRead;
  const passes: { a: Active; reasons: { code: string; message: string }[] }[] = [];
  for (const [i, { a, outcomes }] of inputs.entries()) {
    const th = a.options.thresholds;
    const gate = evaluateWave(
      { outcomes, healthAfterSoak: health.get(a) ?? { reRegistered: 0, hashMatches: null, newFaults: {} }, soakEndsAt: a.wave.soakEndsAt ?? t },
      thresholdsOf(a),
      { regionLastGaspPerMin: gasp[i]!, stormThreshold: th.lastGaspPerMin },
      t,
    );
    if (gate.decision === "wait") {
      result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + 30_000));
      continue;
    }
    if (gate.decision === "continue") {
      passes.push({ a, reasons: gate.reasons });
      continue;
    }
    if (!(await applyDecision(ctx, a, "soaking", gate.decision, gate.reasons, t))) continue;
    result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: gate.decision });
  }
  await passWaves(ctx, passes, t, result);
}

/**
 * The common gate outcome for many waves in two statements (the wave moves on only if it
 * is still soaking: one worker decides a wave), instead of two per wave as applyDecision.
 */
export async function passWaves(ctx: DispatchContext, passes: { a: Active; reasons: { code: string; message: string }[] }[], at: Date, result: TickResult) {
  const { db } = ctx;
  if (!passes.length) return;
  const moved = await passWaveRows(db, { passes: passes.map((p) => ({ waveId: p.a.wave.id, reasons: p.reasons })), at });
  const won = passes.filter((p) => moved.has(p.a.wave.id));
  if (!won.length) return;
  await db.activityEvent.createMany({
    data: won.map(({ a, reasons }) => ({
      actorId: null,
      actorEmail: null,
      action: "campaign.gate",
      target: a.c.id,
      outcome: "ok" as const,
      details: { wave: a.wave.index, decision: "continue", reasons },
    })),
  });
  for (const { a } of won) result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "continue" });
  result.nextWakeAt = minDate(result.nextWakeAt, at);
}

/** Due pending waves: LAST_GASP check (one read for all), claim, preflight (one read for all). Returns the waves now running. */
export async function startDueWaves(ctx: DispatchContext, pending: Active[], result: TickResult): Promise<Active[]> {
  const { db, now, timed } = ctx;
  const at = now();
  const scheduled = pending.filter((a) => {
    if (at >= a.wave.scheduledAt) return true;
    result.nextWakeAt = minDate(result.nextWakeAt, a.wave.scheduledAt);
    return false;
  });
  const due = await waitForWindows(ctx, scheduled, at, result);
  if (!due.length) return [];
  // One read of the due waves' targets serves the LAST_GASP check (their gateways) and the
  // preflight (their pending meters), whose ClickHouse read goes beside the LAST_GASP one.
  const targets = await findWaveTargets(
    db,
    due.map((a) => ({ campaignId: a.c.id, index: a.wave.index })),
  );
  const pendingTargets = targets.filter((t) => t.state === "pending");
  const meterRows = pendingTargets.length
    ? timed("ch:preflight", () => findTargetMeters({ meters: [...new Set(pendingTargets.map((t) => t.meterId))] }, { now: at.getTime() }))
    : Promise.resolve([]);
  meterRows.catch(() => {}); // awaited in beginWaves; a storm pause may leave it unread
  const gwsOf = new Map<string, Set<string>>();
  for (const t of targets) {
    const k = waveKey(t.campaignId, t.wave);
    const set = gwsOf.get(k);
    if (set) set.add(t.gatewayId);
    else gwsOf.set(k, new Set([t.gatewayId]));
  }
  const perWave = due.map((a) => [...(gwsOf.get(waveKey(a.c.id, a.wave.index)) ?? [])]);
  const gasp = await ctx.gasp.rates(perWave, ctx.tickAt);
  const toClaim: Active[] = [];
  for (const [i, a] of due.entries()) {
    const limit = a.options.thresholds.lastGaspPerMin;
    if (gasp[i]! >= limit) {
      if (
        !(await applyDecision(
          ctx,
          a,
          "pending",
          "pause",
          [{ code: "LAST_GASP_STORM", message: `${gasp[i]!.toFixed(1)} last-gasp messages/min behind this wave's gateways, at or above ${limit}` }],
          at,
        ))
      )
        continue;
      result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "pause" });
    } else toClaim.push(a);
  }
  if (!toClaim.length) return [];
  // Preflight before the wave shows as running: no worker may lease a target preflight would exclude.
  await beginWaves(ctx, toClaim, at, pendingTargets, meterRows);
  const claimedIds = await claimWaves(db, { waveIds: toClaim.map((a) => a.wave.id), at });
  const claimed = toClaim.filter((a) => claimedIds.has(a.wave.id));
  for (const a of claimed) a.wave = { ...a.wave, state: "running", startedAt: at };
  return claimed;
}

/**
 * A due wave starts only inside its zone's allowed window (off-peak, not a blackout date): a wave
 * that is late (approved, resumed or retried past its slot) or whose time falls outside it is moved
 * to the next slot where its whole run fits and waits for it; with no slot ahead the campaign pauses.
 */
export async function waitForWindows(ctx: DispatchContext, due: Active[], at: Date, result: TickResult): Promise<Active[]> {
  const { db } = ctx;
  const ready: Active[] = [];
  for (const a of due) {
    const check = createWaveStartCheck(a.jobType, toPlanOptions(a.options));
    const verdict = check ? check(a.wave, at) : { ok: true as const };
    if (verdict.ok) {
      ready.push(a);
      continue;
    }
    if (!verdict.next) {
      const reason = { code: "NO_WINDOW", message: `no allowed window for wave ${a.wave.index} (${a.wave.timezone}) within the search horizon` };
      if (await applyDecision(ctx, a, "pending", "pause", [reason], at)) result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "pause" });
      continue;
    }
    const { startAt, windowStart, windowEnd } = verdict.next;
    await db.campaignWave.updateMany({ where: { id: a.wave.id, state: "pending" }, data: { scheduledAt: startAt, windowStart, windowEnd } });
    a.wave = { ...a.wave, scheduledAt: startAt, windowStart, windowEnd };
    result.nextWakeAt = minDate(result.nextWakeAt, startAt);
  }
  return ready;
}

/** After sending: a wave with nothing open starts its soak; otherwise the error budget is checked mid-wave. */
export async function settleRunningWaves(ctx: DispatchContext, running: Active[], result: TickResult) {
  const { db, now, timed } = ctx;
  if (!running.length) return;
  const t = now();
  const tallies = await timed("pg:tallies", () => waveTallies(ctx, running));
  // Soak starts of all finished waves in one statement.
  const soaks: { id: string; endsAt: Date }[] = [];
  for (const a of running) {
    const tally = tallies.get(waveKey(a.c.id, a.wave.index))!;
    if (tally.outcomes.pending === 0) {
      const soakMs = (a.options.soakMinutes ?? a.spec.soakMinutes) * 60_000;
      soaks.push({ id: a.wave.id, endsAt: new Date(t.getTime() + soakMs) });
      result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + soakMs));
      continue;
    }
    // Mid-wave: failures alone may already break the error budget (an operator's resume accepts them).
    if (a.wave.decision !== "resumed") {
      const gate = evaluateWave(
        { outcomes: tally.outcomes, healthAfterSoak: null, soakEndsAt: null },
        thresholdsOf(a),
        { regionLastGaspPerMin: 0, stormThreshold: a.options.thresholds.lastGaspPerMin },
        t,
      );
      if (gate.decision === "pause" || gate.decision === "abort") {
        if (
          !(await applyDecision(
            ctx,
            a,
            "running",
            gate.decision,
            gate.reasons.filter((r) => r.code !== "SOAKING"),
            t,
          ))
        )
          continue;
        result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: gate.decision });
        continue;
      }
    }
    result.nextWakeAt = minDate(minDate(result.nextWakeAt, tally.nextAttemptAt), tally.leaseExpiresAt);
  }
  await startSoaks(db, soaks);
}
