#include "api/tls_context.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace tideway::api {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with an AEAD cipher, for RSA and
// ECDSA certificates alike. TLS 1.3 has its own list, all of it AEAD and forward-secret.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

// The reason of the newest OpenSSL error, clearing the queue so it cannot leak into the
// next message.
std::string openssl_reason() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(last);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", last);
}

// The whole file, with the OS's reason when it cannot be read.
Result<std::string> read_whole_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} is not a regular file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return make_error(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                      fmt::format("cannot read {}: {}", path, std::strerror(err)));
  }
  // Sized up front so a private key is not left behind in buffers freed while growing.
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.empty()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is empty", path));
  }
  return bytes;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* c) const { X509_free(c); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// A key must never wait for a passphrase on a terminal the daemon does not have: this
// callback supplies none, so an encrypted key fails to load instead.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

std::string format_asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "unknown";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string sha256_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return "unknown";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i > 0) out += ':';
    out += fmt::format("{:02X}", md[i]);
  }
  return out;
}

std::string subject_text(X509* cert) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return "unknown";
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

TlsContext::TlsContext() : context_(ssl::context::tls_server) {}

Result<std::shared_ptr<TlsContext>> TlsContext::create() {
  std::shared_ptr<TlsContext> ctx;
  try {
    ctx.reset(new TlsContext());
  } catch (const boost::system::system_error& e) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("cannot create a TLS context: {}", e.what()));
  }
  boost::system::error_code ec;
  ctx->context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                                ssl::context::single_dh_use,
                            ec);
  SSL_CTX* native = ctx->context_.native_handle();
  // Client-initiated renegotiation only costs the server CPU; nothing here needs it.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("cannot set the TLS policy (TLS 1.2+, {}): {}", kTls12Ciphers,
                                  ec ? ec.message() : openssl_reason()));
  }
  return ctx;
}

Status TlsContext::use_certificate_chain(const std::string& cert_file) {
  auto pem = read_whole_file(cert_file);
  if (!pem.ok()) return pem.error();
  ERR_clear_error();
  SSL_CTX* native = context_.native_handle();
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  std::unique_ptr<X509, X509Deleter> leaf(
      bio ? PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!leaf || SSL_CTX_use_certificate(native, leaf.get()) != 1) {
    // OpenSSL's reason for a file without a certificate ("no start line") says less than
    // what we can see ourselves.
    const std::string reason = pem->find("CERTIFICATE-----") == std::string::npos
                                   ? "the file has no PEM certificate block"
                                   : openssl_reason();
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot load a certificate from {}: {}; expected a PEM "
                                  "certificate chain (-----BEGIN CERTIFICATE-----), the "
                                  "server's certificate first",
                                  cert_file, reason));
  }
  // The rest of the file: intermediate certificates, sent along so clients that only
  // trust the root can build the path.
  SSL_CTX_clear_chain_certs(native);
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(native, extra) != 1) {
      X509_free(extra);
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot use an intermediate certificate of {}: {}",
                                    cert_file, openssl_reason()));
    }
  }
  // The loop ends at the end of the file, which OpenSSL reports as "no start line".
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  } else if (last != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot read the certificate chain in {}: {}", cert_file,
                                  openssl_reason()));
  }
  X509* cert = leaf.get();
  cert_not_after_ = format_asn1_time(X509_get0_notAfter(cert));
  // Refused rather than served: every client would reject it, and failing here names the
  // file while the previous certificate (on reload) keeps serving.
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the certificate in {} expired at {}; expected a current "
                                  "certificate (renew it, then reload)",
                                  cert_file, cert_not_after_));
  }
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1) {
    cert_expiry_ = std::chrono::system_clock::now() + std::chrono::hours(24) * days +
                   std::chrono::seconds(seconds);
  }
  cert_file_ = cert_file;
  cert_sha256_ = sha256_fingerprint(cert);
  cert_subject_ = subject_text(cert);
  return {};
}

Status TlsContext::use_private_key(const std::string& key_file) {
  auto pem = read_whole_file(key_file);
  if (!pem.ok()) return pem.error();
  ERR_clear_error();
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  const bool encrypted = pem->find("ENCRYPTED") != std::string::npos;
  const bool has_key_block = pem->find("PRIVATE KEY-----") != std::string::npos;
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key) {
    if (encrypted) {
      ERR_clear_error();
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the private key in {} is encrypted and the daemon cannot "
                                    "ask for a passphrase; expected an unencrypted PEM key "
                                    "(`openssl pkey -in ENCRYPTED.pem -out {}`, mode 600)",
                                    key_file, key_file));
    }
    const std::string reason =
        has_key_block ? openssl_reason() : "the file has no PEM private key block";
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot load a private key from {}: {}; expected an "
                                  "unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)",
                                  key_file, reason));
  }
  SSL_CTX* native = context_.native_handle();
  X509* cert = SSL_CTX_get0_certificate(native);
  if (cert == nullptr) {
    return make_error(ErrorCode::kInternal, "load the certificate before its private key");
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the private key in {} does not match the certificate in "
                                  "{}; expected the key the certificate was issued for",
                                  key_file, cert_file_));
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot use the private key in {}: {}", key_file,
                                  openssl_reason()));
  }
  return {};
}

std::optional<std::string> key_file_too_open(const std::string& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0) return std::nullopt;
  const unsigned mode = st.st_mode & 07777;
  // The rule PostgreSQL applies to its own server key: 0600 for the owner, or 0640 when
  // root owns the file and a group (Debian's ssl-cert) grants the service read access.
  const unsigned allowed_extra = st.st_uid == 0 ? 0040 : 0;
  if ((mode & 0077 & ~allowed_extra) == 0) return std::nullopt;
  return fmt::format("mode {:04o}", mode);
}

}  // namespace tideway::api
