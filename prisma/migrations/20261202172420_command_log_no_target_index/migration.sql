-- DropIndex
DROP INDEX "CommandLog_targetId_idx";
