"""Development and test tools that ship with faircat but never run in production."""
