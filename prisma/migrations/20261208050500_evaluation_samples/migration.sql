-- Side-by-side sample crops of each evaluation (bicubic / SubGenerator / teacher / HR): a PNG artifact and its description.
ALTER TABLE "Evaluation" ADD COLUMN "samples" JSONB;
