-- CreateTable
CREATE TABLE "MeasurementFailure" (
    "id" TEXT NOT NULL,
    "requestKey" TEXT NOT NULL,
    "architectureHash" TEXT NOT NULL,
    "deviceClass" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "runtimeVersion" TEXT NOT NULL,
    "runtimeConfig" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "rawOutput" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MeasurementFailure_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MeasurementFailure_requestKey_key" ON "MeasurementFailure"("requestKey");

-- CreateIndex
CREATE INDEX "MeasurementFailure_architectureHash_deviceClass_idx" ON "MeasurementFailure"("architectureHash", "deviceClass");

-- AddForeignKey
ALTER TABLE "MeasurementFailure" ADD CONSTRAINT "MeasurementFailure_architectureHash_fkey" FOREIGN KEY ("architectureHash") REFERENCES "Architecture"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;
