#pragma once
// A state store in a fresh temporary data_dir, removed afterwards; reopen() closes and
// opens it again, as a restarted process would.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "storage/state_store.h"

namespace tideway::test {

class TempStateStore {
 public:
  TempStateStore() {
    char tmpl[] = "/tmp/tideway_test_store_XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = made;
    reopen();
  }
  ~TempStateStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempStateStore(const TempStateStore&) = delete;
  TempStateStore& operator=(const TempStateStore&) = delete;

  void reopen() {
    store_.reset();
    auto s = storage::StateStore::open(dir_.string());
    if (!s.ok()) throw std::runtime_error(s.error().message);
    store_ = std::move(s).value();
  }
  storage::StateStore& operator*() { return *store_; }
  storage::StateStore* operator->() { return store_.get(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<storage::StateStore> store_;
};

}  // namespace tideway::test
