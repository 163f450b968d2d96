"""The authorization server's two calls to dcr's admin listener."""

import json
import urllib.error
import urllib.request


class DcrUnavailable(Exception):
    """dcr cannot answer now (429, 503, or not reachable): the caller is told
    to come back, never that its credentials are wrong."""

    def __init__(self, status, retry_after):
        super().__init__(f"dcr answered {status}")
        self.status = status
        self.retry_after = retry_after


class DcrAdmin:
    def __init__(self, admin_url, admin_token, timeout=5.0):
        self.admin_url = admin_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def verify(self, client_id, client_secret, client_address):
        """POST /admin/verify: {"valid": false} or {"valid": true, "client", "consent"}.
        Call it on every token request; never keep a valid answer for the next."""
        body = {"client_id": client_id, "client_address": client_address}
        if client_secret is not None:
            body["client_secret"] = client_secret
        return self._post("/admin/verify", body)

    def lookup(self, client_id):
        """POST /admin/lookup: {"usable": true, "client", "consent", ...} or
        {"usable": false, "reason"}. For /authorize, which has no secret."""
        return self._post("/admin/lookup", {"client_id": client_id})

    def _post(self, path, body):
        # The client id travels in the body, never in the URL: an id the client
        # chose, such as "victim/disable?", in a path would be another admin call.
        request = urllib.request.Request(
            self.admin_url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.admin_token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code in (429, 503):
                raise DcrUnavailable(error.code, error.headers.get("Retry-After", "1")) from None
            # 400, 401, 403: this server's mistake (a malformed call, a wrong
            # admin token), never the client's; it becomes a 500.
            raise RuntimeError(f"dcr answered {error.code} to {path}") from None
        except (urllib.error.URLError, OSError):
            raise DcrUnavailable(503, "5") from None
