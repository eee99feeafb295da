#include "daemon/daemon.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "api/auth.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/tls_context.h"
#include "common/log.h"
#include "common/secret.h"
#include "daemon/daemon_metrics.h"
#include "daemon/exit_codes.h"
#include "daemon/assessment_routes.h"
#include "daemon/service_routes.h"
#include "daemon/systemd_notifier.h"
#include "daemon/journal.h"
#include "daemon/task_manager.h"
#include "daemon/task_metrics.h"
#include "daemon/task_routes.h"
#include "storage/state_store.h"

namespace tideway::daemon {
namespace {

const log::Logger kLog{"daemon"};
using Clock = std::chrono::steady_clock;

sigset_t lifecycle_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_lifecycle_signals() {
  sigset_t set = lifecycle_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

struct Daemon::Impl {
  explicit Impl(DaemonConfig c) : config(std::move(c)), auth(config.token), router(auth) {}

  int run();
  void load_predefined_tasks();
  void reload();
  void reload_tls(const DaemonConfig& fresh);
  void log_tls_certificate(std::string_view what, const api::TlsContext& tls);
  bool io_responsive();
  void shutdown();

  DaemonConfig config;
  SystemdNotifier systemd;
  DaemonMetrics metrics;
  ServiceState state;
  api::BearerAuth auth;
  api::Router router;
  std::unique_ptr<storage::StateStore> store;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<TaskManager> tasks;
  std::unique_ptr<TaskMetrics> task_metrics;
  boost::asio::io_context io;
  std::unique_ptr<api::HttpServer> server;
  std::vector<std::thread> io_threads;
};

Daemon::Daemon(DaemonConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Daemon::~Daemon() = default;
int Daemon::run() { return impl_->run(); }

int Daemon::Impl::run() {
  log::set_level(config.log_level);
  // Nothing is logged before the first failure point: a startup failure is exactly one
  // line, and success is the one "ready" line below.
  auto opened = storage::StateStore::open(config.data_dir);
  if (!opened.ok()) {
    kLog.error("cannot open state store",
               {{"config", config.config_file}, {"key", "data_dir"},
                {"error", opened.error().message}});
    return opened.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitStateStore;
  }
  store = std::move(opened).value();
  state.store_open = true;

  journal = std::make_unique<Journal>(*store);
  tasks = std::make_unique<TaskManager>(*store, *journal);
  task_metrics = std::make_unique<TaskMetrics>(*tasks);
  metrics.add_collectable(task_metrics.get());
  add_service_routes(router, state, metrics, config.metrics_auth);
  add_task_routes(router, *tasks, *journal);
  add_assessment_routes(router);
  server = std::make_unique<api::HttpServer>(
      io, router, config.http_limits,
      [this](std::string_view route, std::string_view method, unsigned status, double secs) {
        metrics.observe_request(route, method, status, secs);
      });
  if (config.tls) server->use_tls(config.tls);
  if (Status s = server->listen(config.listen.host, config.listen.port); !s.ok()) {
    kLog.error("cannot serve the API",
               {{"config", config.config_file}, {"key", "listen"}, {"error", s.message()}});
    return kExitUsage;
  }
  if (Status s = tasks->restore(); !s.ok()) {
    kLog.error("cannot restore tasks", {{"error", s.message()}});
    return kExitStateStore;
  }
  load_predefined_tasks();
  server->start();
  // Keeps io.run() from returning while the acceptor is briefly idle.
  auto work = boost::asio::make_work_guard(io);
  for (int i = 0; i < config.http_threads; ++i) {
    io_threads.emplace_back([this] { io.run(); });
  }
  const auto endpoint = server->local_endpoint();
  metrics.set_ready(true);
  systemd.ready();
  kLog.info("ready", {{"config", config.config_file},
                      {"data_dir", config.data_dir},
                      {"listen", fmt::format("{}:{}", endpoint.address().to_string(),
                                             endpoint.port())},
                      {"metrics_auth", config.metrics_auth ? "true" : "false"},
                      {"watchdog", systemd.watchdog_interval() ? "on" : "off"}});
  if (config.tls) log_tls_certificate("serving HTTPS", *config.tls);

  const sigset_t signals = lifecycle_signals();
  // Wake at least twice per watchdog interval; without a watchdog, once a second.
  const auto tick = systemd.watchdog_interval()
                        ? std::chrono::duration_cast<std::chrono::milliseconds>(
                              *systemd.watchdog_interval() / 2)
                        : std::chrono::milliseconds(1000);
  for (;;) {
    timespec timeout{static_cast<time_t>(tick.count() / 1000),
                     static_cast<long>((tick.count() % 1000) * 1000000)};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      kLog.info("stop requested", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                   {"sender_pid", info.si_pid}});
      break;
    }
    if (sig == SIGHUP) {
      reload();
      continue;
    }
    // Timeout: feed the watchdog only if the I/O threads still run handlers, so a wedged
    // daemon is restarted by systemd instead of looking alive.
    if (systemd.watchdog_interval() && state.store_open && io_responsive()) systemd.watchdog();
  }
  work.reset();
  shutdown();
  return kExitOk;
}

void Daemon::Impl::load_predefined_tasks() {
  for (const auto& file : config.task_files) {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto created = tasks->create(text, file);
    if (!created.ok()) {
      if (created.error().code == ErrorCode::kAlreadyExists) continue;  // from an earlier start
      kLog.error("predefined task not created", {{"file", file},
                                                 {"error", created.error().message}});
      continue;
    }
    auto started = tasks->act(created->id, "start");
    kLog.info("predefined task created and started",
              {{"file", file}, {"task", created->id},
               {"state", started.ok() ? started->state : started.error().message}});
  }
}

bool Daemon::Impl::io_responsive() {
  auto done = std::make_shared<std::promise<void>>();
  auto ran = done->get_future();
  boost::asio::post(io, [done] { done->set_value(); });
  return ran.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
}

void Daemon::Impl::reload() {
  systemd.reloading();
  auto fresh = load_daemon_config(config.config_file);
  if (!fresh.ok()) {
    // Keep serving with the settings we have: a typo in a reload must not take the API
    // down; the operator sees the error and the failed-reload counter.
    kLog.error("reload failed; keeping current settings", {{"error", fresh.error().message}});
    metrics.count_reload(false);
    systemd.reloaded();
    return;
  }
  log::set_level(fresh->log_level);
  auth.set_token(fresh->token);
  config.log_level = fresh->log_level;
  reload_tls(*fresh);
  metrics.count_reload(true);
  systemd.reloaded();
  kLog.info("reloaded", {{"log_level", log::level_name(fresh->log_level)},
                         {"token_source", fresh->token_file.empty() ? "env" : "file"}});
}

// The listener's protocol is fixed at start; within it, a reload serves the certificate
// and key read now (new connections only), which is how a rotated certificate goes live.
void Daemon::Impl::reload_tls(const DaemonConfig& fresh) {
  if (static_cast<bool>(fresh.tls) != server->tls_enabled()) {
    kLog.warn("api.tls was added or removed; that takes a restart, the API keeps its protocol",
              {{"config", config.config_file}, {"key", "api.tls"},
               {"serving", server->tls_enabled() ? "https" : "http"}});
    return;
  }
  if (!fresh.tls) return;
  if (Status s = server->replace_tls(fresh.tls); !s.ok()) {
    kLog.error("TLS certificate not replaced", {{"error", s.message()}});
    return;
  }
  config.tls = fresh.tls;
  config.tls_cert_file = fresh.tls_cert_file;
  config.tls_key_file = fresh.tls_key_file;
  log_tls_certificate("TLS certificate reloaded", *fresh.tls);
}

void Daemon::Impl::log_tls_certificate(std::string_view what, const api::TlsContext& tls) {
  kLog.info(what, {{"cert_file", config.tls_cert_file},
                   {"key_file", config.tls_key_file},
                   {"subject", tls.cert_subject()},
                   {"not_after", tls.cert_not_after()},
                   {"sha256", tls.cert_sha256()}});
}

void Daemon::Impl::shutdown() {
  const auto deadline = Clock::now() + config.shutdown_timeout;
  systemd.stopping();
  state.stopping = true;
  metrics.set_ready(false);
  server->stop();
  // Running tasks stop at their next consistent point (a rolled-back chunk, or a target
  // commit with its checkpoint); their stored intent stays "running" so a restart
  // resumes them.
  tasks->shutdown();
  while (server->open_sessions() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (server->open_sessions() > 0) {
    kLog.warn("shutdown timeout reached; closing remaining connections",
              {{"open_connections", server->open_sessions()},
               {"shutdown_timeout_seconds", config.shutdown_timeout.count()}});
  }
  io.stop();
  for (auto& t : io_threads) t.join();
  server.reset();
  task_metrics.reset();
  tasks.reset();
  journal.reset();
  if (Status s = store->close(); !s.ok()) {
    kLog.error("state store close failed", {{"error", s.message()}});
  }
  state.store_open = false;
  kLog.info("stopped");
}

}  // namespace tideway::daemon
