"""sitegen: the static-site generator behind a curated reading list of machine-learning papers."""

__version__ = "0.1.0"
