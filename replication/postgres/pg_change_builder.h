#pragma once
// Turns decoded pgoutput messages into the core change model: keeps the relation cache
// (Relation and Type messages describe tables before their first change and again after
// DDL) and checks that each message fits the stream: a change outside a transaction, a
// tuple whose width differs from its relation, or an unknown relation id is a malformed
// stream and fails with the message's LSN, never a silent skip.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/postgres/pgoutput_message.h"

namespace tideway::replication::postgres {

class PgChangeBuilder {
 public:
  /// Feeds one message received at WAL position `at` (for errors). Returns the event it
  /// produces, if any (Relation/Type/Origin/Message produce none). Column values are
  /// moved out of `message` into the event, not copied (they are the bulk of a stream).
  Result<std::optional<StreamEvent>> feed(PgoutputMessage&& message, Lsn at);

  bool in_transaction() const { return in_transaction_; }
  /// The relation with this id, or nullptr.
  std::shared_ptr<const TableDesc> relation(std::uint32_t id) const;
  /// Relations whose columns changed since the last call (a new Relation message with a
  /// different column list): the applier adds the new columns on the target.
  std::vector<std::pair<std::shared_ptr<const TableDesc>, std::shared_ptr<const TableDesc>>>
  take_schema_changes();

 private:
  Result<RowImage> row(TupleData& tuple, const TableDesc& table, Lsn at,
                       const char* what) const;
  Result<std::shared_ptr<const TableDesc>> known(std::uint32_t id, Lsn at, char type) const;

  bool in_transaction_ = false;
  std::map<std::uint32_t, std::shared_ptr<const TableDesc>> relations_;
  std::map<std::uint32_t, std::string> type_names_;
  std::vector<std::pair<std::shared_ptr<const TableDesc>, std::shared_ptr<const TableDesc>>>
      schema_changes_;
};

}  // namespace tideway::replication::postgres
