-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('draft', 'awaiting_approval', 'approved', 'running', 'paused', 'completed', 'aborted');

-- CreateEnum
CREATE TYPE "CampaignTargetState" AS ENUM ('pending', 'excluded', 'leased', 'sent', 'succeeded', 'failed', 'skipped');

-- CreateEnum
CREATE TYPE "CampaignWaveState" AS ENUM ('pending', 'running', 'soaking', 'passed', 'paused', 'failed', 'skipped');

-- CreateEnum
CREATE TYPE "WorkOrderStatus" AS ENUM ('open', 'done', 'cancelled');

-- CreateTable
CREATE TABLE "Campaign" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "jobType" TEXT NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'draft',
    "targetQuery" JSONB NOT NULL,
    "options" JSONB NOT NULL DEFAULT '{}',
    "planSummary" JSONB,
    "createdById" TEXT NOT NULL,
    "createdByEmail" TEXT NOT NULL,
    "approvedById" TEXT,
    "approvedAt" TIMESTAMPTZ(3),
    "creationKey" TEXT NOT NULL,
    "statusReason" TEXT,
    "targetCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignTarget" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "meterId" TEXT NOT NULL,
    "gatewayId" TEXT NOT NULL DEFAULT '',
    "wave" INTEGER NOT NULL DEFAULT -1,
    "canary" BOOLEAN NOT NULL DEFAULT false,
    "state" "CampaignTargetState" NOT NULL DEFAULT 'pending',
    "reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastCode" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMPTZ(3),
    "fence" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CampaignTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignWave" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "isCanary" BOOLEAN NOT NULL DEFAULT false,
    "timezone" TEXT NOT NULL DEFAULT '',
    "size" INTEGER NOT NULL DEFAULT 0,
    "scheduledAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "soakEndsAt" TIMESTAMPTZ(3),
    "state" "CampaignWaveState" NOT NULL DEFAULT 'pending',
    "decision" TEXT,
    "reasons" JSONB NOT NULL DEFAULT '[]',
    "decidedAt" TIMESTAMPTZ(3),

    CONSTRAINT "CampaignWave_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CommandLog" (
    "idempotencyKey" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "meterId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "fence" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'sending',
    "code" TEXT,
    "outcome" JSONB,
    "sentAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "CommandLog_pkey" PRIMARY KEY ("idempotencyKey")
);

-- CreateTable
CREATE TABLE "WorkOrder" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT,
    "meterId" TEXT NOT NULL,
    "jobType" TEXT NOT NULL,
    "assigneeId" TEXT,
    "status" "WorkOrderStatus" NOT NULL DEFAULT 'open',
    "reason" TEXT,
    "readings" JSONB,
    "notes" TEXT,
    "completedById" TEXT,
    "completedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PreventivePlan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "jobType" TEXT NOT NULL,
    "scope" JSONB NOT NULL DEFAULT '{}',
    "interval" JSONB NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "nextRunAt" TIMESTAMPTZ(3) NOT NULL,
    "lastRunAt" TIMESTAMPTZ(3),
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PreventivePlan_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Campaign_creationKey_key" ON "Campaign"("creationKey");

-- CreateIndex
CREATE INDEX "Campaign_status_updatedAt_idx" ON "Campaign"("status", "updatedAt");

-- CreateIndex
CREATE INDEX "Campaign_createdAt_idx" ON "Campaign"("createdAt");

-- CreateIndex
CREATE INDEX "CampaignTarget_campaignId_wave_state_nextAttemptAt_idx" ON "CampaignTarget"("campaignId", "wave", "state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "CampaignTarget_state_leaseExpiresAt_idx" ON "CampaignTarget"("state", "leaseExpiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignTarget_campaignId_meterId_key" ON "CampaignTarget"("campaignId", "meterId");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignWave_campaignId_index_key" ON "CampaignWave"("campaignId", "index");

-- CreateIndex
CREATE INDEX "CommandLog_campaignId_state_idx" ON "CommandLog"("campaignId", "state");

-- CreateIndex
CREATE INDEX "CommandLog_targetId_idx" ON "CommandLog"("targetId");

-- CreateIndex
CREATE INDEX "WorkOrder_status_createdAt_idx" ON "WorkOrder"("status", "createdAt");

-- CreateIndex
CREATE INDEX "WorkOrder_assigneeId_status_idx" ON "WorkOrder"("assigneeId", "status");

-- CreateIndex
CREATE INDEX "WorkOrder_meterId_idx" ON "WorkOrder"("meterId");

-- CreateIndex
CREATE UNIQUE INDEX "WorkOrder_campaignId_meterId_jobType_key" ON "WorkOrder"("campaignId", "meterId", "jobType");

-- CreateIndex
CREATE INDEX "PreventivePlan_enabled_nextRunAt_idx" ON "PreventivePlan"("enabled", "nextRunAt");

-- AddForeignKey
ALTER TABLE "CampaignTarget" ADD CONSTRAINT "CampaignTarget_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignWave" ADD CONSTRAINT "CampaignWave_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkOrder" ADD CONSTRAINT "WorkOrder_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE SET NULL ON UPDATE CASCADE;
