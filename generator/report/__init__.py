"""The report: an evaluated caseload for one scope, and its text, JSON and calendar."""
