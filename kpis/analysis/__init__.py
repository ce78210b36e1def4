"""What analysts use: the explorer, comparisons, breakdowns, data quality, the SQL console."""
