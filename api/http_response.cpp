#include "api/http_response.h"

#include <string>

namespace tideway::api {

Response text_response(http::status status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(http::field::server, "tideway");
  res.set(http::field::content_type,
          boost::beast::string_view(content_type.data(), content_type.size()));
  // Status and metrics are live values: no cache on the way may serve an old one.
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(http::status status, const nlohmann::json& body) {
  // Invalid UTF-8 from a database error message must not turn into a 500 here.
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  return text_response(status, std::move(text), "application/json");
}

Response json_error(http::status status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

}  // namespace tideway::api
