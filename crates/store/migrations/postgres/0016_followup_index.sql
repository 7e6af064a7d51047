-- Most activities are no one's follow-up: the index by the activity followed up keeps only
-- those that are, so that opening a million issues does not write a million empty entries.
DROP INDEX activities_by_followup;
CREATE INDEX activities_by_followup ON activities (followup_of) WHERE followup_of IS NOT NULL;
