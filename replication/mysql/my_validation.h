#pragma once
// Compares a MySQL/MariaDB task's tables on source and target: exact row counts and one
// checksum per chunk of the full-load plan (so a mismatch names a key range), each side
// read in one consistent snapshot. Meaningful when the source is quiet (fenced, paused,
// or at cutover); while writes go on it only reports the difference of the moment.
//
// A chunk's checksum is the 128-bit XOR of the MD5 of each row, where a row is written
// as  <NULL bitmap>|<length>|<value>|<length>|<value>...  so that NULL differs from '',
// and 'a|' + 'b' from 'a' + '|b'. XOR makes it independent of row order, so no sort is
// needed on either side. Both sides use the same session settings (utf8mb4, UTC), so
// equal values print equal text.

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/core/validation_report.h"
#include "storage/state_store.h"

namespace tideway::replication::mysql {

Result<ValidationReport> validate_mysql_tables(const TaskSpec& spec, storage::StateStore& store);

}  // namespace tideway::replication::mysql
