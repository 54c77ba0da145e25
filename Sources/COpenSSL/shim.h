#ifndef PROVCHECK_COPENSSL_SHIM_H
#define PROVCHECK_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/asn1.h>
#include <openssl/ts.h>
#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>

/* TLS settings shared by the registry client and the loopback test server. These are macros in OpenSSL's headers,
   which Swift cannot call, so they are wrapped here. */

/* TLS 1.2 or newer; an EOF without close_notify reads as an ordinary EOF (HTTP framing detects truncation);
   no renegotiation; a write retried after WANT_WRITE may pass a moved buffer, and partial writes are reported. */
static inline void provcheck_tls_configure(SSL_CTX *context) {
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
}

/* Sends the server name (SNI) in the ClientHello. */
static inline int provcheck_tls_set_server_name(SSL *connection, const char *name) {
    return (int)SSL_set_tlsext_host_name(connection, name);
}
#endif
