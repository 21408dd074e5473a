"""Benchmarks (not tests): each side in its own process, timed against PyTorch's CPU step."""
