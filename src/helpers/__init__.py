"""Community research workbench: helpers behind the study notebooks.

Layers, each importing only from those above it: ``schema`` (the data contract),
``sources``/``validation``/``engine`` (getting tables in), ``metrics`` (event tables to
tidy aggregates), ``plots`` (figures), ``report`` (batch runs of notebooks).
"""

from helpers.engine import Dataset, connect, open_dataset, validate_dataset
from helpers.validation import ContractError, ValidationReport

__all__ = ["ContractError", "Dataset", "ValidationReport", "connect", "open_dataset", "validate_dataset"]
__version__ = "0.1.0"
