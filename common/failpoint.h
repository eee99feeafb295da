#pragma once
// Failpoints: named places where a crash test can make the process die exactly as if an
// operator had sent kill -9, to prove that no crash point loses or duplicates a change.
//   TIDEWAY_FAILPOINT=<name>[:<n>]   die (SIGKILL) the n-th time <name> is reached (default 1)
// The variable is read once; with it unset a failpoint costs one predictable branch.
// Names in use: PostgreSQL load.mid_chunk, load.after_chunk_commit, apply.mid_batch,
// apply.after_target_commit; MySQL my_apply.mid_batch, my_apply.after_target_commit,
// my_apply.after_ddl.

namespace tideway {

void failpoint(const char* name);

}  // namespace tideway
