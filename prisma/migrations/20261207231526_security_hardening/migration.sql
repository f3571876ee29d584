-- CreateEnum
CREATE TYPE "TokenScope" AS ENUM ('ingest', 'fleet');

-- AlterTable
ALTER TABLE "IngestToken" ADD COLUMN     "scope" "TokenScope" NOT NULL DEFAULT 'ingest';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "sessionVersion" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "LoginThrottle" (
    "key" TEXT NOT NULL,
    "windowStart" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "LoginThrottle_pkey" PRIMARY KEY ("key")
);
