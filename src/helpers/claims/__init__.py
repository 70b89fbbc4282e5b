"""The practitioners' claims the studies test: one registry, one way to judge them."""
