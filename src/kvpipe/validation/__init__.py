"""Validation against real systems: published results (``validation/published.csv``) and
decode step times measured on GPUs (``validation/measured/*.csv``). May read files; the core
packages never import it. Method: docs/validation.md."""

from kvpipe.validation.measured import MeasuredPrediction, MeasuredReport, compare_file, compare_measured
from kvpipe.validation.published import (
    GroupSummary,
    Prediction,
    Row,
    ValidationDataError,
    default_measured_dir,
    default_published_csv,
    group_summaries,
    median_abs_error,
    parse_rows,
    predict_all,
    predict_row,
    read_rows,
)

__all__ = [
    "GroupSummary", "MeasuredPrediction", "MeasuredReport", "Prediction", "Row", "ValidationDataError", "compare_file",
    "compare_measured", "default_measured_dir", "default_published_csv", "group_summaries", "median_abs_error", "parse_rows",
    "predict_all", "predict_row", "read_rows",
]
