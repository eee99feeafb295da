// Structural check of deploy/openapi.yaml with yaml-cpp (a Debian package the daemon
// already uses), so CI needs no npm tool: OpenAPI 3.0.x, every $ref resolves, every path
// parameter is declared, every operation has an operationId (unique) and responses with
// descriptions, every security requirement names a declared scheme.
//
// Prints what the shell test compares with the live daemon:
//   OP <METHOD> <path> <auth: token|optional|none> <status,status,...>
//   SCHEMA <name> required=<a,b> properties=<a,b,c>
// Problems go to stderr, one line each; the exit code is 1 if there was any.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

int problems = 0;
void problem(const std::string& where, const std::string& what) {
  std::cerr << "openapi: " << where << ": " << what << "\n";
  ++problems;
}

// "#/components/schemas/Task" -> the node, or an undefined node.
YAML::Node resolve(const YAML::Node& root, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return YAML::Node(YAML::NodeType::Undefined);
  // Node::operator= assigns through to the referenced node; reset() re-points.
  YAML::Node n;
  n.reset(root);
  std::stringstream parts(ref.substr(2));
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (!n.IsMap() || !n[part]) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = n[part];
    n.reset(next);
  }
  return n;
}

void check_refs(const YAML::Node& root, const YAML::Node& n, const std::string& where) {
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (key == "$ref") {
        const std::string ref = kv.second.as<std::string>();
        if (!resolve(root, ref).IsDefined()) problem(where, "$ref " + ref + " does not resolve");
      } else {
        check_refs(root, kv.second, where + "/" + key);
      }
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) check_refs(root, n[i], where + "/" + std::to_string(i));
  }
}

YAML::Node deref(const YAML::Node& root, const YAML::Node& n) {
  if (n.IsMap() && n["$ref"]) return resolve(root, n["$ref"].as<std::string>());
  return n;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " openapi.yaml\n";
    return 2;
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(argv[1]);
  } catch (const YAML::Exception& e) {
    std::cerr << "openapi: " << argv[1] << ": not YAML: " << e.what() << "\n";
    return 1;
  }
  if (!root.IsMap()) {
    problem("/", "the document is not a mapping");
    return 1;
  }
  const std::string version = root["openapi"] ? root["openapi"].as<std::string>() : "";
  if (version.rfind("3.0.", 0) != 0) problem("/openapi", "expected 3.0.x, got '" + version + "'");
  if (!root["info"] || !root["info"]["title"] || !root["info"]["version"]) {
    problem("/info", "needs title and version");
  }
  check_refs(root, root, "");

  std::set<std::string> schemes;
  if (auto s = root["components"]["securitySchemes"]; s && s.IsMap()) {
    for (const auto& kv : s) schemes.insert(kv.first.as<std::string>());
  }
  auto check_security = [&](const YAML::Node& sec, const std::string& where) {
    for (const auto& req : sec) {
      for (const auto& kv : req) {
        if (!schemes.count(kv.first.as<std::string>())) {
          problem(where, "security scheme " + kv.first.as<std::string>() + " is not declared");
        }
      }
    }
  };
  const YAML::Node global_security = root["security"];
  if (global_security) check_security(global_security, "/security");

  const YAML::Node paths = root["paths"];
  if (!paths || !paths.IsMap() || paths.size() == 0) problem("/paths", "no paths");
  std::set<std::string> operation_ids;
  static const std::regex kParam("\\{([^}]+)\\}");
  static const char* kMethods[] = {"get", "put", "post", "delete", "patch", "head", "options"};
  for (const auto& p : paths) {
    const std::string path = p.first.as<std::string>();
    const std::string where = "/paths/" + path;
    if (path.empty() || path[0] != '/') problem(where, "a path starts with /");
    std::set<std::string> template_params;
    for (auto it = std::sregex_iterator(path.begin(), path.end(), kParam); it != std::sregex_iterator(); ++it) {
      template_params.insert((*it)[1]);
    }
    auto declared_in = [&](const YAML::Node& params, std::set<std::string>& out) {
      if (!params) return;
      for (const auto& raw : params) {
        const YAML::Node prm = deref(root, raw);
        if (!prm["name"] || !prm["in"]) {
          problem(where, "a parameter needs name and in");
          continue;
        }
        if (prm["in"].as<std::string>() == "path") {
          if (!prm["required"] || !prm["required"].as<bool>()) {
            problem(where, "path parameter " + prm["name"].as<std::string>() + " must be required");
          }
          out.insert(prm["name"].as<std::string>());
        }
      }
    };
    std::set<std::string> path_level;
    declared_in(p.second["parameters"], path_level);
    for (const char* method : kMethods) {
      const YAML::Node op = p.second[method];
      if (!op) continue;
      const std::string ow = where + "/" + method;
      std::set<std::string> declared = path_level;
      declared_in(op["parameters"], declared);
      for (const auto& t : template_params) {
        if (!declared.count(t)) problem(ow, "path parameter {" + t + "} is not declared");
      }
      for (const auto& d : declared) {
        if (!template_params.count(d)) problem(ow, "parameter " + d + " is not in the path");
      }
      if (!op["operationId"]) {
        problem(ow, "no operationId");
      } else if (!operation_ids.insert(op["operationId"].as<std::string>()).second) {
        problem(ow, "operationId " + op["operationId"].as<std::string>() + " is used twice");
      }
      std::vector<std::string> codes;
      const YAML::Node responses = op["responses"];
      if (!responses || !responses.IsMap() || responses.size() == 0) problem(ow, "no responses");
      for (const auto& r : responses) {
        const std::string code = r.first.as<std::string>();
        static const std::regex kCode("[1-5][0-9][0-9]|default");
        if (!std::regex_match(code, kCode)) problem(ow, "response key " + code + " is not a status");
        const YAML::Node resp = deref(root, r.second);
        if (!resp["description"]) problem(ow + "/responses/" + code, "no description");
        codes.push_back(code);
      }
      const YAML::Node sec = op["security"] ? op["security"] : global_security;
      if (op["security"]) check_security(op["security"], ow + "/security");
      std::string auth = "none";
      if (sec && sec.size() > 0) {
        auth = "token";
        for (const auto& req : sec) {
          if (req.IsMap() && req.size() == 0) auth = "optional";
        }
      }
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      std::cout << "OP " << upper << " " << path << " " << auth << " " << join(codes) << "\n";
    }
  }

  if (auto schemas = root["components"]["schemas"]; schemas && schemas.IsMap()) {
    for (const auto& s : schemas) {
      const std::string name = s.first.as<std::string>();
      std::vector<std::string> required, properties;
      if (s.second["required"]) {
        for (const auto& r : s.second["required"]) required.push_back(r.as<std::string>());
      }
      if (s.second["properties"]) {
        for (const auto& kv : s.second["properties"]) properties.push_back(kv.first.as<std::string>());
      }
      for (const auto& r : required) {
        if (std::find(properties.begin(), properties.end(), r) == properties.end()) {
          problem("/components/schemas/" + name, "required " + r + " is not a property");
        }
      }
      std::cout << "SCHEMA " << name << " required=" << join(required)
                << " properties=" << join(properties) << "\n";
    }
  }
  return problems == 0 ? 0 : 1;
}
