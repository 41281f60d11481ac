"""The connection test an admin runs from the Meta connections page: each thing a working
connection needs, checked against Meta and said in plain words."""

from dataclasses import dataclass
from datetime import UTC, datetime

from app.meta.client import GraphClient, GraphError
from app.models import MetaApiConfig
from app.services.meta_errors import explain
from app.services.meta_tokens import app_client, inspect_token


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def test_connection(config: MetaApiConfig, client: GraphClient) -> list[Check]:
    """Each thing a working connection needs, checked against Meta and said in plain words."""
    token = inspect_token(config, client, app_client())
    checks = [Check("Token", token.usable, token.detail)]
    if not token.usable:
        return checks
    checks.append(
        attempt(
            "Page",
            lambda: (
                f"Page “{client.get_page(config.page_id).get('name', config.page_id)}” is visible."
            ),
            "The token cannot see Page {page}: is it a token of this Page?",
            config,
        )
    )
    checks.append(
        attempt(
            "Lead forms",
            lambda: forms_detail(config, client),
            "The Page's lead forms cannot be listed.",
            config,
        )
    )
    checks.append(
        attempt(
            "Webhook",
            lambda: webhook_detail(config, client),
            "Cannot read the Page's webhook subscription.",
            config,
        )
    )
    return checks


def attempt(name: str, work, failure: str, config: MetaApiConfig) -> Check:
    try:
        return Check(name, True, work())
    except GraphError as error:
        return Check(
            name,
            False,
            f"{failure.format(page=config.page_id)} ({explain(error, datetime.now(UTC))})",
        )


def forms_detail(config: MetaApiConfig, client: GraphClient) -> str:
    forms = client.list_forms(config.page_id)
    synced = sum(1 for f in config.forms if f.is_active)
    return f"{len(forms)} lead form(s) on the Page; {synced} synced here."


def webhook_detail(config: MetaApiConfig, client: GraphClient) -> str:
    fields = client.subscribed_fields(config.page_id)
    if "leadgen" in fields:
        return "The Page sends new leads to our webhook at once."
    return (
        "The Page is not subscribed to the leadgen webhook: leads arrive with the poll only "
        "(subscribe the app to the Page to get them within a second)."
    )
