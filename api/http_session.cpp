#include "api/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "api/http_response.h"
#include "common/log.h"

namespace tideway::api {
namespace {

namespace beast = boost::beast;
const log::Logger kLog{"http"};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server)
    : stream_(std::move(socket)), server_(server) {
  ++server_.sessions_;
}

HttpSession::~HttpSession() { --server_.sessions_; }

void HttpSession::run() {
  boost::asio::dispatch(stream_.get_executor(),
                        beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::shutdown() {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    // Idle between requests: nothing in flight to lose, close now. Otherwise on_write
    // closes after the response is out.
    if (self->reading_ && self->parser_ && !self->parser_->got_some()) {
      beast::error_code ec;
      self->stream_.socket().cancel(ec);
    }
  });
}

void HttpSession::do_read() {
  if (closing_) return do_close();
  parser_.emplace();
  parser_->body_limit(server_.limits_.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.max_header_bytes));
  stream_.expires_after(server_.limits_.idle_timeout);
  reading_ = true;
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  started_ = std::chrono::steady_clock::now();
  if (ec == http::error::end_of_stream || ec == boost::asio::error::operation_aborted ||
      ec == beast::error::timeout || ec == boost::asio::error::connection_reset) {
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

void HttpSession::send(Response response, bool keep_alive, std::string_view route,
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
  stream_.expires_after(server_.limits_.idle_timeout);
  http::async_write(stream_, *pending_,
                    beast::bind_front_handler(&HttpSession::on_write, shared_from_this(),
                                              keep_alive));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  pending_.reset();
  if (ec || !keep_alive || closing_) return do_close();
  do_read();
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace tideway::api
