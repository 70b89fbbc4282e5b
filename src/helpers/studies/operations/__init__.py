"""Study 5: operations - welcome pacing, service agents and activity cadence (claims 7-9)."""
