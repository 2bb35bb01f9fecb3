"""Transcript quality inspection (质检), art. 12(三)."""
