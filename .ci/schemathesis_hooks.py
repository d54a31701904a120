"""schemathesis hooks for omnibridge's document (loaded through SCHEMATHESIS_HOOKS).

`POST /api/v2/email/inbound` takes a raw mail, `message/rfc822`, which schemathesis has no
serializer for: the generated text goes as its bytes, so omnibridge's mail parser meets
whatever schemathesis makes up.
"""

import os

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """JivoChat's webhook gets the demo chat account's real token (OB_WEBHOOK_TOKEN), so its
    generated bodies reach the events, not only the token check."""
    token = os.environ.get("OB_WEBHOOK_TOKEN")
    if token and path_parameters and "webhookToken" in path_parameters:
        path_parameters["webhookToken"] = token
    return path_parameters
