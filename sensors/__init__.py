"""Sensors that start runs when the world changes: source files, benchmarks, unverified problems."""

from sensors.source_change import build_source_change_sensor

__all__ = ["build_source_change_sensor"]
