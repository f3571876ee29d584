-- CreateIndex
CREATE INDEX "CampaignTarget_meterId_idx" ON "CampaignTarget"("meterId");
