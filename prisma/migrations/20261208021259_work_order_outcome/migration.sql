-- AlterTable
ALTER TABLE "WorkOrder" ADD COLUMN     "completedByEmail" TEXT,
ADD COLUMN     "followUpOfId" TEXT,
ADD COLUMN     "outcome" TEXT;

-- CreateIndex
CREATE INDEX "WorkOrder_followUpOfId_idx" ON "WorkOrder"("followUpOfId");
