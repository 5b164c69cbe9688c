"""Pictures and documents made from a family's network and plan: the PNG network map
(`netmap`) and the PDF shared plan (`plan`).

Nothing here touches the database or the engine: the actions take a plain snapshot
(`model`), translate every text up front, and hand both to a renderer on a worker thread
(`worker`), so a slow render never holds up other practitioners' turns. Fonts come from
Python packages only (`fonts`), so a fresh machine needs no system packages.
"""
