#include "assess/assess.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "common/utc_time.h"
#include "assess/my_collector.h"
#include "assess/pg_collector.h"
#include "assess/rules.h"
#include "assess/version_support.h"
#include "replication/mysql/my_connection.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::assess {
namespace {

using replication::Endpoint;
using replication::Engine;



Result<std::string> percent_decode(const std::string& text, const char* what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the URL's {} has a '%' not followed by two hex digits", what));
    }
    out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

bool is_mysql(Engine e) { return e == Engine::kMysql || e == Engine::kMariadb; }

// The target, when a URL names it: its engine, version and (PostgreSQL) extensions.
Status inspect_target(const AssessOptions& o, Assessment& a) {
  const Endpoint& e = *o.target;
  a.target.endpoint = e.describe();
  if (e.engine == Engine::kPostgresql) {
    replication::postgres::PgConnectOptions po;
    po.application_name = "tideway-assess";
    po.connect_timeout_seconds = o.connect_timeout_seconds;
    auto conn = o.target_password ? replication::postgres::PgConnection::connect(e, *o.target_password, po)
                                  : replication::postgres::PgConnection::connect(e, po);
    if (!conn.ok()) return std::move(conn).error().with_context("connecting to the target");
    auto r = (*conn)->exec("SELECT current_setting('server_version'), "
                           "(SELECT string_agg(name, ',') FROM pg_available_extensions)");
    if (!r.ok()) return std::move(r).error().with_context("reading the target's version");
    a.target.version = r->text(0, 0);
    std::string list = r->text(0, 1);
    for (std::size_t start = 0; start < list.size();) {
      const auto comma = list.find(',', start);
      a.target.available_extensions.push_back(list.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    a.target.kind.engine = Engine::kPostgresql;
    a.target.kind.aurora = (*conn)->exec("SELECT aurora_version()").ok();
  } else {
    replication::mysql::MyConnectOptions mo;
    mo.connect_timeout_seconds = o.connect_timeout_seconds;
    // The target's databases may not exist yet: a full load creates them.
    mo.select_database = false;
    auto conn = o.target_password ? replication::mysql::MyConnection::connect(e, *o.target_password, mo)
                                  : replication::mysql::MyConnection::connect(e, mo);
    if (!conn.ok()) return std::move(conn).error().with_context("connecting to the target");
    a.target.version = (*conn)->server_version();
    a.target.kind.engine = (*conn)->is_mariadb() ? Engine::kMariadb : Engine::kMysql;
    a.target.kind.aurora = !(*conn)->is_mariadb() && (*conn)->query("SELECT AURORA_VERSION()").ok();
  }
  a.target.reachable = true;
  const VersionNumber v = parse_version(a.target.kind.engine, a.target.version);
  a.target.kind.major = v.major;
  a.target.kind.minor = v.minor;
  a.target.kind.same_as_source = false;
  return {};
}

}  // namespace

Result<TargetKind> parse_target_kind(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  const std::string version = colon == std::string::npos ? "" : text.substr(colon + 1);
  auto bad = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("target engine '{}': expected postgresql:N, mysql:N.N, "
                                  "mariadb:N.N, aurora-mysql:2|3 or aurora-postgresql:N "
                                  "(e.g. postgresql:16, mysql:8.0)", text));
  };
  int major = 0, minor = 0;
  if (version.empty() || std::sscanf(version.c_str(), "%d.%d", &major, &minor) < 1 || major <= 0) {
    return bad();
  }
  TargetKind k;
  if (name == "postgresql" || name == "aurora-postgresql") {
    k.engine = Engine::kPostgresql;
    k.aurora = name == "aurora-postgresql";
    k.major = major;
  } else if (name == "mysql") {
    k.engine = Engine::kMysql;
    k.major = major;
    k.minor = minor;
  } else if (name == "mariadb") {
    k.engine = Engine::kMariadb;
    k.major = major;
    k.minor = minor;
  } else if (name == "aurora-mysql") {
    // Aurora MySQL 3 is MySQL 8.0 compatible, 2 is MySQL 5.7.
    if (major != 2 && major != 3) return bad();
    k.engine = Engine::kMysql;
    k.aurora = true;
    k.major = major == 3 ? 8 : 5;
    k.minor = major == 3 ? 0 : 7;
  } else {
    return bad();
  }
  return k;
}

Result<ParsedUrl> parse_database_url(const std::string& url) {
  auto bad = [](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "database URL: " + why +
                          "; expected postgresql://, mysql:// or mariadb://user[:password]@host"
                          "[:port]/database[?sslmode=...]");
  };
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad("no scheme");
  const std::string scheme = url.substr(0, scheme_end);
  ParsedUrl out;
  Endpoint& e = out.endpoint;
  if (scheme == "postgresql" || scheme == "postgres") {
    e.engine = Engine::kPostgresql;
    e.port = 5432;
  } else if (scheme == "mysql") {
    e.engine = Engine::kMysql;
    e.port = 3306;
  } else if (scheme == "mariadb") {
    e.engine = Engine::kMariadb;
    e.port = 3306;
  } else {
    return bad("unknown scheme '" + scheme + "'");
  }
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  // The last '@' ends the credentials: an unencoded '@' in a password still parses.
  const auto at = rest.rfind('@');
  if (at == std::string::npos) return bad("no user (user@host)");
  const std::string credentials = rest.substr(0, at);
  std::string hostpart = rest.substr(at + 1);
  const auto colon = credentials.find(':');
  auto user = percent_decode(credentials.substr(0, colon), "user");
  if (!user.ok()) return std::move(user).error();
  e.user = *user;
  if (e.user.empty()) return bad("empty user");
  if (colon != std::string::npos) {
    auto password = percent_decode(credentials.substr(colon + 1), "password");
    if (!password.ok()) return std::move(password).error();
    out.password = *password;
  }
  const auto slash = hostpart.find('/');
  if (slash == std::string::npos || slash + 1 >= hostpart.size()) return bad("no database (/database)");
  auto database = percent_decode(hostpart.substr(slash + 1), "database");
  if (!database.ok()) return std::move(database).error();
  e.database = *database;
  hostpart.resize(slash);
  std::string host = hostpart;
  std::optional<std::string> port_text;
  if (!hostpart.empty() && hostpart[0] == '[') {  // [v6]:port
    const auto close = hostpart.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in the host");
    host = hostpart.substr(1, close - 1);
    const std::string after = hostpart.substr(close + 1);
    if (!after.empty() && after[0] != ':') return bad("text after ']' in the host");
    if (!after.empty()) port_text = after.substr(1);
  } else if (const auto c = hostpart.find(':'); c != std::string::npos) {
    if (hostpart.find(':', c + 1) != std::string::npos) {
      return bad("an IPv6 host must be written in brackets ([::1]:5432)");
    }
    host = hostpart.substr(0, c);
    port_text = hostpart.substr(c + 1);
  }
  if (port_text) {
    char* end = nullptr;
    const long p = std::strtol(port_text->c_str(), &end, 10);
    if (port_text->empty() || *end != '\0' || p < 1 || p > 65535) {
      return bad("port '" + *port_text + "' is not 1-65535");
    }
    e.port = static_cast<std::uint16_t>(p);
  }
  if (host.empty()) return bad("empty host");
  e.host = host;
  for (std::size_t start = 0; start < query.size();) {
    const auto amp = query.find('&', start);
    const std::string kv = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (key == "sslmode" || key == "ssl-mode" || key == "ssl_mode") {
      e.sslmode = value;
    } else if (!key.empty()) {
      return bad("unknown parameter '" + key + "' (only sslmode is accepted)");
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

Result<Assessment> run_assessment(const AssessOptions& o) {
  Assessment a;
  a.generated_at = utc_now_seconds();
  a.tool_version = TIDEWAY_ASSESS_VERSION;
  a.source.engine = o.source.engine;
  a.source.endpoint = o.source.describe();
  a.source.database = o.source.database;
  a.estimate.assumed_bytes_per_second = o.load_bytes_per_second;

  if (o.target) {
    if (Status s = inspect_target(o, a); !s.ok()) return std::move(s).error();
  }
  if (o.target_kind) {
    // An explicit engine wins over what a connected target says about itself only where
    // the target could not say it (never: both name the same server).
    if (!a.target.reachable) a.target.kind = *o.target_kind;
  }
  CollectOptions collect;
  collect.tables = o.tables;
  collect.exact_counts = o.exact_counts;
  collect.nul_probe_rows = o.nul_probe_rows;
  const bool have_target = o.target || o.target_kind;
  collect.probe_nul_bytes = have_target && a.target.kind.engine == Engine::kPostgresql &&
                            is_mysql(o.source.engine);
  // A MySQL URL names one database: by default that database is what is assessed.
  const bool default_filter = collect.tables.include.size() == 1 &&
                              collect.tables.include[0] == "*.*" && collect.tables.exclude.empty();
  if (is_mysql(o.source.engine) && default_filter && !o.source.database.empty()) {
    collect.tables.include = {o.source.database + ".*"};
  }

  if (o.source.engine == Engine::kPostgresql) {
    replication::postgres::PgConnectOptions po;
    po.application_name = "tideway-assess";
    po.connect_timeout_seconds = o.connect_timeout_seconds;
    auto conn = o.source_password
                    ? replication::postgres::PgConnection::connect(o.source, *o.source_password, po)
                    : replication::postgres::PgConnection::connect(o.source, po);
    if (!conn.ok()) return std::move(conn).error();
    if (Status s = collect_postgres(**conn, collect, a); !s.ok()) return std::move(s).error();
    if (Status s = sample_postgres_activity(**conn, o.sample_seconds, a, o.stop); !s.ok()) {
      return std::move(s).error();
    }
  } else {
    replication::mysql::MyConnectOptions mo;
    mo.connect_timeout_seconds = o.connect_timeout_seconds;
    auto conn = o.source_password
                    ? replication::mysql::MyConnection::connect(o.source, *o.source_password, mo)
                    : replication::mysql::MyConnection::connect(o.source, mo);
    if (!conn.ok()) return std::move(conn).error();
    if (Status s = collect_mysql(**conn, collect, a); !s.ok()) return std::move(s).error();
    if (Status s = sample_mysql_activity(**conn, o.sample_seconds, a, o.stop); !s.ok()) {
      return std::move(s).error();
    }
  }
  if (!have_target) {
    a.target.kind.engine = a.source.engine;
    a.target.kind.major = a.source.major;
    a.target.kind.minor = a.source.minor;
    a.target.kind.aurora = a.source.aurora;
    a.target.kind.same_as_source = true;
  }
  apply_rules(a);
  return a;
}

Result<Assessment> assess_task(const replication::TaskSpec& spec, int sample_seconds) {
  AssessOptions o;
  o.source = spec.source;
  o.target = spec.target;
  o.tables = spec.tables;
  o.sample_seconds = sample_seconds;
  auto a = run_assessment(o);
  if (!a.ok() || spec.mode != replication::TaskMode::kFullLoad) return a;
  // A full_load task opens no slot and reads no binlog (its own source checks skip the
  // stream's prerequisites too), so what only the stream needs must not block it; the
  // finding stays, as information for a later change-data-capture task.
  for (Finding& f : a->findings) {
    if (f.severity == Severity::kBlocker && f.stream_only) {
      f.severity = Severity::kInfo;
      f.why += " (only the change stream needs this; this task's mode is full_load)";
    }
  }
  return a;
}

}  // namespace tideway::assess
