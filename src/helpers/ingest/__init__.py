"""Real data in: chat exports and company tables to the contract, with personal data kept out."""
