"""Release and its proof, the assignment summary, the demo and synthetic cohorts."""
