#pragma once
// TlsContext: the server side of the API's optional TLS. One OpenSSL context built from a
// certificate chain and its private key, with TLS 1.2 as the floor and forward-secret
// AEAD ciphers for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults, all of which qualify).
//
// A context is immutable once built. HttpServer hands the current one to each new
// connection (shared ownership), so a SIGHUP reload can swap in a context built from a
// rotated certificate while connections opened before it finish on the old one.

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"

namespace tideway::api {

class TlsContext {
 public:
  /// A context with the protocol and cipher policy and no certificate yet.
  static Result<std::shared_ptr<TlsContext>> create();

  /// Loads a PEM certificate chain (server certificate first). Fails, naming the file,
  /// when it cannot be read, is not PEM, or the certificate has expired.
  Status use_certificate_chain(const std::string& cert_file);
  /// Loads an unencrypted PEM private key and checks it belongs to the certificate;
  /// call after use_certificate_chain.
  Status use_private_key(const std::string& key_file);

  boost::asio::ssl::context& native() { return context_; }

  // For logs: what is being served, so an operator can see a rotation took effect.
  const std::string& cert_sha256() const { return cert_sha256_; }  // "AB:CD:..." as openssl prints it
  const std::string& cert_subject() const { return cert_subject_; }
  const std::string& cert_not_after() const { return cert_not_after_; }  // "2027-01-31T12:00:00Z"
  std::chrono::system_clock::time_point cert_expiry() const { return cert_expiry_; }

 private:
  TlsContext();

  boost::asio::ssl::context context_;
  std::string cert_file_;
  std::string cert_sha256_;
  std::string cert_subject_;
  std::string cert_not_after_;
  std::chrono::system_clock::time_point cert_expiry_;
};

/// A private key file readable by anyone but its owner (or, when root owns it, by more
/// than its group, as with Debian's ssl-cert group) gets a warning: the description of
/// what is too open ("mode 0644"), or nothing when the permissions are fine or the file
/// cannot be inspected (loading reports that).
std::optional<std::string> key_file_too_open(const std::string& key_file);

}  // namespace tideway::api
