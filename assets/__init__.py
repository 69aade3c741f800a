"""Uploads, content-addressed storage, image operations, derivatives and exports."""
