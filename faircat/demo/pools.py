"""Names, places and science for the demo catalogue. Pure data and deterministic pickers."""

from __future__ import annotations

import random
from dataclasses import dataclass

from faircat.catalogue.orcid import check_digit


@dataclass(frozen=True)
class Beamline:
    name: str
    full_name: str
    technique: str  # faircat.catalogue.panet short name; also the nexusgen technique
    short_name: str


BEAMLINES = (
    Beamline("XALOC", "XALOC: macromolecular crystallography", "mx", "BL13"),
    Beamline("MSPD", "MSPD: materials science and powder diffraction", "powder", "BL04"),
    Beamline("CLAESS", "CLAESS: core level absorption and emission spectroscopies", "xas", "BL22"),
    Beamline("NCD-SWEET", "NCD-SWEET: non-crystalline diffraction, SAXS/WAXS", "saxs", "BL11"),
    Beamline("MISTRAL", "MISTRAL: full-field transmission X-ray microscopy", "tomo", "BL09"),
)

# (given, family) with the accents, particles and scripts a real user office sees.
PEOPLE = (
    ("Ana", "García Fernández"),
    ("Jordi", "Puig i Serra"),
    ("Marie", "Lefèvre"),
    ("Lukas", "Müller"),
    ("Sofia", "Rossi"),
    ("Yuki", "Nakamura"),
    ("Wei", "Zhang"),
    ("Søren", "Østergaard"),
    ("Aoife", "Ní Bhriain"),
    ("Mateusz", "Wiśniewski"),
    ("Inês", "Gonçalves"),
    ("Pieter", "van der Berg"),
    ("Fatima", "El Amrani"),
    ("Nikos", "Papadopoulos"),
    ("Elena", "Ivanova"),
    ("Carlos", "Ruiz de la Torre"),
    ("Laia", "Vidal Roca"),
    ("Tomás", "Herrero"),
    ("Hannah", "Schmidt"),
    ("Olivia", "Bennett"),
    ("Raúl", "Domínguez"),
    ("Chiara", "Bianchi"),
    ("Kenji", "Watanabe"),
    ("Ingrid", "Johansson"),
    ("Pau", "Casals"),
    ("Marta", "Sánchez Ortega"),
    ("David", "Cohen"),
    ("Noor", "Haddad"),
    ("Mireia", "Ferrer"),
    ("Javier", "Morales"),
    ("Zeynep", "Yılmaz"),
    ("Liam", "O'Connor"),
)

AFFILIATIONS = (
    ("Universitat de Barcelona", "https://ror.org/021018s57"),
    ("Consejo Superior de Investigaciones Científicas", "https://ror.org/02gfc7t72"),
    ("Universitat Autònoma de Barcelona", "https://ror.org/052g8jq94"),
    ("Institut Català de Nanociència i Nanotecnologia", None),
    ("Universidad Complutense de Madrid", "https://ror.org/02p0gd045"),
    ("European Molecular Biology Laboratory", "https://ror.org/03mstc592"),
    ("University of Oxford", "https://ror.org/052gg0110"),
    ("Sorbonne Université", "https://ror.org/02en5vm52"),
)

SCIENCE = {
    "mx": (
        (
            "Structure of {x} in complex with a fragment library hit",
            (
                "lysozyme",
                "thaumatin",
                "SARS-CoV-2 main protease",
                "human carbonic anhydrase II",
                "β-lactamase TEM-1",
                "glucose isomerase",
            ),
        ),
        (
            "Room-temperature serial crystallography of {x}",
            ("photoactive yellow protein", "myoglobin", "bacteriorhodopsin"),
        ),
    ),
    "powder": (
        (
            "In situ powder diffraction of {x} during lithiation",
            ("LiFePO₄ cathodes", "NMC811 cathodes", "Si–graphite anodes"),
        ),
        (
            "Phase transitions of {x} under high temperature",
            ("zeolite ZSM-5", "BaTiO₃", "perovskite CsPbBr₃", "MOF UiO-66"),
        ),
    ),
    "xas": (
        (
            "Oxidation state of copper in {x} under operando conditions",
            ("Cu-SSZ-13 catalysts", "Cu/ZnO/Al₂O₃ methanol catalysts", "CuO nanoparticles"),
        ),
        (
            "Local structure of {x} by EXAFS",
            ("iron in ancient pigments", "cerium in ceria", "uranium in contaminated soils"),
        ),
    ),
    "saxs": (
        (
            "Self-assembly of {x} studied by time-resolved SAXS",
            (
                "block copolymer micelles",
                "silica nanospheres",
                "lipid nanoparticles for mRNA delivery",
            ),
        ),
        ("Nanostructure of {x} under shear", ("cellulose nanofibrils", "casein micelles")),
    ),
    "tomo": (
        (
            "Cryo soft X-ray tomography of {x}",
            ("yeast cells under stress", "malaria-infected erythrocytes", "neuronal growth cones"),
        ),
        ("3D imaging of {x}", ("limestone porosity", "battery electrode microstructure")),
    ),
}

SUMMARY = (
    "We will collect {what} data at the {beamline} beamline to answer an open question about "
    "{x}. The results will be compared with laboratory measurements and simulations, and will "
    "be deposited with the publication."
)


def make_orcid(rng: random.Random) -> str:
    """A syntactically valid ORCID iD in the 0000-0001/0002/0003 ranges in use today."""
    base = "000" + str(rng.choice((1, 2, 3))) + "".join(str(rng.randrange(10)) for _ in range(11))
    digits = base + check_digit(base)
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def title_for(technique: str, rng: random.Random) -> tuple[str, str]:
    """A title and the subject it is about."""
    template, subjects = rng.choice(SCIENCE[technique])
    subject = rng.choice(subjects)
    return template.format(x=subject), subject
