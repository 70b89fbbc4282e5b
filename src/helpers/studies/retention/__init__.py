"""Study 1: cohort retention, survival and lifecycle layers."""
