"""Community research workbench: helpers behind the study notebooks.

Layers, each importing only from those above it: ``schema`` (the data contract),
``sources``/``validation``/``engine`` (getting tables in), ``metrics`` and ``retention``
(event tables to tidy aggregates), ``estimates`` and ``survival`` (estimates with
intervals), ``plots`` (figures), ``report`` (batch runs of notebooks). ``synth`` generates
the default dataset with planted truth.
"""

from helpers.data.engine import Dataset, connect, open_dataset, validate_dataset
from helpers.data.validation import ContractError, ValidationReport

__all__ = ["ContractError", "Dataset", "ValidationReport", "connect", "open_dataset", "validate_dataset"]
__version__ = "0.1.0"
