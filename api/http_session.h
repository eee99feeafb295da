#pragma once
// One client connection: read a request, route it, write the response, repeat while the
// client keeps the connection alive. Malformed or oversized requests get a JSON 4xx and
// the connection is closed (after a framing error the stream position is unknown).

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/http_server.h"

namespace tideway::api {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, HttpServer& server);
  ~HttpSession();
  void run();
  /// Posted by HttpServer::stop(): close now if idle, otherwise after the response.
  void shutdown();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void send(Response response, bool keep_alive, std::string_view route, std::string_view method);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> pending_;
  HttpServer& server_;
  std::chrono::steady_clock::time_point started_;
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace tideway::api
