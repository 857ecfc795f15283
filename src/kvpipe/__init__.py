"""kvpipe: LLM decode on deep spatial pipelines and the KV-cache memory they need."""

__version__ = "0.1.0"
