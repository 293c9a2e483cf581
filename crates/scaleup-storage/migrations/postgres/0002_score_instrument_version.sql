-- Scores record the instrument version they were computed with, so a later edit of a
-- definition never silently changes how stored responses are re-scored.
ALTER TABLE assessment_scores ADD COLUMN instrument_version TEXT;
-- Scores computed before this migration used the only versions that existed then.
UPDATE assessment_scores SET instrument_version = '1' WHERE instrument_version IS NULL;
