"""kg: knowledge graphs from Chinese government work reports."""
__version__ = "0.1.0"
