"""Realistic generated run roots (tests, the demo, benchmarks) and their invariants."""
