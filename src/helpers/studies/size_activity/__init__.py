"""Study 2: group size vs activity, KOCs, the monitor's share, peak hours."""
