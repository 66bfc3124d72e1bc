"""Data layer: discovery, parsing, normalization, the run index and event-log readers.

Nothing in this package imports Textual or Rich; it is usable as a library on its own.
"""
