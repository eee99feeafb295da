#pragma once
// Builders for JSON responses. Every error leaves tideway as
//   {"error": {"code": "<stable_code>", "message": "<what is wrong and how to fix it>"}}
// with the matching HTTP status, so curl users and scripts see the same shape everywhere.

#include <string_view>

#include <nlohmann/json.hpp>

#include "api/http_types.h"

namespace tideway::api {

Response json_response(http::status status, const nlohmann::json& body);
Response json_error(http::status status, std::string_view code, std::string_view message);
Response text_response(http::status status, std::string body, std::string_view content_type);

}  // namespace tideway::api
