"""Study 3: the recruitment window and early members' churn."""
