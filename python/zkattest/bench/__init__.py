"""Benchmarks behind ``zkattest bench``."""
