"""The read compiler: one SQL statement per read operation, JSON built in the database.

``plan`` holds the plain description of what to read (built by ``schema.read_planner`` from a
validated GraphQL selection, with permissions and row scopes already decided); ``sql`` turns a plan
into one statement for PostgreSQL (``json_build_array`` / ``json_agg``) or SQLite (JSON1);
``shape`` turns the database's JSON into the GraphQL response and lists the audited reads;
``execute`` runs it, with the audit of report and archive reads written in the same connection.
"""
