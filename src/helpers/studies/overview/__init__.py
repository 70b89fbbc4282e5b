"""Study 0: what a dataset holds, how it grew, what validation found."""
