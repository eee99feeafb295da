#pragma once
// The MySQL/MariaDB side of a cutover: the write fence, the cutover point, and the
// schema and counter work that waits for the end of the stream.

#include <string>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_position.h"

namespace tideway::replication::mysql {

struct FenceChange {
  std::string detail;    // what was done, for the journal
  bool changed = false;  // false when read_only was already as asked: lifting must not undo it
};

/// SET GLOBAL read_only = ON|OFF on the source. It needs READ_ONLY ADMIN (MariaDB 10.5+),
/// SYSTEM_VARIABLES_ADMIN (MySQL 8) or SUPER; Aurora/RDS grant none of them, so there a
/// refusal names the parameter-group setting instead. Setting it waits for open write
/// transactions to end; a short lock_wait_timeout turns a session that never ends into an
/// error naming the setting, rather than a cutover that hangs.
Result<FenceChange> set_read_only(const TaskSpec& spec, bool on);

/// The source's current binlog position: once the stream has applied (or seen, when the
/// source is idle) everything before it, every transaction committed before the call is
/// on the target.
Result<BinlogPosition> mark_cutover_point(const TaskSpec& spec);

/// After the last change is applied: foreign keys and triggers held back during the
/// stream created (resumable, see my_schema_steps.h), and every AUTO_INCREMENT counter
/// set to at least the source's. Returns what it did, for the journal.
Result<std::string> finish_mysql_target(const TaskSpec& spec);

}  // namespace tideway::replication::mysql
