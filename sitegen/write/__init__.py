"""The last stage: the built files into their folder, whole or not at all."""
