"""Fill the French catalog of the portal from the table below (run after makemessages, then msgfmt).

Kept beside the catalog so a new string gets its translation in the same change; the .po stays the
file translators edit, this only fills entries that are still empty.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FR = {
    "Lot reference (as typed on the stations)": "Référence du lot (telle que saisie sur les stations)",
    "Donor": "Donateur", "Refurbisher assigned": "Reconditionneur chargé du lot",
    "Devices expected": "Appareils attendus", "Date received": "Date de réception",
    "This refurbisher already has a lot with this reference.": "Ce reconditionneur a déjà un lot de cette référence.",
    "Drive or machine serial number": "N° de série du support ou de la machine",
    "Certificate (PDF or JSON)": "Certificat (PDF ou JSON)",
    "Signature (.sig), for a JSON file": "Signature (.sig), pour un fichier JSON",
    "reuse": "réemploi", "reuse (with warnings)": "réemploi (avec réserves)",
    "reuse after repair": "réemploi après réparation", "parts": "pièces",
    "WEEE recycling": "recyclage DEEE", "erased": "effacé", "destroyed": "détruit", "FAILED": "ÉCHEC",
    "CANCELLED": "ANNULÉ", "INTERRUPTED": "INTERROMPU", "to erase": "à effacer", "unknown": "inconnu",
    "reused": "réemployés", "used for parts": "pièces détachées", "recycled (WEEE)": "recyclé (DEEE)",
    "in progress": "en cours", "NOT ERASED": "NON EFFACÉ", "received": "reçus", "audited": "audités",
    "blocked": "bloqué", "chain gap": "rupture de chaîne", "chain fork": "fourche de chaîne",
    "station revoked": "station révoquée", "no audit": "pas d'audit", "Erasure registry": "Registre des effacements",
    "Skip to content": "Aller au contenu", "Main": "Principal", "Dashboard": "Tableau de bord",
    "Search": "Recherche", "Verify a certificate": "Vérifier un certificat",
    "Log out (%(name)s)": "Se déconnecter (%(name)s)", "Log in": "Se connecter",
    "Programme dashboard": "Tableau de bord du programme", "Figures": "Chiffres",
    "Devices received": "Appareils reçus", "Machines audited": "Machines auditées",
    "Drives erased": "Supports effacés", "Reused": "Réemployés", "Dismantled for parts": "Démontés pour pièces",
    "Recycled (WEEE)": "Recyclés (DEEE)", "Drives not erased": "Supports non effacés",
    "Progress toward %(target)s devices": "Avancement vers %(target)s appareils", "Per month": "Par mois",
    "Figures per month": "Chiffres par mois", "Month": "Mois", "drives erased": "supports effacés",
    "Per refurbisher": "Par reconditionneur", "Figures per refurbisher": "Chiffres par reconditionneur",
    "Refurbisher": "Reconditionneur", "recycled": "recyclés", "drives not erased": "supports non effacés",
    "Lots": "Lots", "New lot": "Nouveau lot", "Reference": "Référence", "No lot yet.": "Aucun lot pour l'instant.",
    "Lot %(ref)s": "Lot %(ref)s", "Devices tracked": "Appareils suivis", "Audited": "Audités", "Parts": "Pièces",
    "Not erased": "Non effacés", "Chain or station problems": "Problèmes de chaîne ou de station",
    "Attestation for the donor": "Attestation pour le donateur",
    "Devices of the lot, each with its drives": "Appareils du lot, chacun avec ses supports",
    "Machine": "Machine", "Serial number": "N° de série", "Label serial": "N° d'étiquette", "Verdict": "Verdict",
    "Outcome": "Devenir", "Drive serial": "N° de série du support", "Method": "Méthode",
    "NIST category": "Catégorie NIST", "Result": "Résultat", "Certificate": "Certificat",
    "Create the lot": "Créer le lot", "No organisation": "Aucune organisation",
    "Your account is not attached to any organisation yet. Ask your coordinator.":
        "Votre compte n'est rattaché à aucune organisation. Demandez à votre coordinateur.",
    "Search by drive or machine serial": "Recherche par n° de série de support ou de machine",
    "Record": "Enregistrement", "Kind": "Type", "Date": "Date", "Lot": "Lot",
    "This certificate holds: every check passed.": "Ce certificat est valide : toutes les vérifications réussissent.",
    "This certificate does NOT hold: see the failed checks below.":
        "Ce certificat N'EST PAS valide : voir les vérifications en échec ci-dessous.",
    "Log entry": "Entrée du journal", "Check": "Vérification", "Holds": "Valide", "Detail": "Détail",
    "yes": "oui", "not checked": "non vérifié", "no": "non", "Status": "Statut",
    "station in good standing, no gap or fork in its chain at this record":
        "station en règle, ni rupture ni fourche de sa chaîne à cet enregistrement",
    "Drop the certificate PDF the station printed, or its JSON with its .sig file. Nothing you upload is stored.":
        "Déposez le PDF du certificat imprimé par la station, ou son JSON avec son fichier .sig. "
        "Rien de ce que vous déposez n'est conservé.",
    "Verify": "Vérifier", "Wrong user name or password.": "Identifiant ou mot de passe incorrect.",
    "User name": "Identifiant", "Password": "Mot de passe", "Readable": "Lisible", "Signature": "Signature",
    "Ed25519 signature over the exact bytes, with the key this registry enrolled for the station":
        "signature Ed25519 sur les octets exacts, avec la clé que ce registre a enregistrée pour la station",
    "Ed25519 signature over the exact bytes, with the key attached to the file":
        "signature Ed25519 sur les octets exacts, avec la clé jointe au fichier",
    "Schema": "Schéma", "the record matches its published JSON Schema": "l'enregistrement suit son schéma JSON publié",
    "Station enrolled": "Station enregistrée",
    "the signing key belongs to an enrolled station": "la clé de signature est celle d'une station enregistrée",
    "this registry has no enrolled station with the key that signed this file":
        "aucune station enregistrée dans ce registre n'a la clé qui a signé ce fichier",
    "the file is larger than 8 MiB": "le fichier dépasse 8 Mio", "Held by the registry": "Détenu par le registre",
    "no record with this id was uploaded here": "aucun enregistrement de ce numéro n'a été déposé ici",
    "the registry holds different bytes under this id: this file is not the certificate the station uploaded":
        "le registre détient d'autres octets sous ce numéro : ce fichier n'est pas le certificat déposé par la station",
    "the same bytes were uploaded by the station": "la station a déposé exactement ces octets",
    "Inclusion in the registry's log": "Inclusion dans le journal du registre",
    "no signed checkpoint covers this record yet": "aucun point de contrôle signé ne couvre encore cet enregistrement",
    "entry %(index)s is in the signed tree of size %(size)s (proof of %(n)s hashes)":
        "l'entrée %(index)s figure dans l'arbre signé de taille %(size)s (preuve de %(n)s empreintes)",
    "Progress toward the programme's target": "Avancement vers l'objectif du programme",
    "Devices with an outcome (reused, parts, recycled)": "Appareils au devenir décidé (réemploi, pièces, recyclage)",
    "erasure certificate": "certificat d'effacement", "hardware audit": "audit matériel",
    "failure report (not a certificate)": "rapport d'échec (pas un certificat)",
    "Pages of the device table": "Pages du tableau des appareils", "Page": "Page",
    "Devices %(first)s to %(last)s of %(total)s (those needing attention first).":
        "Appareils %(first)s à %(last)s sur %(total)s (ceux qui demandent attention en tête).",
    "all %(total)s devices on one page": "les %(total)s appareils sur une seule page",
    "every device in a spreadsheet (CSV)": "tous les appareils dans un tableur (CSV)",
    "signature": "signature", "no drive": "aucun support", "PDF as issued": "PDF tel qu'émis",
    "the station did not upload its PDF: only the attached record was checked":
        "la station n'a pas déposé son PDF : seul l'enregistrement joint a été vérifié",
    "this PDF differs from the one the station issued (its attached record may still be intact: ask for the original)":
        "ce PDF diffère de celui émis par la station (l'enregistrement joint peut être intact : demandez l'original)",
    "byte for byte the PDF the station issued and uploaded": "octet pour octet le PDF émis et déposé par la station",
}
PLURALS = {
    "%(n)s device needs attention: it is listed first and shaded.": (
        "%(n)s appareil demande attention : il est en tête, sur fond coloré.",
        "%(n)s appareils demandent attention : ils sont en tête, sur fond coloré."),
    "%(n)s record": ("%(n)s enregistrement", "%(n)s enregistrements"),
}


def _joined(lines: list[str]) -> str:
    return "".join(line.strip()[1:-1] for line in lines if line.strip().startswith('"'))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def fill(path: Path) -> list[str]:
    blocks = path.read_text().split("\n\n")
    missing = []
    for b, block in enumerate(blocks):
        lines = block.split("\n")
        keys = [i for i, line in enumerate(lines) if re.match(r"(msgid|msgid_plural|msgstr(\[\d\])?) ", line)]
        if not keys:
            continue
        parts: dict[str, str] = {}
        for n, start in enumerate(keys):
            end = keys[n + 1] if n + 1 < len(keys) else len(lines)
            name, first = lines[start].split(" ", 1)
            parts[name] = _joined([first, *lines[start + 1:end]])
        msgid = parts.get("msgid", "")
        if not msgid:
            continue
        head = lines[:keys[0]]
        if lines[0].startswith("#, fuzzy") or "#, fuzzy" in head:
            head = [line for line in head if line != "#, fuzzy"]
        if "msgid_plural" in parts:
            if msgid not in PLURALS:
                missing.append(msgid)
                continue
            one, many = PLURALS[msgid]
            body = [f"msgid {_quoted(msgid)}", f"msgid_plural {_quoted(parts['msgid_plural'])}",
                    f"msgstr[0] {_quoted(one)}", f"msgstr[1] {_quoted(many)}"]
        else:
            if msgid not in FR:
                missing.append(msgid)
                continue
            body = [f"msgid {_quoted(msgid)}", f"msgstr {_quoted(FR[msgid])}"]
        blocks[b] = "\n".join(head + body)
    path.write_text("\n\n".join(blocks))
    return missing


if __name__ == "__main__":
    left = fill(Path(__file__).parent / "fr" / "LC_MESSAGES" / "django.po")
    for msgid in left:
        print(f"no French for: {msgid!r}", file=sys.stderr)
    sys.exit(1 if left else 0)
