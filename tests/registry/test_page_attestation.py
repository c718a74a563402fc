"""The lot attestation downloads: signed by the log key, every certificate with its log index, the checkpoint
covering them; only for those who may see the lot."""

from __future__ import annotations

import csv
import io
import json

from django.urls import reverse
from portal_world import World, client

from registry.log import store
from station.certify import checkpoint as notes
from station.certify import keys, pdf


def test_csv_lists_every_record_with_its_log_index_and_the_checkpoint(world: World) -> None:
    answer = client(world.donor).get(reverse("pages:lot-attestation", args=[world.lot.pk, "csv"]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    by_cert = {r["certificate_id"]: r for r in rows}
    for name in ("erased", "failed"):
        record = world.records[name]
        assert by_cert[record.record_id]["certificate_log_index"] == str(record.log_index)
    assert by_cert[world.records["erased"].record_id]["outcome"] == "reuse"
    assert by_cert[world.records["failed"].record_id]["outcome"] == "not-erased"
    newest = store.latest()
    assert newest is not None and {r["checkpoint_size"] for r in rows} == {str(newest.size)}


def test_pdf_carries_json_signed_by_the_log_key_and_a_checkpoint_that_verifies(world: World) -> None:
    for lang, word in (("fr", "Réemployés"), ("en", "Reused")):
        answer = client(world.donor).get(reverse("pages:lot-attestation", args=[world.lot.pk, f"pdf-{lang}"]))
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
        assert word in pdf.page_text(answer.content)
        files = pdf.attachments(answer.content)
        data = files["attestation-LOT-2025-01.json"]
        signer = store.signer()
        assert keys.PublicKey(signer.private.public_key()).verify(files["attestation-LOT-2025-01.json.sig"], data)
        body = json.loads(data)
        tree = notes.open_checkpoint(body["checkpoint"]["note"].encode(), signer.verifier())
        assert tree.size == body["checkpoint"]["size"]


def test_other_donor_gets_not_found(world: World) -> None:
    for fmt in ("csv", "pdf-fr"):
        url = reverse("pages:lot-attestation", args=[world.lot.pk, fmt])
        assert client(world.other_donor).get(url).status_code == 404
