-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "submittedByEmail" TEXT,
ADD COLUMN     "submittedById" TEXT;

-- AlterTable
ALTER TABLE "CampaignWave" ADD COLUMN     "windowEnd" TIMESTAMPTZ(3),
ADD COLUMN     "windowStart" TIMESTAMPTZ(3);
