"""Mask codecs and file formats: COCO RLE, masklet blobs, DAVIS PNG, SA-V JSON, COCO."""
