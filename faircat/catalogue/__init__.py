"""The catalogue: models, sessions, migrations, access policy, lifecycle, ingest."""
