"""Media: video probing, frame-exact decoding and sampling, frame folders, JPEG, ingest."""
