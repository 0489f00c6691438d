"""PaNET techniques the facility profile knows by short name (IRIs from the PaNET ontology)."""

from __future__ import annotations

PANET = "http://purl.org/pan-science/PaNET/"

TECHNIQUES: dict[str, tuple[str, str]] = {
    "mx": (PANET + "PaNET01164", "macromolecular crystallography"),
    "powder": (PANET + "PaNET01030", "powder diffraction"),
    "saxs": (PANET + "PaNET01188", "small angle x-ray scattering"),
    "xas": (PANET + "PaNET01196", "x-ray absorption spectroscopy"),
    "xrf": (PANET + "PaNET01095", "x-ray fluorescence spectroscopy"),
    "tomo": (PANET + "PaNET01207", "tomography"),
    "scxd": (PANET + "PaNET01029", "single crystal diffraction"),
}
