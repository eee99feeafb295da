#pragma once
// The request and response types every handler sees. Bodies are strings: requests are
// bounded by HttpLimits::max_body_bytes before a handler runs.

#include <boost/beast/http.hpp>

namespace tideway::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

}  // namespace tideway::api
