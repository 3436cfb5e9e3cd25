"""Runnable experiment modules: ``python -m experiments.<dataset>``."""
