"""Benchmarks that print figures and their ratios to a baseline measured in the same run."""
