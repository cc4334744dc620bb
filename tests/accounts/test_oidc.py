"""Staff single sign-on (OpenID Connect) against a tiny provider served on 127.0.0.1.

The fake provider is a real HTTP server: it issues an authorization code for a person, trades
it for an ID token (HS256, signed with the client secret; nonce echoed) and answers userinfo.
"""

import json
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from wengang.accounts.backends import BACKEND
from wengang.accounts.models import Role, User

pytestmark = pytest.mark.django_db
CLIENT_ID, SECRET = "wengang-test", "a-client-secret-of-the-test-provider"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class FakeProvider:
    """Codes for people (``grant``), tokens for codes, userinfo for tokens."""

    def __init__(self) -> None:
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = make_server("127.0.0.1", 0, self.app, handler_class=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def grant(self, code: str, claims: dict, nonce: str) -> None:
        self.codes[code] = {"claims": claims, "nonce": nonce}

    def app(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/token" and environ["REQUEST_METHOD"] == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append(form)
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or form.get("client_secret") != SECRET or not form.get("code_verifier"):
                return self._json(start_response, "400 Bad Request", {"error": "invalid_grant"})
            now = int(time.time())
            id_token = jwt.encode({"iss": self.url, "aud": CLIENT_ID, "sub": "person-1",
                                   "iat": now, "exp": now + 300, "nonce": grant["nonce"]},
                                  SECRET, algorithm="HS256")
            access = f"at-{len(self.tokens)}"
            self.tokens[access] = grant["claims"]
            return self._json(start_response, "200 OK", {"access_token": access,
                                                         "id_token": id_token,
                                                         "token_type": "Bearer"})
        if path == "/userinfo":
            claims = self.tokens.get(environ.get("HTTP_AUTHORIZATION", "")[len("Bearer "):])
            if claims is None:
                return self._json(start_response, "401 Unauthorized", {"error": "invalid_token"})
            return self._json(start_response, "200 OK", claims)
        return self._json(start_response, "404 Not Found", {})

    @staticmethod
    def _json(start_response, status: str, body: dict):
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


@pytest.fixture
def provider():
    fake = FakeProvider()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def sso(provider):
    with override_settings(
            WENGANG_OIDC=True, OIDC_RP_CLIENT_ID=CLIENT_ID, OIDC_RP_CLIENT_SECRET=SECRET,
            OIDC_OP_AUTHORIZATION_ENDPOINT=f"{provider.url}/authorize",
            OIDC_OP_TOKEN_ENDPOINT=f"{provider.url}/token",
            OIDC_OP_USER_ENDPOINT=f"{provider.url}/userinfo", OIDC_RP_SIGN_ALGO="HS256",
            OIDC_OP_JWKS_ENDPOINT=None, OIDC_RP_SCOPES="openid profile", OIDC_CREATE_USER=False,
            OIDC_USE_PKCE=True, OIDC_AUTHENTICATION_CALLBACK_URL="web:staff-sso-callback",
            LOGIN_REDIRECT_URL_FAILURE="/console/login/?sso=failed",
            AUTHENTICATION_BACKENDS=[BACKEND, "wengang.accounts.oidc.StaffOIDCBackend"]):
        yield provider


@pytest.fixture
def officer(db) -> User:
    return User.objects.create_user("officer", password=None, role=Role.AGENCY,
                                    region_code="360100")


def sign_in(client: Client, provider: FakeProvider, claims: dict, *, code: str = "code-1"):
    """Start at our SSO button, let the provider grant ``claims``, come back with its code."""
    start = client.get(reverse("web:staff-sso"))
    assert start.status_code == 302
    asked = urlparse(start["Location"])
    assert f"{asked.scheme}://{asked.netloc}{asked.path}" == f"{provider.url}/authorize"
    query = {k: v[0] for k, v in parse_qs(asked.query).items()}
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    provider.grant(code, claims, query["nonce"])
    return client.get(reverse("web:staff-sso-callback") + "?"
                      + urlencode({"code": code, "state": query["state"]}))


def test_without_configuration_there_is_no_sso(client):
    assert client.get(reverse("web:staff-sso")).status_code == 404
    assert client.get(reverse("web:staff-sso-callback")).status_code == 404
    assert 'id="sso"' not in client.get(reverse("web:staff-login")).content.decode()


def test_an_officer_signs_in_through_the_provider(sso, officer):
    client = Client()
    assert 'id="sso"' in client.get(reverse("web:staff-login")).content.decode()
    response = sign_in(client, sso, {"sub": "person-1", "preferred_username": "officer"})
    assert response.status_code == 302 and response["Location"] == reverse("web:console-home")
    assert client.get(reverse("web:console-home")).status_code == 200
    assert int(client.session["_auth_user_id"]) == officer.pk
    (request,) = sso.token_requests
    assert request["redirect_uri"] == "http://testserver" + reverse("web:staff-sso-callback")


@pytest.mark.parametrize("claims", [
    {"sub": "person-2", "preferred_username": "nobody"},         # no such account
    {"sub": "person-3"},                                           # no username claim
    {"sub": "person-4", "preferred_username": "ent-913601"},      # an enterprise account
    {"sub": "person-5", "preferred_username": "retired"},         # an inactive officer
])
def test_only_an_existing_active_staff_account_is_signed_in(sso, officer, claims):
    User.objects.create_user("ent-913601", password=None, role=Role.ENTERPRISE,
                             uscc="913601000000000000")
    User.objects.create_user("retired", password=None, role=Role.AGENCY, region_code="360100",
                             is_active=False)
    client = Client()
    response = sign_in(client, sso, claims)
    assert response.status_code == 302 and response["Location"] == "/console/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 3  # nobody was created
    page = client.get(response["Location"]).content.decode()
    assert "统一身份认证登录未成功" in page


def test_a_forged_code_or_state_signs_nobody_in(sso, officer):
    client = Client()
    start = client.get(reverse("web:staff-sso"))
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    wrong_code = client.get(reverse("web:staff-sso-callback") + "?"
                            + urlencode({"code": "never-granted", "state": state}))
    assert wrong_code.status_code == 302  # the provider refused the code: back to the login
    assert wrong_code["Location"] == "/console/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    wrong_state = client.get(reverse("web:staff-sso-callback") + "?"
                             + urlencode({"code": "x", "state": "not-ours"}))
    assert wrong_state.status_code == 400
    assert "_auth_user_id" not in client.session
