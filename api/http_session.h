#pragma once
// One client connection: read a request, route it, write the response, repeat while the
// client keeps the connection alive. Malformed or oversized requests get a JSON 4xx and
// the connection is closed (after a framing error the stream position is unknown).
//
// The same session serves plain HTTP (PlainStream) and HTTPS (TlsStream): a TLS session
// only adds the handshake before its first read and close_notify before it closes, so
// limits, timeouts, keep-alive and error answers are one code path for both. A TLS
// session whose first bytes are not a TLS handshake answers a plain JSON 400 saying the
// port speaks HTTPS, instead of leaving the client with an empty reply.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "api/http_server.h"
#include "api/tls_context.h"

namespace tideway::api {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// What HttpServer needs of every live session, whatever its stream.
class HttpSessionBase {
 public:
  virtual ~HttpSessionBase() = default;
  virtual void run() = 0;
  /// Posted by HttpServer::stop(): close now if idle, otherwise after the response.
  virtual void shutdown() = 0;
};

template <class Stream>
class HttpSession final : public HttpSessionBase,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server)
    requires(!kTls);
  /// `tls` stays owned by the session: a reload may replace the server's context while
  /// this connection still uses the old one.
  HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server,
              std::shared_ptr<TlsContext> tls)
    requires(kTls);
  ~HttpSession() override;
  void run() override;
  void shutdown() override;

 private:
  void on_detect(boost::beast::error_code ec, bool tls);
  void refuse_plain_http();
  void on_handshake(boost::beast::error_code ec, std::size_t bytes_used);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void send(Response response, bool keep_alive, std::string_view route, std::string_view method);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void close_socket();

  std::shared_ptr<TlsContext> tls_;  // declared before stream_, which refers to it
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> pending_;
  HttpServer& server_;
  std::string peer_;  // "address:port", for the TLS handshake log line
  std::chrono::steady_clock::time_point started_;
  bool handshaking_ = false;
  bool handshake_done_ = false;
  bool reading_ = false;
  bool closing_ = false;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace tideway::api
