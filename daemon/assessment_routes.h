#pragma once
// REST API v1 for assessments: POST /v1/assessments starts one in the background (202
// with its id), GET /v1/assessments/{id} shows its state and, once done, its report (JSON,
// or Markdown/HTML by ?format= or Accept). Assessments live in memory only: they are a
// look at a server at one moment, not state to recover after a restart. At most
// kMaxRunning run at once and the kMaxKept most recent are kept.

#include "api/router.h"

namespace tideway::daemon {

/// Registers the routes; the runner they share lives as long as the router and, when
/// destroyed, ends running samples early and waits for their threads.
void add_assessment_routes(api::Router& router);

}  // namespace tideway::daemon
