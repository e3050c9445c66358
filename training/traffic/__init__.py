"""Learning from a shop's recorded search traffic: the search log as sessions, a position-based
click model, click triplets, and query-side fine-tuning of the current text tower."""
