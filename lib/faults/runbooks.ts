// Runbooks for the troubleshooting matrix: what a field or NOC engineer does
// about each fault family. Plain text only; the page renders it as text.

export interface Runbook {
  slug: string;
  title: string;
  /** Fault signature ids (lib/faults/catalogue.ts) this runbook is for. */
  appliesTo: string[];
  summary: string;
  steps: string[];
  /** How to tell the fix worked. */
  verification: string[];
  /** When and to whom to hand it on. */
  escalation: string;
  /** Other runbook slugs worth reading next. */
  related: string[];
}

export const RUNBOOKS: Runbook[] = [
  {
    slug: "bricked-meter-after-fota",
    title: "Recovering a meter after a failed firmware update",
    appliesTo: ["FOTA_FAILED"],
    summary:
      "A FOTA that stops half way can leave the application partition unusable. Every meter keeps a read-only golden image for this case; the job is to boot it locally and then run the update again.",
    steps: [
      "Check in the console whether the meter has reported anything since the failed job. If it has, it is not bricked: re-run the job on its own.",
      "Send a technician with an optical probe. Clean the optical port first so the session does not drop.",
      "Over the optical port, trigger the factory reset so the bootloader skips the damaged application partition and starts the golden image.",
      "Wait for the meter to rejoin the mesh and send a heartbeat.",
      "Re-apply the firmware job to this meter alone, at an off-peak hour, before putting it back into any wave.",
    ],
    verification: ["A heartbeat arrives and the meter answers a read.", "The firmware version and fw_sha256 match the target build after the re-run."],
    escalation: "If the golden image does not boot, or several meters of one model brick on the same build, stop the campaign and send the build and serial numbers to the vendor.",
    related: ["firmware-under-load", "firmware-integrity", "hes-fota-readiness"],
  },
  {
    slug: "periodic-packet-loss",
    title: "Packet loss that comes and goes in a stable mesh",
    appliesTo: ["E105", "snr_low"],
    summary:
      "When a mesh that used to be healthy starts losing packets at some hours or in some seasons, the cause is usually outside the network: intermittent interference, a hidden node, or something new in the signal path such as growing trees or a new building.",
    steps: [
      "Plot E105 counts for the gateway by hour of day and by week to see whether the loss follows a pattern.",
      "Check whether the affected meters share a direction from the gateway; a new obstacle tends to hit one sector.",
      "Run a spectrum scan at the times the loss happens to catch intermittent transmitters.",
      "Look for hidden-node pairs: meters that both reach the gateway but cannot hear each other.",
      "Raise the transmit-power index for the cluster or add a range extender, then watch for a week.",
    ],
    verification: ["E105 rate behind the gateway back to its usual range for at least a week.", "SNR above 15 dB on the affected meters."],
    escalation: "If a licensed or unknown transmitter is found, hand it to the RF planning team; do not keep raising power.",
    related: ["rf-timeout", "low-snr"],
  },
  {
    slug: "metrology-reverification-interval",
    title: "How often to re-verify metrology constants",
    appliesTo: ["E001", "led_red_blinking"],
    summary:
      "By default each meter gets a physical accuracy check every five years. Where the console shows drift, that interval should shorten: condition-based checks catch failing components earlier than a fixed calendar.",
    steps: [
      "Keep the five-year physical verification as the upper bound for every meter.",
      "Bring a cohort forward when its accuracy_err_pct trend moves towards the class limit, or its E001 rate rises above the fleet rate.",
      "Use the anomaly view per model and install year to pick cohorts, not single meters.",
      "Record every verification so the next due date can be computed from the last real check.",
    ],
    verification: ["No meter is past its five-year date.", "Cohorts flagged for drift have a verification scheduled."],
    escalation: "If a whole model or batch drifts, raise it with the vendor and the metrology compliance lead.",
    related: ["metrology-drift"],
  },
  {
    slug: "firmware-under-load",
    title: "Firmware updates while the meter is under heavy load",
    appliesTo: ["FOTA_FAILED", "LAST_GASP", "HES_TIMEOUT"],
    summary:
      "Updating under load works but is not advised: writing flash draws power and can cause small voltage dips, which show up as false last-gasp events or failed writes. Run firmware jobs in off-peak hours.",
    steps: [
      "Set the campaign window to the local off-peak hours of the affected area.",
      "Keep waves small so gateways are not busy with both load-peak reads and firmware blocks.",
      "If last-gasp events appear during a wave with no outage behind them, pause the wave and move it later.",
    ],
    verification: ["No last-gasp spike during firmware waves.", "FOTA success rate steady across waves."],
    escalation: "If false last-gasp events persist off-peak, send examples to the vendor: the power supply design may be marginal.",
    related: ["bricked-meter-after-fota", "last-gasp-supercap", "hes-timeout"],
  },
  {
    slug: "metrology-drift",
    title: "Calibration drift (E001, red LED blinking)",
    appliesTo: ["E001", "led_red_blinking"],
    summary: "The metrology checksum no longer matches the reference. Ageing parts in the voltage divider are the usual cause; the meter may be billing wrong until it is checked.",
    steps: [
      "Confirm the fault: E001 on the meter, a red blinking LED, or accuracy_err_pct outside the class.",
      "On site, inspect the voltage-divider resistors for ageing or heat marks.",
      "Connect a reference standard, sync it to the meter's pulse output, and compare energy at 15 A, 30 A and 60 A.",
      "If the error is outside the class, recalibrate; if parts are damaged, replace the meter.",
    ],
    verification: ["Error within class at all three loads.", "No new E001 for 30 days."],
    escalation: "Several meters of one model or batch drifting together: treat as a product issue and inform the vendor and compliance.",
    related: ["metrology-reverification-interval", "hotspot"],
  },
  {
    slug: "tamper",
    title: "Tamper event (E042)",
    appliesTo: ["E042"],
    summary: "The magnetic sensor or the cover switch fired. It may be theft, a curious customer, or a faulty switch; the site visit decides.",
    steps: [
      "Check whether the event lines up with a planned visit or a job on the same meter.",
      "Read the tamper status register to see which sensor fired.",
      "Visit: check the seal, the cover and the terminal cover; photograph anything broken.",
      "Compare consumption before and after the event.",
      "Reseal and record the new seal number.",
    ],
    verification: ["Tamper status clear after resealing.", "Consumption pattern back to normal."],
    escalation: "Evidence of bypass or repeated events: hand over to revenue protection.",
    related: ["hotspot"],
  },
  {
    slug: "rf-timeout",
    title: "RF timeout (E105)",
    appliesTo: ["E105"],
    summary: "The meter did not answer after retries. The cause is in the RF path: interference, a weak neighbour set, or a damaged antenna.",
    steps: [
      "Check whether the fault is concentrated behind one gateway; if so, start at the gateway.",
      "Read the neighbour table: how many neighbours, their RSSI and LQI.",
      "Run a spectrum scan of the 900 MHz ISM band near the meter.",
      "Check the antenna mount for corrosion and loose connectors, and the seal for moisture.",
      "Reset the comms module if the radio itself seems stuck.",
    ],
    verification: ["Reads succeed on the first try.", "E105 rate behind the gateway back to its usual range."],
    escalation: "A whole gateway affected: hand to network operations for the gateway and its backhaul.",
    related: ["periodic-packet-loss", "low-snr", "comm-module-link"],
  },
  {
    slug: "comm-module-link",
    title: "Comms module link lost (amber LED steady)",
    appliesTo: ["led_amber_steady"],
    summary: "The comms module has no link. Often it is a stuck stack that a restart clears; if not, it becomes an RF problem.",
    steps: [
      "Restart the comms stack remotely if any path reaches the meter, otherwise on site.",
      "Watch the syslog during re-association for errors.",
      "If the link does not return, follow the RF timeout runbook.",
    ],
    verification: ["LED back to green steady.", "Heartbeats arriving again."],
    escalation: "Repeated link losses on one model: send logs to the vendor.",
    related: ["rf-timeout"],
  },
  {
    slug: "certificate",
    title: "Root certificate expired or expiring",
    appliesTo: ["CERT_EXPIRED", "cert_expiring"],
    summary: "Without a valid root certificate, the meter cannot open a secure maintenance session, so every automated job against it fails.",
    steps: [
      "List meters whose certificate ends within 30 days, grouped by gateway.",
      "Schedule certificate renewal jobs for them before the end date.",
      "For meters already expired, renew through the path the vendor supports for expired certificates (often on site).",
      "Retry the jobs that failed because of the certificate.",
    ],
    verification: ["cert_not_after in the future on renewed meters.", "Maintenance sessions succeed again."],
    escalation: "Many certificates expiring at once means a provisioning batch problem: inform the PKI owner.",
    related: ["tls-handshake"],
  },
  {
    slug: "firmware-integrity",
    title: "Firmware hash mismatch",
    appliesTo: ["FW_HASH_MISMATCH"],
    summary: "The running build's hash is not the one published for that version. The image is corrupt or has been changed; do not trust the meter's data until it is fixed.",
    steps: [
      "Compare fw_sha256 with the repository hash for the reported version.",
      "Start the firmware recovery boot and re-flash a signed image.",
      "Check whether other meters behind the same gateway or from the same job show the same hash.",
    ],
    verification: ["Hash matches the repository.", "No further mismatch events."],
    escalation: "Same wrong hash on several meters: treat as a security incident and inform the security team.",
    related: ["bricked-meter-after-fota"],
  },
  {
    slug: "ipc-mismatch",
    title: "Metrology and comms firmware out of step",
    appliesTo: ["IPC_ERROR", "fw_pair_incompatible"],
    summary: "The metrology board and comms module must run firmware versions that work together. Updating one without the other breaks their internal link.",
    steps: [
      "Group affected meters by their firmware pair.",
      "Check each pair against the compatibility list.",
      "Plan one job that brings both stacks to a compatible pair.",
      "Change campaign templates so the two stacks are never updated separately again.",
    ],
    verification: ["All meters on a compatible pair.", "IPC_ERROR count at zero for the cohort."],
    escalation: "A pair listed as compatible still failing: send the versions to the vendor.",
    related: ["bricked-meter-after-fota"],
  },
  {
    slug: "tls-handshake",
    title: "TLS handshake failures",
    appliesTo: ["TLS_HANDSHAKE"],
    summary: "Secure maintenance sessions fail to start. The usual cause is on the head-end: crypto libraries that differ between nodes or no longer match what meters offer.",
    steps: [
      "Check whether failures follow one HES node.",
      "Compare OpenSSL or TLS library versions across HES nodes.",
      "Rule out certificates: expired or soon-to-expire roots give the same symptom.",
      "Align the library versions and retry the failed sessions.",
    ],
    verification: ["Handshakes succeed from every HES node."],
    escalation: "Hand to the head-end platform team if libraries are aligned and failures continue.",
    related: ["certificate", "hes-timeout"],
  },
  {
    slug: "hes-timeout",
    title: "Head-end timeouts in a maintenance window",
    appliesTo: ["HES_TIMEOUT"],
    summary: "The head-end gave up because too much traffic was in flight: too many meters addressed together on the same gateways.",
    steps: [
      "Find the wave and the gateways where the timeouts happened.",
      "Cut the wave into smaller, staggered groups (about a hundred meters per gateway at a time).",
      "Retry the timed-out meters in the next window.",
    ],
    verification: ["Timeouts below 1 % of the wave."],
    escalation: "Timeouts with small waves: hand to the head-end platform team for capacity.",
    related: ["firmware-under-load", "hes-fota-readiness"],
  },
  {
    slug: "hes-fota-readiness",
    title: "Head-end version before a firmware campaign",
    appliesTo: ["hes_below_fota"],
    summary: "Bulk FOTA needs head-end 4.2.0 or newer. Starting a firmware campaign on an older head-end risks failed and partial updates.",
    steps: ["Check the head-end version before scheduling the campaign.", "Upgrade the head-end first, then schedule the firmware waves."],
    verification: ["Head-end reports 4.2.0 or later."],
    escalation: "If the upgrade cannot happen before the campaign date, move the campaign.",
    related: ["bricked-meter-after-fota", "hes-timeout"],
  },
  {
    slug: "last-gasp-supercap",
    title: "Last gasp and supercapacitor health",
    appliesTo: ["LAST_GASP", "SUPERCAP_FAIL"],
    summary:
      "A last gasp is the meter's final message on stored energy when mains power goes. Missing or false last-gasp messages point at the supercapacitor or at firmware writes.",
    steps: [
      "Correlate last-gasp events with known outages on the feeder or transformer.",
      "Last gasp with no outage during a firmware wave: see the firmware-under-load runbook.",
      "Outage with no last gasp, or SUPERCAP_FAIL: simulate an outage with the isolation switch and watch for the message.",
      "Replace the supercapacitor or the meter if the test fails.",
    ],
    verification: ["A simulated outage produces a last-gasp message.", "The clock survives the outage."],
    escalation: "A model failing this test in numbers: raise with the vendor.",
    related: ["firmware-under-load", "clock-drift"],
  },
  {
    slug: "battery",
    title: "Low battery on gas and water meters",
    appliesTo: ["BATTERY_LOW"],
    summary: "Battery meters stop reporting when the cell runs out. Replace the battery ahead of that, in groups by area.",
    steps: [
      "List meters below the threshold with their last voltage readings.",
      "Check the battery trend to estimate how long each has left.",
      "Batch replacements by area to save trips.",
    ],
    verification: ["Voltage back above the threshold after replacement."],
    escalation: "Batteries dying well before their rated life: raise with the vendor, the reporting interval may be too frequent.",
    related: [],
  },
  {
    slug: "hotspot",
    title: "Terminal hotspot above 60 °C",
    appliesTo: ["HOTSPOT", "terminal_hot"],
    summary: "Heat at the terminal block means a poor, high-resistance connection. It is a fire risk and also skews the measurement.",
    steps: [
      "Prioritise the visit: this is a safety issue.",
      "Measure the terminal block with an IR thermometer.",
      "Look for arcing, discoloured insulation and loose terminals; tighten or replace.",
      "Check accuracy afterwards: heat may have damaged the metrology parts.",
    ],
    verification: ["Terminal temperature back below 60 °C under load."],
    escalation: "Signs of arcing or melting: isolate the supply and call the safety team.",
    related: ["metrology-drift"],
  },
  {
    slug: "low-snr",
    title: "Mesh SNR below 15 dB",
    appliesTo: ["LOW_SNR", "snr_low"],
    summary: "Below 15 dB the mesh has too little margin for reliable bulk commands such as firmware updates.",
    steps: [
      "Check antenna mount and cables on the affected meters.",
      "Compare with neighbours on the same gateway to see whether the noise is local or area-wide.",
      "Raise the transmit-power index or add a range extender for the cluster.",
      "Hold firmware jobs for the cluster until SNR is back above 15 dB.",
    ],
    verification: ["SNR above 15 dB for a week."],
    escalation: "Area-wide low SNR: hand to RF planning.",
    related: ["periodic-packet-loss", "rf-timeout"],
  },
  {
    slug: "clock-drift",
    title: "Meter clock drift",
    appliesTo: ["clock_drift"],
    summary: "The meter's time differs from the head-end's receive time by more than a second. Interval data gets booked to the wrong period.",
    steps: [
      "Check whether every meter on one head-end drifts the same way: then the head-end clock is wrong.",
      "Otherwise check time sync on the meter and its RTC.",
      "A clock that resets after outages points to a weak supercapacitor.",
    ],
    verification: ["Offset within 1 s on the next events."],
    escalation: "Drift across a model: raise with the vendor.",
    related: ["last-gasp-supercap"],
  },
];

export function findRunbook(slug: string): Runbook | undefined {
  return RUNBOOKS.find((r) => r.slug === slug);
}
