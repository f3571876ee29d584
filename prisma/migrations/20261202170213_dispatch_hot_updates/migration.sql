-- DropIndex
DROP INDEX "CampaignTarget_campaignId_wave_state_nextAttemptAt_idx";

-- DropIndex
DROP INDEX "CampaignTarget_state_leaseExpiresAt_idx";

-- DropIndex
DROP INDEX "CommandLog_campaignId_state_idx";

-- CreateIndex
CREATE INDEX "CampaignTarget_campaignId_wave_idx" ON "CampaignTarget"("campaignId", "wave");

-- CreateIndex
CREATE INDEX "CampaignWave_state_idx" ON "CampaignWave"("state");

-- CreateIndex
CREATE INDEX "CampaignWave_decidedAt_idx" ON "CampaignWave"("decidedAt");

-- CreateIndex
CREATE INDEX "CommandLog_campaignId_idx" ON "CommandLog"("campaignId");

-- Room on each page for a row's next version. A dispatcher update that changes no indexed
-- column and finds room on the row's page rewrites it in place and writes no index entry
-- (a HOT update): leasing a target and storing its outcome, finishing a command's log row.
-- Applies to pages written from now on (targets frozen by later campaign starts).
ALTER TABLE "CampaignTarget" SET (fillfactor = 50);
ALTER TABLE "CommandLog" SET (fillfactor = 50);
