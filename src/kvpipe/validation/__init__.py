"""Validation against real systems: published results (``validation/published.csv``) and
decode step times measured on GPUs (``validation/measured/*.csv``). May read files; the core
packages never import it. Method: docs/validation.md."""

from kvpipe.validation.measured import MeasuredPrediction, MeasuredReport, compare_file, compare_measured
from kvpipe.validation.published import (
    Prediction,
    Row,
    ValidationDataError,
    default_measured_dir,
    default_published_csv,
    median_abs_error,
    parse_rows,
    predict_all,
    predict_row,
    read_rows,
)

__all__ = [
    "MeasuredPrediction", "MeasuredReport", "Prediction", "Row", "ValidationDataError", "compare_file",
    "compare_measured", "default_measured_dir", "default_published_csv", "median_abs_error", "parse_rows",
    "predict_all", "predict_row", "read_rows",
]
