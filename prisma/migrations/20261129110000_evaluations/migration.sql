-- CreateEnum
CREATE TYPE "EvaluationPath" AS ENUM ('onnxruntime', 'tfjs');

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" TEXT NOT NULL,
    "supernetId" TEXT NOT NULL,
    "checkpointStep" INTEGER NOT NULL,
    "genomeHash" TEXT NOT NULL,
    "genome" TEXT NOT NULL,
    "validationSet" TEXT NOT NULL,
    "psnr" DOUBLE PRECISION NOT NULL,
    "ssim" DOUBLE PRECISION NOT NULL,
    "imageCount" INTEGER NOT NULL,
    "images" JSONB NOT NULL,
    "path" "EvaluationPath" NOT NULL,
    "runtime" TEXT NOT NULL,
    "durationMs" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Evaluation_genomeHash_idx" ON "Evaluation"("genomeHash");

-- CreateIndex
CREATE UNIQUE INDEX "Evaluation_key" ON "Evaluation"("supernetId", "checkpointStep", "genomeHash", "validationSet");

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_supernetId_checkpointStep_fkey" FOREIGN KEY ("supernetId", "checkpointStep") REFERENCES "SupernetCheckpoint"("supernetId", "step") ON DELETE CASCADE ON UPDATE CASCADE;
