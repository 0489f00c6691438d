"""The embedded demo catalogue: realistic NeXus files and a facility built from scratch."""
