-- CreateTable
CREATE TABLE "SupernetProgress" (
    "id" TEXT NOT NULL,
    "supernetId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "losses" JSONB NOT NULL,
    "imagesPerSecond" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupernetProgress_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SupernetProgress_supernetId_step_key" ON "SupernetProgress"("supernetId", "step");

-- AddForeignKey
ALTER TABLE "SupernetProgress" ADD CONSTRAINT "SupernetProgress_supernetId_fkey" FOREIGN KEY ("supernetId") REFERENCES "Supernet"("id") ON DELETE CASCADE ON UPDATE CASCADE;
