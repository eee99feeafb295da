#include "tests/support/pg_test_db.h"

#include <random>
#include <stdexcept>

#include "tests/support/sandbox_env.h"

namespace tideway::test {
namespace {

using replication::Endpoint;
using replication::postgres::PgConnection;

Endpoint endpoint(const std::string& side, const std::string& database, bool admin) {
  const std::string p = "TIDEWAY_PG_" + side + "_";
  Endpoint e;
  e.engine = replication::Engine::kPostgresql;
  e.host = sandbox_setting(p + "HOST");
  e.port = static_cast<std::uint16_t>(std::stoi(sandbox_setting(p + "PORT")));
  e.database = database;
  e.user = sandbox_setting(p + (admin ? "ADMIN_USER" : "USER"));
  e.password_file = sandbox_setting(p + (admin ? "ADMIN_PASSWORD_FILE" : "PASSWORD_FILE"));
  return e;
}

std::unique_ptr<PgConnection> connect(const Endpoint& e) {
  auto c = PgConnection::connect(e);
  if (!c.ok()) throw std::runtime_error(c.error().message);
  return std::move(c).value();
}

void run(PgConnection& c, const std::string& sql) {
  auto r = c.exec(sql);
  if (!r.ok()) throw std::runtime_error(r.error().message);
}

std::vector<std::string> rows(PgConnection& c, const std::string& table) {
  auto r = c.exec("SELECT x::text FROM " + table + " x ORDER BY 1");
  if (!r.ok()) throw std::runtime_error(r.error().message);
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->is_null(i, 0) ? "NULL" : r->text(i, 0));
  return out;
}

}  // namespace

PgTestDb::PgTestDb(const std::string& prefix) {
  std::random_device rd;
  name_ = prefix + "_" + std::to_string(rd() % 1000000);
  const std::string migrator = sandbox_setting("TIDEWAY_PG_SOURCE_USER");
  {
    auto admin = connect(endpoint("SOURCE", "postgres", true));
    run(*admin, "CREATE DATABASE " + name_);
  }
  {
    auto admin = connect(endpoint("TARGET", "postgres", true));
    run(*admin, "CREATE DATABASE " + name_ + " OWNER " +
                    sandbox_setting("TIDEWAY_PG_TARGET_USER"));
  }
  source_admin_ = connect(endpoint("SOURCE", name_, true));
  target_admin_ = connect(endpoint("TARGET", name_, true));
  // What an operator grants the migration user on a source database.
  run(*source_admin_, "GRANT CONNECT ON DATABASE " + name_ + " TO " + migrator +
                          "; GRANT USAGE ON SCHEMA public TO " + migrator +
                          "; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " +
                          migrator +
                          "; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO " +
                          migrator);
}

std::unique_ptr<PgConnection> PgTestDb::new_source_admin() const {
  return connect(endpoint("SOURCE", name_, true));
}

PgTestDb::~PgTestDb() {
  try {
    source_admin_.reset();
    target_admin_.reset();
    auto source = connect(endpoint("SOURCE", "postgres", true));
    (void)source->exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                       "WHERE database = '" + name_ + "'").ok();
    (void)source->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").ok();
    auto target = connect(endpoint("TARGET", "postgres", true));
    (void)target->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").ok();
  } catch (...) {
    // Cleanup is best effort: a leftover database does not affect other tests.
  }
}

replication::TaskSpec PgTestDb::task_spec(const std::string& id) const {
  replication::TaskSpec spec;
  spec.id = id;
  spec.source = endpoint("SOURCE", name_, false);
  spec.target = endpoint("TARGET", name_, false);
  spec.tables.include = {"public.*"};
  spec.mode = replication::TaskMode::kFullLoad;
  spec.postgres.slot_name = "tideway_" + name_;
  spec.postgres.publication_name = "tideway_" + name_;
  return spec;
}

void PgTestDb::source_sql(const std::string& sql) { run(*source_admin_, sql); }
void PgTestDb::target_sql(const std::string& sql) { run(*target_admin_, sql); }

std::string PgTestDb::source_value(const std::string& sql) {
  auto r = source_admin_->exec(sql);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->rows() == 0 || r->is_null(0, 0) ? "NULL" : r->text(0, 0);
}

std::string PgTestDb::target_value(const std::string& sql) {
  auto r = target_admin_->exec(sql);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->rows() == 0 || r->is_null(0, 0) ? "NULL" : r->text(0, 0);
}

std::vector<std::string> PgTestDb::source_rows(const std::string& table) {
  return rows(*source_admin_, table);
}
std::vector<std::string> PgTestDb::target_rows(const std::string& table) {
  return rows(*target_admin_, table);
}

}  // namespace tideway::test
