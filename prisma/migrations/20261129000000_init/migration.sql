-- CreateEnum
CREATE TYPE "SupernetStatus" AS ENUM ('queued', 'training', 'ready', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "SearchStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "DeviceState" AS ENUM ('online', 'offline', 'unauthorized', 'quarantined');

-- CreateEnum
CREATE TYPE "ArtifactKind" AS ENUM ('checkpoint', 'weights', 'tflite', 'onnx', 'tfjs', 'dataset', 'report');

-- CreateEnum
CREATE TYPE "ApiScope" AS ENUM ('read', 'submit', 'admin', 'agent');

-- CreateEnum
CREATE TYPE "MissedRunPolicy" AS ENUM ('skip', 'run_once');

-- CreateTable
CREATE TABLE "Supernet" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "searchSpace" JSONB NOT NULL,
    "trainingConfig" JSONB NOT NULL,
    "status" "SupernetStatus" NOT NULL DEFAULT 'queued',
    "step" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Supernet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupernetCheckpoint" (
    "id" TEXT NOT NULL,
    "supernetId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "artifactSha256" TEXT NOT NULL,
    "metrics" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupernetCheckpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Search" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "status" "SearchStatus" NOT NULL DEFAULT 'queued',
    "seed" INTEGER NOT NULL,
    "supernetId" TEXT,
    "scheduleId" TEXT,
    "lastGeneration" INTEGER,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Search_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Generation" (
    "id" TEXT NOT NULL,
    "searchId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "population" JSONB NOT NULL,
    "front" JSONB NOT NULL,
    "hypervolume" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Generation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Candidate" (
    "id" TEXT NOT NULL,
    "searchId" TEXT NOT NULL,
    "generationIndex" INTEGER NOT NULL,
    "genome" JSONB NOT NULL,
    "genomeHash" TEXT NOT NULL,
    "psnr" DOUBLE PRECISION,
    "ssim" DOUBLE PRECISION,
    "rank" INTEGER,
    "feasible" BOOLEAN,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Candidate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CandidateLatency" (
    "id" TEXT NOT NULL,
    "candidateId" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "predictedMs" DOUBLE PRECISION,
    "predictedStdMs" DOUBLE PRECISION,
    "predictorVersion" TEXT,
    "measuredMs" DOUBLE PRECISION,
    "measurementId" TEXT,
    "measuredPeakMemMb" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CandidateLatency_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Architecture" (
    "hash" TEXT NOT NULL,
    "genome" JSONB NOT NULL,
    "costModelVersion" TEXT NOT NULL,
    "params" BIGINT NOT NULL,
    "macs" BIGINT NOT NULL,
    "peakActivationBytes" BIGINT NOT NULL,
    "memoryTrafficBytes" BIGINT NOT NULL,
    "referenceInputHeight" INTEGER NOT NULL,
    "referenceInputWidth" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Architecture_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "Measurement" (
    "id" TEXT NOT NULL,
    "requestKey" TEXT NOT NULL,
    "architectureHash" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "deviceClass" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "runtimeVersion" TEXT NOT NULL,
    "runtimeConfig" JSONB NOT NULL,
    "inputHeight" INTEGER NOT NULL,
    "inputWidth" INTEGER NOT NULL,
    "samples" INTEGER NOT NULL,
    "medianMs" DOUBLE PRECISION NOT NULL,
    "meanMs" DOUBLE PRECISION NOT NULL,
    "stdMs" DOUBLE PRECISION NOT NULL,
    "p90Ms" DOUBLE PRECISION NOT NULL,
    "minMs" DOUBLE PRECISION NOT NULL,
    "maxMs" DOUBLE PRECISION NOT NULL,
    "initMs" DOUBLE PRECISION,
    "peakMemoryMb" DOUBLE PRECISION,
    "conditions" JSONB NOT NULL,
    "rawOutput" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Measurement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Device" (
    "id" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "manufacturer" TEXT,
    "soc" TEXT,
    "abi" TEXT,
    "androidVersion" TEXT,
    "sdkLevel" INTEGER,
    "deviceClass" TEXT NOT NULL,
    "agentHost" TEXT,
    "state" "DeviceState" NOT NULL DEFAULT 'offline',
    "quarantineReason" TEXT,
    "lastSeenAt" TIMESTAMP(3),
    "health" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Schedule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "searchSpec" JSONB NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "missedRunPolicy" "MissedRunPolicy" NOT NULL DEFAULT 'skip',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleRun" (
    "id" TEXT NOT NULL,
    "scheduleId" TEXT NOT NULL,
    "slot" TIMESTAMP(3) NOT NULL,
    "searchId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScheduleRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "sha256" TEXT NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "uri" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "mediaType" TEXT,
    "metadata" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "scopes" "ApiScope"[],
    "deviceClass" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SupernetCheckpoint_artifactSha256_idx" ON "SupernetCheckpoint"("artifactSha256");

-- CreateIndex
CREATE UNIQUE INDEX "SupernetCheckpoint_supernetId_step_key" ON "SupernetCheckpoint"("supernetId", "step");

-- CreateIndex
CREATE INDEX "Search_status_createdAt_idx" ON "Search"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Search_scheduleId_idx" ON "Search"("scheduleId");

-- CreateIndex
CREATE INDEX "Search_supernetId_idx" ON "Search"("supernetId");

-- CreateIndex
CREATE UNIQUE INDEX "Generation_searchId_index_key" ON "Generation"("searchId", "index");

-- CreateIndex
CREATE INDEX "Candidate_genomeHash_idx" ON "Candidate"("genomeHash");

-- CreateIndex
CREATE UNIQUE INDEX "Candidate_searchId_genomeHash_key" ON "Candidate"("searchId", "genomeHash");

-- CreateIndex
CREATE INDEX "CandidateLatency_measurementId_idx" ON "CandidateLatency"("measurementId");

-- CreateIndex
CREATE UNIQUE INDEX "CandidateLatency_candidateId_target_key" ON "CandidateLatency"("candidateId", "target");

-- CreateIndex
CREATE UNIQUE INDEX "Measurement_requestKey_key" ON "Measurement"("requestKey");

-- CreateIndex
CREATE INDEX "Measurement_architectureHash_deviceClass_idx" ON "Measurement"("architectureHash", "deviceClass");

-- CreateIndex
CREATE INDEX "Measurement_deviceId_createdAt_idx" ON "Measurement"("deviceId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Device_serial_key" ON "Device"("serial");

-- CreateIndex
CREATE INDEX "Device_deviceClass_state_idx" ON "Device"("deviceClass", "state");

-- CreateIndex
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleRun_searchId_key" ON "ScheduleRun"("searchId");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleRun_scheduleId_slot_key" ON "ScheduleRun"("scheduleId", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_secretHash_key" ON "ApiKey"("secretHash");

-- AddForeignKey
ALTER TABLE "SupernetCheckpoint" ADD CONSTRAINT "SupernetCheckpoint_supernetId_fkey" FOREIGN KEY ("supernetId") REFERENCES "Supernet"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupernetCheckpoint" ADD CONSTRAINT "SupernetCheckpoint_artifactSha256_fkey" FOREIGN KEY ("artifactSha256") REFERENCES "Artifact"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Search" ADD CONSTRAINT "Search_supernetId_fkey" FOREIGN KEY ("supernetId") REFERENCES "Supernet"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Search" ADD CONSTRAINT "Search_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Generation" ADD CONSTRAINT "Generation_searchId_fkey" FOREIGN KEY ("searchId") REFERENCES "Search"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Candidate" ADD CONSTRAINT "Candidate_searchId_fkey" FOREIGN KEY ("searchId") REFERENCES "Search"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Candidate" ADD CONSTRAINT "Candidate_genomeHash_fkey" FOREIGN KEY ("genomeHash") REFERENCES "Architecture"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CandidateLatency" ADD CONSTRAINT "CandidateLatency_candidateId_fkey" FOREIGN KEY ("candidateId") REFERENCES "Candidate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CandidateLatency" ADD CONSTRAINT "CandidateLatency_measurementId_fkey" FOREIGN KEY ("measurementId") REFERENCES "Measurement"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Measurement" ADD CONSTRAINT "Measurement_architectureHash_fkey" FOREIGN KEY ("architectureHash") REFERENCES "Architecture"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Measurement" ADD CONSTRAINT "Measurement_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleRun" ADD CONSTRAINT "ScheduleRun_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleRun" ADD CONSTRAINT "ScheduleRun_searchId_fkey" FOREIGN KEY ("searchId") REFERENCES "Search"("id") ON DELETE SET NULL ON UPDATE CASCADE;
