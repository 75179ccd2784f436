"""What every stage shares: where the course is, its errors, nbgrader's cell metadata, and the
few types that cross stages."""
