"""The analytics benchmark's parts, one concept per module; ``benchmarks/analytics.py`` is the entry point.

``shape`` says what the synthetic bank looks like; ``reference`` writes its few dozen reference rows and the
session's helpers; ``generate`` writes the rest with set-based SQL, inside ``bulk``'s drop-and-remake of foreign
keys and indexes; ``database`` creates, migrates, fills and marks the database. ``expected`` reads the figures a
correct answer must show, ``queries`` holds the GraphQL documents, ``checks`` compares answers with the data,
``measure`` times them against a gateway it starts, ``report`` prints the table, ``run`` puts it in order. The
gateway, its token and the measured tree come from ``read_path_bench`` (one way to start hrgate for every
benchmark).
"""
