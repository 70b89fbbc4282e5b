"""Measures used by more than one study: engine expressions over the contract's tables."""
