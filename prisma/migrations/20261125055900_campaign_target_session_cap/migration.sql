-- AlterTable
ALTER TABLE "CampaignTarget" ADD COLUMN     "sessionCap" INTEGER;
