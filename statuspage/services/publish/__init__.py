"""The published site: the public pages written as files, for nginx or object storage."""
