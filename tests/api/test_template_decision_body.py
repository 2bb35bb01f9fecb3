"""The version an approval names is a whole number as the document says it — `{"version": 1}` or `1.0` — and
never a flag, a string or a fraction (Schemathesis found `1.0`, which the document allows, refused with a 422)."""

from __future__ import annotations

import pytest

from collectguard.templates.schemas import TemplateDecisionIn
from tests.api.conftest import auth

TEXT = "【示例银行】您的借款已逾期，请通过官方App还款。"


@pytest.mark.parametrize("version", [2, 2.0])
def test_a_whole_number_is_a_version(version):
    assert TemplateDecisionIn.model_validate({"version": version}).version == 2


@pytest.mark.parametrize("version", [True, "2", 2.5, 0, 2_147_483_648])
def test_anything_else_is_refused(version):
    with pytest.raises(ValueError):
        TemplateDecisionIn.model_validate({"version": version})


def test_approving_version_1_0_over_http(api):
    client, tokens = api
    admin, approver = auth(tokens["institution_admin"]), auth(tokens["compliance_officer"])
    created = client.post("/v1/templates", json={"institution": "bank", "audience": "debtor", "channel": "sms",
                                                 "text": TEXT}, headers=admin).json()
    answer = client.post(f"/v1/templates/{created['id']}/approve", json={"version": 1.0}, headers=approver)
    assert answer.status_code == 200, answer.text
    assert answer.json()["current"]["status"] == "approved"
