"""Mapping: placing layers and experts onto chips, chips into pipeline stages."""

from kvpipe.mapping.placement import GroupClass, MappingError, Placement, place

__all__ = ["GroupClass", "MappingError", "Placement", "place"]
