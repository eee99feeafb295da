#include "api/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <fmt/format.h>

#include "api/http_response.h"
#include "common/log.h"

namespace tideway::api {
namespace {

namespace beast = boost::beast;
const log::Logger kLog{"http"};

// How long a closing TLS connection waits for the client's close_notify after sending its
// own. Short: the response is already out, and a client that keeps an idle connection
// open must not hold up the daemon's shutdown.
constexpr std::chrono::seconds kTlsCloseWait{1};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string peer_of(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server)
  requires(!kTls)
    : stream_(std::move(socket)), server_(server) {
  ++server_.sessions_;
}

template <class Stream>
HttpSession<Stream>::HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server,
                                 std::shared_ptr<TlsContext> tls)
  requires(kTls)
    : tls_(std::move(tls)),
      stream_(std::move(socket), tls_->native()),
      server_(server),
      peer_(peer_of(beast::get_lowest_layer(stream_).socket())) {
  ++server_.sessions_;
}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  --server_.sessions_;
}

template <class Stream>
void HttpSession<Stream>::run() {
  if constexpr (kTls) {
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      // The handshake counts against the idle timeout like a request: a client that
      // connects and says nothing holds a connection for no longer than that.
      beast::get_lowest_layer(self->stream_).expires_after(self->server_.limits_.idle_timeout);
      self->handshaking_ = true;
      // Look at the first bytes before handing them to OpenSSL, to tell a plain-HTTP
      // client (it gets a readable answer) from a failed TLS client.
      beast::async_detect_ssl(beast::get_lowest_layer(self->stream_), self->buffer_,
                              beast::bind_front_handler(&HttpSession::on_detect, self));
    });
  } else {
    boost::asio::dispatch(stream_.get_executor(),
                          beast::bind_front_handler(&HttpSession::do_read,
                                                    this->shared_from_this()));
  }
}

template <class Stream>
void HttpSession<Stream>::on_detect(beast::error_code ec, bool tls) {
  if (ec) {
    handshaking_ = false;
    // Nothing, or too little, before the idle timeout or the client's close.
    if (!closing_) {
      kLog.info("TLS handshake failed", {{"peer", peer_}, {"error", ec.message()}});
    }
    return close_socket();
  }
  if (!tls) {
    handshaking_ = false;
    return refuse_plain_http();
  }
  if constexpr (kTls) {
    stream_.async_handshake(boost::asio::ssl::stream_base::server, buffer_.data(),
                            beast::bind_front_handler(&HttpSession::on_handshake,
                                                      this->shared_from_this()));
  }
}

// A plain-HTTP request on the TLS port: one JSON 400 in clear text naming the fix, then
// close. The request is not parsed; nothing of it reaches the router.
template <class Stream>
void HttpSession<Stream>::refuse_plain_http() {
  kLog.info("plain HTTP request on the TLS port", {{"peer", peer_}});
  started_ = std::chrono::steady_clock::now();
  Response response = json_error(http::status::bad_request, "bad_request",
                                 "this port speaks HTTPS; send the request to https://");
  response.keep_alive(false);
  if (server_.observer_) {
    server_.observer_("unmatched", "unknown", response.result_int(), seconds_since(started_));
  }
  pending_ = std::make_shared<Response>(std::move(response));
  auto& tcp = beast::get_lowest_layer(stream_);
  tcp.expires_after(server_.limits_.idle_timeout);
  http::async_write(tcp, *pending_,
                    [self = this->shared_from_this()](beast::error_code, std::size_t) {
                      self->pending_.reset();
                      self->close_socket();
                    });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec, std::size_t bytes_used) {
  handshaking_ = false;
  buffer_.consume(bytes_used);
  if (ec) {
    // A scanner, an old TLS version or a client that distrusts the certificate: one
    // line for the operator, and nothing else is affected.
    if (!closing_) {
      kLog.info("TLS handshake failed", {{"peer", peer_}, {"error", ec.message()}});
    }
    return close_socket();
  }
  handshake_done_ = true;
  do_read();
}

template <class Stream>
void HttpSession<Stream>::shutdown() {
  boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    self->closing_ = true;
    // Idle between requests (or still shaking hands): nothing in flight to lose, close
    // now. Otherwise on_write closes after the response is out.
    if (self->handshaking_ || (self->reading_ && self->parser_ && !self->parser_->got_some())) {
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().cancel(ec);
    }
  });
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  if (closing_) return do_close();
  parser_.emplace();
  parser_->body_limit(server_.limits_.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.max_header_bytes));
  beast::get_lowest_layer(stream_).expires_after(server_.limits_.idle_timeout);
  reading_ = true;
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  started_ = std::chrono::steady_clock::now();
  // stream_truncated: a TLS client closed the TCP connection without close_notify, which
  // is how most clients end a keep-alive connection; only TLS sessions can see it.
  if (ec == http::error::end_of_stream || ec == boost::asio::error::operation_aborted ||
      ec == beast::error::timeout || ec == boost::asio::error::connection_reset ||
      ec == boost::asio::ssl::error::stream_truncated) {
    return do_close();
  }
  if (ec == http::error::body_limit) {
    return send(json_error(http::status::payload_too_large, "payload_too_large",
                           "request body exceeds " +
                               std::to_string(server_.limits_.max_body_bytes) + " bytes"),
                false, "unmatched", "unknown");
  }
  if (ec == http::error::header_limit) {
    return send(json_error(http::status::request_header_fields_too_large,
                           "header_fields_too_large",
                           "request headers exceed " +
                               std::to_string(server_.limits_.max_header_bytes) + " bytes"),
                false, "unmatched", "unknown");
  }
  if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category()) {
    // Any other Beast HTTP parse error: the client sent something that is not HTTP/1.x.
    return send(json_error(http::status::bad_request, "bad_request",
                           "malformed HTTP request: " + ec.message()),
                false, "unmatched", "unknown");
  }
  if (ec) {
    kLog.debug("connection read failed", {{"error", ec.message()}});
    return do_close();
  }

  const Request& request = parser_->get();
  const bool keep_alive = request.keep_alive() && !closing_;
  RouteResult result = server_.router_.dispatch(request);
  result.response.version(request.version());
  send(std::move(result.response), keep_alive, result.route,
       std::string(request.method_string()));
}

template <class Stream>
void HttpSession<Stream>::send(Response response, bool keep_alive, std::string_view route,
                               std::string_view method) {
  response.keep_alive(keep_alive);
  if (parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head) {
    // HEAD: same headers as GET, no body; Content-Length stays the GET length.
    response.body().clear();
  }
  const unsigned status = response.result_int();
  if (server_.observer_) {
    server_.observer_(route, method, status, seconds_since(started_));
  }
  pending_ = std::make_shared<Response>(std::move(response));
  beast::get_lowest_layer(stream_).expires_after(server_.limits_.idle_timeout);
  http::async_write(stream_, *pending_,
                    beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this(),
                                              keep_alive));
}

template <class Stream>
void HttpSession<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  pending_.reset();
  if (ec || !keep_alive || closing_) return do_close();
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_close() {
  if constexpr (kTls) {
    if (handshake_done_) {
      // Send close_notify so the client can tell a complete response from a cut one;
      // wait briefly for its answer, then close whatever happened.
      handshake_done_ = false;
      beast::get_lowest_layer(stream_).expires_after(kTlsCloseWait);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close_socket(); });
      return;
    }
  }
  close_socket();
}

template <class Stream>
void HttpSession<Stream>::close_socket() {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(stream_).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace tideway::api
