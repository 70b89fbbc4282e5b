"""Statistics with no I/O: estimates, clustered intervals, the GLM toolkit and survival."""
