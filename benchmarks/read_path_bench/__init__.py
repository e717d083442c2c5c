"""The read-path benchmark's parts, one concept per module; ``benchmarks/read_path.py`` is the entry point.

Split out of one long script so that each part (data, servers, checks, statement counting, load, report) can be
read and changed on its own; the command line and the output are unchanged.
"""
