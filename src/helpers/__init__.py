"""Community research workbench: the package behind the study notebooks.

Layers, each importing only from those below it (import-linter contracts in pyproject.toml):
``data`` (contract, sources, validation, engine, event time) -> ``stats`` (estimates,
clustered intervals, GLM toolkit, survival) and ``measures`` (engine measures shared by
studies) -> ``fmt``, ``claims`` (the claims registry) and ``figures`` -> ``studies`` (one
package per study, each with ``summary.summarise``), ``synth`` and ``ingest`` ->
``reporting`` (runs, index, scorecard, slides) -> ``explore`` (widgets).
"""

from helpers.data.engine import Dataset, connect, open_dataset, validate_dataset
from helpers.data.validation import ContractError, ValidationReport

__all__ = ["ContractError", "Dataset", "ValidationReport", "connect", "open_dataset", "validate_dataset"]
__version__ = "0.1.0"
