-- The dashboard counts a user's open and past-due actions without reading their issues.
CREATE INDEX activities_open_by_user ON activities (is_open, assigned_user, respond_by);
