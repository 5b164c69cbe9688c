"""Two bots built the way a developer would by default, for `make bench` to compare with."""
