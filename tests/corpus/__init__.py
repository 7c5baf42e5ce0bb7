"""The corpus of bad inputs (issue 6): cases built at test time in tmp folders; see cases.py."""
