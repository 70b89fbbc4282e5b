"""Reports: notebook runs, batches, the index page, the scorecard and review slides."""
