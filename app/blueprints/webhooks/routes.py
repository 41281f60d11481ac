"""`/webhooks/meta`: Meta's verification GET and signed `leadgen` POSTs.

No session, no CSRF token and no rate limit here: the HMAC signature over the raw body is
the authentication, and Meta must never be turned away for sending a burst."""

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, jsonify, request

from app.extensions import csrf, db, limiter
from app.services import meta_webhooks
from app.tasks import webhook_worker

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/meta")
def verify():
    challenge = meta_webhooks.verify_subscription(
        request.args, current_app.config["META_WEBHOOK_VERIFY_TOKEN"]
    )
    if challenge is None:
        abort(403)
    return Response(challenge, mimetype="text/plain")


@bp.post("/meta")
def receive():
    body = read_body(current_app.config["WEBHOOK_MAX_BYTES"])
    signature = request.headers.get("X-Hub-Signature-256")
    if not meta_webhooks.valid_signature(body, signature, current_app.config["META_APP_SECRET"]):
        log.warning("webhook refused: missing or wrong signature")
        abort(403)
    delivery = meta_webhooks.parse_delivery(body)  # malformed entries are kept, never a 5xx
    event_ids = meta_webhooks.record_delivery(delivery, datetime.now(UTC))
    db.session.commit()  # persisted before Meta hears 200
    webhook_worker.notify(current_app._get_current_object(), event_ids)
    return jsonify({"received": len(event_ids), "invalid": len(delivery.invalid)})


def read_body(limit: int) -> bytes:
    """The raw body (the signature covers these exact bytes), refused above *limit*."""
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.get_data(cache=False)
    if len(body) > limit:
        abort(413)
    return body
