#include "api/router.h"

#include <exception>

#include "api/http_response.h"
#include "common/log.h"

namespace tideway::api {
namespace {

const log::Logger kLog{"http"};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      if (params != nullptr) (*params)[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> split_path(std::string_view path) {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(percent_decode(path.substr(start, end - start)));
    start = end;
  }
  return segments;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      out[std::move(key)] = std::move(value);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void Router::add(http::verb method, std::string pattern, Access access, Handler handler) {
  Route r{method, pattern, split_path(pattern), access, std::move(handler)};
  routes_.push_back(std::move(r));
}

RouteResult Router::dispatch(const Request& request) const {
  const std::string_view target(request.target().data(), request.target().size());
  if (target.empty() || target.front() != '/') {
    return {json_error(http::status::bad_request, "bad_request",
                       "request target must be an absolute path such as /v1/version"),
            "unmatched"};
  }
  const std::vector<std::string> path = split_path(target);
  RequestContext context;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    context.query = parse_query(target.substr(q + 1));
  }

  const Route* found = nullptr;
  std::string allowed;
  bool path_known = false;
  for (const Route& r : routes_) {
    if (!matches(r.segments, path, nullptr)) continue;
    path_known = true;
    // HEAD is served by the GET handler (Beast drops the body when writing).
    const bool method_ok = r.method == request.method() ||
                           (request.method() == http::verb::head && r.method == http::verb::get);
    if (method_ok && found == nullptr) found = &r;
    if (!allowed.empty()) allowed += ", ";
    allowed += std::string(http::to_string(r.method));
  }

  if (found == nullptr || found->access != Access::kPublic) {
    auto auth = request.find(http::field::authorization);
    const std::string_view header =
        auth == request.end() ? std::string_view()
                              : std::string_view(auth->value().data(), auth->value().size());
    if (!auth_.allows(header)) {
      Response res = json_error(http::status::unauthorized, "unauthorized",
                                header.empty()
                                    ? "missing bearer token: send 'Authorization: Bearer <token>'"
                                    : "invalid bearer token");
      res.set(http::field::www_authenticate, "Bearer realm=\"tideway\"");
      return {std::move(res), "unauthorized"};
    }
  }

  if (!path_known) {
    return {json_error(http::status::not_found, "not_found",
                       "no such endpoint: " + std::string(target.substr(0, target.find('?')))),
            "unmatched"};
  }
  if (found == nullptr) {
    Response res = json_error(http::status::method_not_allowed, "method_not_allowed",
                              std::string(request.method_string()) + " is not allowed here; use " +
                                  allowed);
    res.set(http::field::allow, allowed);
    return {std::move(res), "unmatched"};
  }

  matches(found->segments, path, &context.path_params);
  try {
    return {found->handler(request, context), found->pattern};
  } catch (const std::exception& e) {
    kLog.error("request handler failed", {{"route", found->pattern}, {"error", e.what()}});
  } catch (...) {
    kLog.error("request handler failed", {{"route", found->pattern}, {"error", "unknown"}});
  }
  return {json_error(http::status::internal_server_error, "internal",
                     "internal error while handling the request; see the daemon log"),
          found->pattern};
}

}  // namespace tideway::api
