"""The reference tables as shipped in the package (see README.md in this folder for their sources)."""
