"""qvc: what does a quantum machine-learning model cost in energy, next to its classical match?

The public API is re-exported here; everything else is internal.
"""

__version__ = "0.1.0"
