"""Can a grade be trusted: verdict checks, kernel hygiene, fingerprints, code scan, suspicion
flags and similarity. Nothing here changes a grade silently; what it finds goes to a person."""
