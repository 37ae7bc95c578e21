"""arXiv: the API client, matching titles, and the `resolve` and `add` commands built on them.

Nothing here runs during a build: builds read the records these commands write.
"""
