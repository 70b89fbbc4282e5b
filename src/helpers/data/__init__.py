"""Data layer: the contract (schema), sources, validation, the engine, event time and atomic writes."""
