"""Data contracts: Arrow table schemas, pandera models, and the blocking checks that enforce them."""
