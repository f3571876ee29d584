-- AlterTable
ALTER TABLE "PreventivePlan" ADD COLUMN     "defaultKey" TEXT,
ADD COLUMN     "leaseExpiresAt" TIMESTAMPTZ(3),
ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "lookaheadDays" INTEGER NOT NULL DEFAULT 30,
ADD COLUMN     "rule" JSONB NOT NULL DEFAULT '{"kind":"interval","baseMonths":24,"zoneFactors":{},"floorMonths":6}',
ADD COLUMN     "triggers" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "MaintenanceDueItem" (
    "id" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "meterId" TEXT NOT NULL,
    "dueDate" DATE NOT NULL,
    "jobType" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "workOrderId" TEXT,
    "campaignId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MaintenanceDueItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MaintenancePlanRun" (
    "id" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL DEFAULT 'running',
    "dueCount" INTEGER NOT NULL DEFAULT 0,
    "itemsCreated" INTEGER NOT NULL DEFAULT 0,
    "workOrders" INTEGER NOT NULL DEFAULT 0,
    "campaignIds" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,

    CONSTRAINT "MaintenancePlanRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CrewCapacity" (
    "district" TEXT NOT NULL,
    "technicians" INTEGER NOT NULL,
    "hoursPerWeek" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CrewCapacity_pkey" PRIMARY KEY ("district")
);

-- CreateIndex
CREATE INDEX "MaintenanceDueItem_runId_idx" ON "MaintenanceDueItem"("runId");

-- CreateIndex
CREATE INDEX "MaintenanceDueItem_meterId_idx" ON "MaintenanceDueItem"("meterId");

-- CreateIndex
CREATE UNIQUE INDEX "MaintenanceDueItem_planId_meterId_dueDate_key" ON "MaintenanceDueItem"("planId", "meterId", "dueDate");

-- CreateIndex
CREATE INDEX "MaintenancePlanRun_planId_startedAt_idx" ON "MaintenancePlanRun"("planId", "startedAt");

-- CreateIndex
CREATE INDEX "MaintenancePlanRun_startedAt_idx" ON "MaintenancePlanRun"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "PreventivePlan_defaultKey_key" ON "PreventivePlan"("defaultKey");
-- The default plans (lib/scheduling/maintenance.ts DEFAULT_PLANS), as data a utility edits in the Schedule area.
-- Shipped switched off: turning one on makes its whole backlog at the next run, so an operator
-- looks at its due list and forecast first.
INSERT INTO "PreventivePlan" ("id", "name", "jobType", "scope", "interval", "rule", "triggers", "lookaheadDays", "defaultKey", "enabled", "nextRunAt", "createdById") VALUES
  ('plan_inspection', 'Inspection', 'inspect', '{}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"interval","baseMonths":24,"zoneFactors":{"hot-humid":2,"hot-dry":1.5,"temperate":1,"cold":1.2},"floorMonths":6}'::jsonb, '{}'::jsonb, 30, 'inspection', false, now(), 'system'),
  ('plan_reverification', 'Re-verification', 'calibrate', '{"kinds":["electric"]}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"interval","baseMonths":60,"zoneFactors":{},"floorMonths":12}'::jsonb, '{"driftPct":0.3,"faultRate":{"code":"E001","perMonth":1}}'::jsonb, 30, 'reverification', false, now(), 'system'),
  ('plan_battery_audit', 'Battery audit', 'battery_audit', '{"kinds":["gas","water"]}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"interval","baseMonths":12,"zoneFactors":{},"floorMonths":3}'::jsonb, '{"batteryV":3.1}'::jsonb, 14, 'battery-audit', false, now(), 'system'),
  ('plan_supercap', 'Supercap last-gasp test', 'battery_audit', '{"kinds":["electric"]}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"interval","baseMonths":12,"zoneFactors":{"hot-humid":1.5,"hot-dry":1.5},"floorMonths":6}'::jsonb, '{}'::jsonb, 14, 'supercap', false, now(), 'system'),
  ('plan_cert_renewal', 'Certificate renewal', 'cert_renew', '{}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"before_cert_expiry","leadDays":60}'::jsonb, '{}'::jsonb, 7, 'cert-renewal', false, now(), 'system'),
  ('plan_firmware_integrity', 'Firmware integrity check', 'fw_verify', '{}'::jsonb, '{"everyDays":1}'::jsonb, '{"kind":"interval","baseMonths":3,"zoneFactors":{},"floorMonths":1}'::jsonb, '{}'::jsonb, 7, 'firmware-integrity', false, now(), 'system')
ON CONFLICT DO NOTHING;
