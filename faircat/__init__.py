"""faircat: a FAIR data catalogue and publisher for photon and neutron facilities."""

__version__ = "0.1.0"
