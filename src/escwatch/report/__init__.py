"""Outputs: exports, briefings, plots."""
