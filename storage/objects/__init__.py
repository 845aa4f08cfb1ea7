"""Object store: one write-once protocol, a local-folder and an S3 implementation."""
