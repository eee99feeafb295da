#include "api/http_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <fmt/format.h>

#include "api/http_session.h"
#include "common/log.h"

namespace tideway::api {
namespace {

namespace net = boost::asio;
const log::Logger kLog{"http"};

}  // namespace

HttpServer::HttpServer(net::io_context& io, const Router& router, HttpLimits limits,
                       RequestObserver observer)
    : io_(io),
      router_(router),
      limits_(limits),
      observer_(std::move(observer)),
      acceptor_(net::make_strand(io)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not an IP address: {}", host, ec.message()));
  }
  const net::ip::tcp::endpoint endpoint(address, port);
  const std::string where = fmt::format("{}:{}", host, port);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cannot open socket for {}: {}", where, ec.message()));
  }
  // Lets a restarted daemon bind while old connections sit in TIME_WAIT; it does not let
  // two live daemons share the port on Linux.
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  return {};
}

net::ip::tcp::endpoint HttpServer::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void HttpServer::use_tls(std::shared_ptr<TlsContext> tls) {
  tls_enabled_ = true;
  std::lock_guard lock(tls_mutex_);
  tls_ = std::move(tls);
}

Status HttpServer::replace_tls(std::shared_ptr<TlsContext> tls) {
  if (!tls_enabled_) {
    return make_error(ErrorCode::kConflict,
                      "the server speaks plain HTTP; turning TLS on takes a restart");
  }
  std::lock_guard lock(tls_mutex_);
  tls_ = std::move(tls);
  return {};
}

std::shared_ptr<TlsContext> HttpServer::current_tls() {
  std::lock_guard lock(tls_mutex_);
  return tls_;
}

void HttpServer::start() {
  net::post(acceptor_.get_executor(), [this] { do_accept(); });
}

void HttpServer::do_accept() {
  acceptor_.async_accept(net::make_strand(io_), [this](boost::system::error_code ec,
                                                       net::ip::tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      // EMFILE and friends: log, and keep accepting; a transient fd shortage must not
      // turn the API off for good.
      kLog.warn("accept failed", {{"error", ec.message()}});
    } else {
      std::shared_ptr<HttpSessionBase> session;
      if (tls_enabled_) {
        session = std::make_shared<HttpSession<TlsStream>>(std::move(socket), *this,
                                                           current_tls());
      } else {
        session = std::make_shared<HttpSession<PlainStream>>(std::move(socket), *this);
      }
      register_session(session);
      session->run();
    }
    do_accept();
  });
}

void HttpServer::register_session(const std::shared_ptr<HttpSessionBase>& s) {
  std::lock_guard lock(live_mutex_);
  // Forget sessions that have ended, so the list stays as long as the open connections.
  std::erase_if(live_, [](const std::weak_ptr<HttpSessionBase>& w) { return w.expired(); });
  live_.push_back(s);
  if (stopping_) s->shutdown();
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  std::lock_guard lock(live_mutex_);
  for (auto& w : live_) {
    if (auto s = w.lock()) s->shutdown();
  }
}

}  // namespace tideway::api
