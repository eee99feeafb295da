#include <catch2/catch.hpp>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "api/http_response.h"
#include "api/router.h"

using namespace tideway::api;

namespace {

const char* kToken = "0123456789abcdef0123";

Request make_request(http::verb method, const std::string& target, bool with_token) {
  Request req{method, target, 11};
  if (with_token) req.set(http::field::authorization, std::string("Bearer ") + kToken);
  return req;
}

struct Fixture {
  BearerAuth auth{kToken};
  Router router{auth};
  Fixture() {
    router.add(http::verb::get, "/healthz", Access::kPublic,
               [](const Request&, const RequestContext&) {
                 return json_response(http::status::ok, {{"status", "ok"}});
               });
    router.add(http::verb::get, "/v1/tasks/{id}", Access::kToken,
               [](const Request&, const RequestContext& c) {
                 return json_response(http::status::ok,
                                      {{"id", c.path_params.at("id")},
                                       {"page", c.query.count("page") ? c.query.at("page") : ""}});
               });
    router.add(http::verb::delete_, "/v1/tasks/{id}", Access::kToken,
               [](const Request&, const RequestContext&) {
                 return json_response(http::status::ok, {{"deleted", true}});
               });
    router.add(http::verb::get, "/v1/boom", Access::kToken,
               [](const Request&, const RequestContext&) -> Response {
                 throw std::runtime_error("secret detail");
               });
  }
};

nlohmann::json body(const RouteResult& r) { return nlohmann::json::parse(r.response.body()); }

}  // namespace

TEST_CASE_METHOD(Fixture, "Public routes need no token") {
  auto r = router.dispatch(make_request(http::verb::get, "/healthz", false));
  CHECK(r.response.result() == http::status::ok);
  CHECK(r.route == "/healthz");
}

TEST_CASE_METHOD(Fixture, "Without a valid token every non-public path is 401, known or not") {
  for (const char* target : {"/v1/tasks/a", "/does/not/exist", "/healthz/x"}) {
    auto r = router.dispatch(make_request(http::verb::get, target, false));
    CHECK(r.response.result() == http::status::unauthorized);
    CHECK(body(r)["error"]["code"] == "unauthorized");
    CHECK(r.response[http::field::www_authenticate] == "Bearer realm=\"tideway\"");
  }
  Request wrong = make_request(http::verb::get, "/v1/tasks/a", false);
  wrong.set(http::field::authorization, "Bearer nope");
  auto r = router.dispatch(wrong);
  CHECK(r.response.result() == http::status::unauthorized);
  CHECK(body(r)["error"]["message"] == "invalid bearer token");
}

TEST_CASE_METHOD(Fixture, "Path parameters and query strings reach the handler decoded") {
  auto r = router.dispatch(make_request(http::verb::get, "/v1/tasks/ord%2Ders?page=2%20b", true));
  REQUIRE(r.response.result() == http::status::ok);
  CHECK(body(r)["id"] == "ord-ers");
  CHECK(body(r)["page"] == "2 b");
  CHECK(r.route == "/v1/tasks/{id}");
}

TEST_CASE_METHOD(Fixture, "Unknown paths are 404 and wrong methods 405 with Allow") {
  auto missing = router.dispatch(make_request(http::verb::get, "/v1/nothing", true));
  CHECK(missing.response.result() == http::status::not_found);
  CHECK(body(missing)["error"]["code"] == "not_found");
  CHECK(missing.route == "unmatched");

  auto wrong = router.dispatch(make_request(http::verb::post, "/v1/tasks/a", true));
  CHECK(wrong.response.result() == http::status::method_not_allowed);
  CHECK(wrong.response[http::field::allow] == "GET, DELETE");
}

TEST_CASE_METHOD(Fixture, "A throwing handler gives a generic 500 without its message") {
  auto r = router.dispatch(make_request(http::verb::get, "/v1/boom", true));
  CHECK(r.response.result() == http::status::internal_server_error);
  CHECK(body(r)["error"]["code"] == "internal");
  CHECK(r.response.body().find("secret detail") == std::string::npos);
}

TEST_CASE_METHOD(Fixture, "A target that is not an absolute path is 400") {
  auto r = router.dispatch(make_request(http::verb::get, "http://x/healthz", true));
  CHECK(r.response.result() == http::status::bad_request);
}

TEST_CASE("split_path and parse_query") {
  CHECK(split_path("/a//b/?x=1") == std::vector<std::string>{"a", "b"});
  CHECK(split_path("/").empty());
  auto q = parse_query("a=1&b=&c&d=x%3Dy&e=%zz");
  CHECK(q["a"] == "1");
  CHECK(q["b"] == "");
  CHECK(q.count("c") == 1);
  CHECK(q["d"] == "x=y");
  CHECK(q["e"] == "%zz");
}
