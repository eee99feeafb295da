#pragma once
// Router: a pure function from a request to a response, unit-testable without sockets.
// Order of decisions, so that an unauthenticated caller learns nothing about which paths
// exist: public route → its handler; no valid token → 401; unknown path → 404; known path,
// other method → 405 with Allow; handler throws → 500 (logged, message generic).

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "api/http_types.h"

namespace tideway::api {

/// `{name}` segments of the matched pattern, and the decoded query string.
struct RequestContext {
  std::map<std::string, std::string> path_params;
  std::map<std::string, std::string> query;
};

using Handler = std::function<Response(const Request&, const RequestContext&)>;

enum class Access { kPublic, kToken };

struct RouteResult {
  Response response;
  /// The matched pattern ("/v1/tasks/{id}"), or "unmatched"/"unauthorized": a bounded
  /// label for metrics, never the raw path.
  std::string route;
};

class Router {
 public:
  explicit Router(const BearerAuth& auth) : auth_(auth) {}

  /// Registers `pattern` (segments, `{name}` matches one segment) for `method`.
  void add(http::verb method, std::string pattern, Access access, Handler handler);

  RouteResult dispatch(const Request& request) const;

 private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Access access;
    Handler handler;
  };

  const BearerAuth& auth_;
  std::vector<Route> routes_;
};

/// Splits "/a/b?x=1" into path segments; exposed for tests.
std::vector<std::string> split_path(std::string_view path);
/// Parses "x=1&y=%20" into a map (percent- and plus-decoded).
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace tideway::api
