"""Diagnostics plugin: Keras callbacks that tell why a network is not learning."""

__all__ = []
