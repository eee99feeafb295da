#pragma once
// HttpServer: an asynchronous HTTP/1.1 server on Boost.Beast. It runs on the io_context
// it is given (the daemon's HTTP threads), one strand per connection, with keep-alive,
// limits on header and body size and an idle timeout on every read. Handlers run on the
// I/O threads, so they must never block on a database: they only read state or post work.

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

class HttpSession;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const Router& router, HttpLimits limits,
             RequestObserver observer);
  ~HttpServer();

  /// Binds and listens; kUnavailable with the OS reason when the address is taken.
  Status listen(const std::string& host, std::uint16_t port);
  /// Starts accepting on the io_context.
  void start();
  /// Stops accepting; idle keep-alive connections close now, busy ones after their
  /// response. Thread-safe.
  void stop();
  /// Open connections (for shutdown draining).
  std::size_t open_sessions() const { return sessions_.load(); }
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  friend class HttpSession;
  void do_accept();
  void register_session(const std::shared_ptr<HttpSession>& s);

  boost::asio::io_context& io_;
  const Router& router_;
  const HttpLimits limits_;
  RequestObserver observer_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> sessions_{0};
  std::atomic<bool> stopping_{false};
  std::mutex live_mutex_;
  std::vector<std::weak_ptr<HttpSession>> live_;
};

}  // namespace tideway::api
