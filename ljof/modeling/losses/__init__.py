"""Losses of the top-down heatmap models (all share the signature of docs/interfaces.md)."""
