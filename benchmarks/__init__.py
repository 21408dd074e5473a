"""Benchmarks (not tests): each module prints median times and ratios to PyTorch's CPU time."""
