-- Why a candidate's evaluation or measurement failed for good (null when its figures are all there), so that a
-- failed search names its failures per candidate.
ALTER TABLE "Candidate" ADD COLUMN "error" TEXT;
