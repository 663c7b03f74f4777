"""A real SMTP server for the interoperability test of `alertsim send`:
aiosmtpd on 127.0.0.1, STARTTLS required, AUTH required, each message
written to a directory as received.

usage: aiosmtpd_server.py PORT CERT KEY OUTDIR USER PASSWORD
Prints "ready" once listening; stops when its standard input closes.
"""
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, out, user, password = sys.argv[1:7]


class Store:
    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(out)) + 1
        with open(os.path.join(out, "%d.eml" % n), "wb") as f:
            f.write(envelope.original_content)
        return "250 2.0.0 OK stored"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    )
    return AuthResult(success=ok)


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)
controller = Controller(
    Store(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=tls,
    require_starttls=True,
    authenticator=authenticate,
    auth_required=True,
)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
