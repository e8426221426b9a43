"""Sensors that start runs when the world changes: source files, benchmarks, unverified problems."""

from sensors.benchmark_change import build_benchmark_change_sensor
from sensors.regeneration import build_regeneration_sensor
from sensors.source_change import build_source_change_sensor

__all__ = ["build_benchmark_change_sensor", "build_regeneration_sensor", "build_source_change_sensor"]
