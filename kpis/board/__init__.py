"""What the board reads: the scorecard, what changed, KPI detail, meeting dates."""
