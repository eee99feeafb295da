#pragma once
// HttpServer: an asynchronous HTTP/1.1 server on Boost.Beast. It runs on the io_context
// it is given (the daemon's HTTP threads), one strand per connection, with keep-alive,
// limits on header and body size and an idle timeout on every read. Handlers run on the
// I/O threads, so they must never block on a database: they only read state or post work.
// With use_tls() it speaks HTTPS only (no plain-HTTP fallback on the same port); the
// certificate can be replaced while it runs, for rotation without a restart.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/router.h"
#include "common/error.h"

namespace tideway::api {

struct HttpLimits {
  std::size_t max_body_bytes = 1 << 20;     // Default: 1 MiB; larger bodies get 413.
  std::size_t max_header_bytes = 16 << 10;  // Default: 16 KiB; larger headers get 431.
  std::chrono::seconds idle_timeout{60};    // Default: 60 s to receive a whole request.
};

/// Called once per answered request, on an I/O thread (for metrics and access logs).
using RequestObserver = std::function<void(std::string_view route, std::string_view method,
                                           unsigned status, double seconds)>;

class HttpSessionBase;
template <class Stream>
class HttpSession;
class TlsContext;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const Router& router, HttpLimits limits,
             RequestObserver observer);
  ~HttpServer();

  /// Binds and listens; kUnavailable with the OS reason when the address is taken.
  Status listen(const std::string& host, std::uint16_t port);
  /// Serve HTTPS with this context instead of plain HTTP; call before start().
  void use_tls(std::shared_ptr<TlsContext> tls);
  bool tls_enabled() const { return tls_enabled_; }
  /// New connections use `tls` from now on; open ones keep the context they started
  /// with. Thread-safe. Only for a server started with use_tls().
  Status replace_tls(std::shared_ptr<TlsContext> tls);
  /// Starts accepting on the io_context.
  void start();
  /// Stops accepting; idle keep-alive connections close now, busy ones after their
  /// response. Thread-safe.
  void stop();
  /// Open connections (for shutdown draining).
  std::size_t open_sessions() const { return sessions_.load(); }
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  template <class Stream>
  friend class HttpSession;
  void do_accept();
  void register_session(const std::shared_ptr<HttpSessionBase>& s);
  std::shared_ptr<TlsContext> current_tls();

  boost::asio::io_context& io_;
  const Router& router_;
  const HttpLimits limits_;
  RequestObserver observer_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> sessions_{0};
  std::atomic<bool> stopping_{false};
  std::mutex live_mutex_;
  std::vector<std::weak_ptr<HttpSessionBase>> live_;
  bool tls_enabled_ = false;  // fixed before start()
  std::mutex tls_mutex_;
  std::shared_ptr<TlsContext> tls_;
};

}  // namespace tideway::api
