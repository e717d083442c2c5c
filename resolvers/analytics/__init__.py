"""Analytics of the feedback loop: statistics as pure functions, and the queries that feed them."""
