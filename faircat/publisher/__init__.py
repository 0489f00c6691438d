"""The publisher: the static export of everything public into site/, and the release job."""
