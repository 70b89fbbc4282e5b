"""Figures shared by more than one study."""
