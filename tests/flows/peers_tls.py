# Certificates for the TLS flows, made with the openssl CLI.
# SPDX-License-Identifier: GPL-2.0-only
import os
import subprocess

import flowlib as fl


def tls_material(tb):
    """A CA, a server certificate for 127.0.0.1 / ::1 / localhost (subjectAltName) and a
    client certificate, both signed by it, made with the openssl CLI in tb's workdir
    (once per Testbed). Returns the paths: ca, ca_key, server_cert, server_key,
    client_cert, client_key, server_pem / client_pem (key and certificate in one file,
    as baresip and Kamailio take them) and sofia_dir (agent.pem + cafile.pem, the
    directory Sofia-SIP's TPTAG_CERTIFICATE names)."""
    d = os.path.join(tb.dir, "tls")
    paths = {k: os.path.join(d, v) for k, v in (
        ("ca", "ca.crt"), ("ca_key", "ca.key"), ("server_cert", "server.crt"), ("server_key", "server.key"),
        ("client_cert", "client.crt"), ("client_key", "client.key"), ("server_pem", "server.pem"),
        ("client_pem", "client.pem"))}
    paths["sofia_dir"] = os.path.join(d, "sofia")
    paths["dir"] = d
    if os.path.exists(paths["client_pem"]):
        return paths
    os.makedirs(paths["sofia_dir"], exist_ok=True)

    def ossl(*args):
        r = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise fl.FlowError("openssl %s: %s" % (" ".join(args), r.stderr.strip()))

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
         "-subj", "/CN=sipgw flow test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for who, cn, ext in (("server", "127.0.0.1",
                          "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                          "extendedKeyUsage=serverAuth,clientAuth\n"),
                         ("client", "sipgw flow test client",
                          "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                          "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, who + ".ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" + ext)
        ossl("req", *key, "-keyout", who + ".key", "-out", who + ".csr", "-subj", "/CN=" + cn)
        ossl("x509", "-req", "-in", who + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", who + ".crt", "-days", "2", "-extfile", who + ".ext")
    for who in ("server", "client"):
        with open(paths[who + "_pem"] + ".tmp", "w") as out:
            for part in (who + ".key", who + ".crt"):
                with open(os.path.join(d, part)) as f:
                    out.write(f.read())
    os.rename(paths["server_pem"] + ".tmp", paths["server_pem"])
    with open(os.path.join(paths["sofia_dir"], "agent.pem"), "w") as out, open(paths["server_pem"]) as f:
        out.write(f.read())
    with open(os.path.join(paths["sofia_dir"], "cafile.pem"), "w") as out, open(paths["ca"]) as f:
        out.write(f.read())
    # client.pem last: its presence says the set is complete
    os.rename(paths["client_pem"] + ".tmp", paths["client_pem"])
    return paths
