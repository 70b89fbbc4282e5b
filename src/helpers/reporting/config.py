"""The schema of the batch config (``reports.yml``), checked by pydantic, with messages naming file, key path and shape.

workers: 2                      # notebooks run at once, a whole number >= 1
out: reports                    # folder for the reports (relative to this file)
kernel: community-workbench     # Jupyter kernel
calibration: benchmarks/calibration.json
calibrate_like: {worlds: 20, seed: 1}   # optional
parameters: {data_dir: data/processed/default}   # for every run
runs:                           # a list of mappings
  - notebook: notebooks/01_cohort_retention.ipynb
    name: retention             # optional: the report's folder
    parameters: {min_cohort_size: 20}
    sweep: {segment_by: [channel, segment]}   # one parameter, a list of values
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from helpers.data.settings import problems

KERNEL = "community-workbench"


class LikeSpec(BaseModel):
    """``calibrate_like``: how many worlds shaped like the data, from which seed."""

    model_config = ConfigDict(extra="forbid", strict=True)
    worlds: int = Field(20, ge=1)
    seed: int = 1


class RunSpec(BaseModel):
    """One entry of ``runs``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    notebook: str
    name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    sweep: dict[str, list[Any]] = Field(default_factory=dict, max_length=1)


class BatchConfig(BaseModel):
    """The whole batch config."""

    model_config = ConfigDict(extra="forbid", strict=True)
    workers: int = Field(2, ge=1)
    out: str = "reports"
    kernel: str = KERNEL
    calibration: str = "benchmarks/calibration.json"
    calibrate_like: LikeSpec | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    runs: list[RunSpec] = Field(min_length=1)


def parse(data: object, file: str) -> BatchConfig:
    """The config checked against the schema; raises ValueError listing every problem (file, key path, shape)."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        raise ValueError(f"{file}: the config should be a mapping of settings (workers, out, runs, ...), not {kind}")
    if data.get("calibrate_like") is False:  # 'calibrate_like: false' switches the step off, as leaving it out does
        data = {k: v for k, v in data.items() if k != "calibrate_like"}
    try:
        return BatchConfig.model_validate(data)
    except ValidationError as err:
        raise ValueError("\n  ".join(problems(err, file))) from None


def output_problem(base: Path, out: str, file: str) -> str | None:
    """Why the output folder cannot be used (it is a file), or None."""
    path = base / out
    if path.exists() and not path.is_dir():
        return f"{file}: out: {out} is a file, not a folder for the reports"
    return None
